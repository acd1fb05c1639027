"""Sentence sentiment: a bag of words against a GRU, tuned with equal budgets.

Introduced in the Task types chapter, section "Many to one: sentiment analysis"; the
search is run by ``scripts/train_sentiment.py`` (``make sentiment``), which writes
``checkpoints/sentiment.pt``, and :func:`load_checkpoint` reads it back.

- :func:`encode`: token lists -> padded ids ``(N, L)`` and lengths ``(N,)``.
- :class:`BagOfWords`: logistic regression on word counts, :math:`\\hat y = c W^\\top +
  b` with :math:`c \\in \\mathbb{R}^{V}` the counts of the :math:`V` ids.
- :class:`GRUClassifier`: embedding, a GRU read with packing, a linear layer on the
  final state :math:`h_L` (both directions' final states when bidirectional).
- :class:`Batches`: shuffled mini-batches ``((ids, lengths), labels)``, each cut to its
  longest sequence.
- :func:`verdict_pairs`: two sentences of opposite sentiment joined, labelled by the
  second, each pair in both orders, so that word counts cannot tell the label.
- :func:`has_negation`: whether a token list holds a negation word.

Both models take the same inputs, ``model(ids, lengths)`` -> scores ``(N, 2)``, so one
training loop (:func:`rnnbook.train.fit`) serves both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

from rnnbook.text import Vocabulary

#: Where ``make sentiment`` writes the tuned models.
CHECKPOINT = Path(__file__).resolve().parents[2] / "checkpoints" / "sentiment.pt"

#: Words that negate what follows them (tokens ending in ``n't`` count too).
NEGATIONS = frozenset(
    ("not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "cannot")
)


def has_negation(tokens) -> bool:
    """True if ``tokens`` holds a word of :data:`NEGATIONS` or one ending in ``n't``."""
    return any(t in NEGATIONS or t.endswith("n't") for t in tokens)


def encode(token_lists, vocab: Vocabulary) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded ids ``(N, L)`` (padding id 0) and lengths ``(N,)``; an empty token list
    becomes one ``<unk>``."""
    ids = [torch.tensor(vocab.encode(t) or [vocab.unk_id]) for t in token_lists]
    lengths = torch.tensor([len(i) for i in ids])
    return pad_sequence(ids, batch_first=True, padding_value=vocab.pad_id), lengths


def bag_of_words(ids: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Counts ``(N, V)`` of each id in each row of ``ids`` ``(N, L)``; padding (id 0)
    is not counted."""
    counts = torch.zeros(ids.shape[0], vocab_size)  # (N, V)
    counts.scatter_add_(1, ids, torch.ones(ids.shape))  # counts[n, ids[n, t]] += 1
    counts[:, 0] = 0
    return counts


class BagOfWords(nn.Module):
    """Logistic regression on word counts (or on presence, ``binary=True``): the order
    of the words is lost before the model sees them."""

    def __init__(self, vocab_size: int, binary: bool = False):
        super().__init__()
        self.vocab_size, self.binary = vocab_size, binary
        self.fc = nn.Linear(vocab_size, 2)

    def forward(self, ids, lengths):  # (N, L), (N,) -> (N, 2)
        c = bag_of_words(ids, self.vocab_size)  # (N, V)
        return self.fc((c > 0).float() if self.binary else c)


class GRUClassifier(nn.Module):
    """Embedding -> dropout -> GRU on the packed batch -> final state -> dropout ->
    linear.

    The final state is ``h_n[-1]`` for one direction, ``[h_n[-2] ; h_n[-1]]`` (size
    :math:`D \\cdot H_{out}`) for two; packing makes it the state after each sentence's
    own last word (forward) and first word (backward), whatever the padding.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int = 64,
        hidden_size: int = 64,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        self.drop = nn.Dropout(dropout)
        self.rnn = nn.GRU(
            embed_size, hidden_size, batch_first=True, bidirectional=bidirectional
        )
        self.fc = nn.Linear((2 if bidirectional else 1) * hidden_size, 2)

    def forward(self, ids, lengths):  # (N, L), (N,) -> (N, 2)
        x = self.drop(self.embed(ids))  # (N, L, E)
        packed = pack_padded_sequence(
            x, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, h_n = self.rnn(packed)  # (D, N, H_out)
        last = torch.cat([h_n[-2], h_n[-1]], 1) if self.rnn.bidirectional else h_n[-1]
        return self.fc(self.drop(last))  # (N, 2)


def build(kind: str, vocab_size: int, config: dict) -> nn.Module:
    """The model of ``kind`` (``"bow"`` or ``"gru"``) for a search ``config``."""
    if kind == "bow":
        return BagOfWords(vocab_size, binary=config["binary"])
    if kind == "gru":
        return GRUClassifier(
            vocab_size,
            config["embed_size"],
            config["hidden_size"],
            config["dropout"],
            config["bidirectional"],
        )
    raise ValueError(f"expected kind 'bow' or 'gru', got {kind!r}")


class Batches:
    """``((ids, lengths), labels)`` mini-batches, reshuffled on every pass when
    ``shuffle`` (a generator seeded with ``seed``), each cut to its longest
    sequence."""

    def __init__(self, ids, lengths, labels, batch_size, shuffle=False, seed=0):
        self.ids, self.lengths, self.labels = ids, lengths, labels
        self.batch_size, self.shuffle = batch_size, shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __iter__(self):
        n = len(self.labels)
        order = (
            torch.randperm(n, generator=self.generator)
            if self.shuffle
            else torch.arange(n)
        )
        for idx in order.split(self.batch_size):
            L = int(self.lengths[idx].max())
            yield (self.ids[idx, :L], self.lengths[idx]), self.labels[idx]


def verdict_pairs(token_lists, labels, rounds: int = 1, rng=0):
    """Pairs of sentences of opposite sentiment, labelled by the *second* one.

    Each round pairs every positive sentence with a negative one at random (the shorter
    list sets the number of pairs) and adds both orders, ``a + b`` labelled like ``b``
    and ``b + a`` labelled like ``a``. The two orders hold the same words with opposite
    labels, so any model of word counts gets exactly half of them right.
    Returns ``(token_lists, labels)`` with ``labels`` an int64 array.
    """
    rng = np.random.default_rng(rng)
    labels = np.asarray(labels)
    pos = [t for t, y in zip(token_lists, labels) if y == 1]
    neg = [t for t, y in zip(token_lists, labels) if y == 0]
    out, out_labels = [], []
    for _ in range(rounds):
        for i, j in zip(rng.permutation(len(pos)), rng.permutation(len(neg))):
            out += [list(pos[i]) + list(neg[j]), list(neg[j]) + list(pos[i])]
            out_labels += [0, 1]
    return out, np.array(out_labels, dtype=np.int64)


def accuracy(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fraction of rows whose largest score is at the label."""
    return (scores.argmax(dim=-1) == labels).float().mean()


@torch.no_grad()
def predict(model: nn.Module, ids, lengths, batch_size: int = 1000) -> torch.Tensor:
    """Predicted labels ``(N,)`` in evaluation mode, in batches."""
    was_training = model.training
    model.eval()
    out = [
        model(ids[i : i + batch_size], lengths[i : i + batch_size]).argmax(-1)
        for i in range(0, len(ids), batch_size)
    ]
    model.train(was_training)
    return torch.cat(out)


def load_checkpoint(path=None) -> dict:
    """Read ``checkpoints/sentiment.pt`` (``weights_only=True``) and rebuild its models.

    Returns the stored dict with, for each entry of ``"models"`` (``"bow"``, ``"gru"``,
    ``"verdict_bow"``, ``"verdict_gru"``), a ``"model"`` (in evaluation mode) and a
    ``"vocab"`` (:class:`~rnnbook.text.Vocabulary`) added next to its ``"config"``.
    """
    path = Path(path) if path is not None else CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(
            f"checkpoint not found: {path}; run `make sentiment` to create it"
        )
    ckpt = torch.load(path, weights_only=True)
    for entry in ckpt["models"].values():
        vocab = Vocabulary(entry["tokens"])
        model = build(entry["kind"], len(vocab), entry["config"])
        model.load_state_dict(entry["state_dict"])
        entry["model"], entry["vocab"] = model.eval(), vocab
    return ckpt
