"""Tests for rnnbook.text: tokenizer, vocabulary, the shipped reviews and Shakespeare,
the toy grammar.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnbook.text import (
    GRAMMAR_WORDS,
    PAD,
    TAGS,
    UNK,
    Vocabulary,
    load_reviews,
    load_shakespeare,
    split_text,
    tokenize,
    toy_grammar_tagging,
)

# --- tokenize -------------------------------------------------------------------------


def test_tokenize_words_and_punctuation():
    assert tokenize("Not good. Don't buy!") == ["not", "good", ".", "don't", "buy", "!"]
    assert tokenize('"Great" (really) -- 5 stars, 10/10?') == [
        "great",
        "really",
        "5",
        "stars",
        ",",
        "10",
        "10",
        "?",
    ]
    assert tokenize("") == [] and tokenize("   ") == []


def test_tokenize_rejects_non_strings():
    with pytest.raises(TypeError, match="expected text to be a str, got list"):
        tokenize(["a", "b"])


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=60))
def test_tokenize_is_idempotent_on_its_own_output(s):
    tokens = tokenize(s)
    assert tokenize(" ".join(tokens)) == tokens
    assert all(t == t.lower() and " " not in t for t in tokens)


# --- Vocabulary -----------------------------------------------------------------------


def test_vocabulary_build_orders_by_count_then_alphabet():
    vocab = Vocabulary.build([["b", "a", "c"], ["a", "c", "d"], ["a"]])
    assert vocab.itos == [PAD, UNK, "a", "c", "b", "d"]
    assert (vocab.pad_id, vocab.unk_id, len(vocab)) == (0, 1, 6)
    assert "a" in vocab and "z" not in vocab
    assert Vocabulary.build([["b", "a", "c"], ["a", "c", "d"]], min_count=2).itos == [
        PAD,
        UNK,
        "a",
        "c",
    ]
    assert Vocabulary.build([["b", "a", "c"], ["a", "c", "d"]], max_size=3).itos == [
        PAD,
        UNK,
        "a",
    ]


def test_vocabulary_encode_decode():
    vocab = Vocabulary(["the", "cat", "sat"])
    ids = vocab.encode(["the", "dog", "sat"])
    assert ids == [2, 1, 4]
    assert vocab.decode(ids) == ["the", UNK, "sat"]
    assert vocab.decode(torch.tensor([2, 3, 0, 0])) == ["the", "cat"]
    assert vocab.decode(np.array([2, 0]), skip_pad=False) == ["the", PAD]
    assert vocab.decode([]) == []


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(list("abcdefgh")), max_size=8), min_size=1, max_size=6
    )
)
def test_vocabulary_round_trip(texts):
    vocab = Vocabulary.build(texts)
    for tokens in texts:
        assert vocab.decode(vocab.encode(tokens)) == tokens
    assert sorted(vocab.itos[2:]) == sorted({t for tokens in texts for t in tokens})


def test_vocabulary_errors():
    with pytest.raises(ValueError, match="special token"):
        Vocabulary(["a", PAD])
    with pytest.raises(ValueError, match="duplicates"):
        Vocabulary(["a", "a"])
    with pytest.raises(TypeError, match="expected tokens to be str, got int"):
        Vocabulary(["a", 3])
    with pytest.raises(TypeError, match="got a str at 0"):
        Vocabulary.build(["a text, not tokens"])
    with pytest.raises(ValueError, match="expected max_size >= 3"):
        Vocabulary.build([["a"]], max_size=2)
    with pytest.raises(ValueError, match="min_count to be a positive integer"):
        Vocabulary.build([["a"]], min_count=0)
    vocab = Vocabulary(["a"])
    with pytest.raises(TypeError, match="call tokenize"):
        vocab.encode("a b")
    with pytest.raises(
        ValueError, match=r"expected ids in 0 .. 2, got values from 0 to 5"
    ):
        vocab.decode([0, 5])
    with pytest.raises(ValueError, match="1-D sequence of integer ids"):
        vocab.decode([[1, 2]])


# --- reviews --------------------------------------------------------------------------


def test_load_reviews_contents():
    splits = {s: load_reviews(s) for s in ("train", "valid", "test")}
    assert {s: len(r) for s, r in splits.items()} == {
        "train": 2800,
        "valid": 600,
        "test": 600,
    }
    for r in splits.values():
        assert r.labels.dtype == np.int64 and set(np.unique(r.labels)) == {0, 1}
        assert int(r.labels.sum()) * 2 == len(r)  # balanced
    texts = [t for r in splits.values() for t in r.texts]
    assert len(set(texts)) == 4000  # no sentence in two splits
    train = splits["train"]
    assert train.texts[2] == "effective but too-tepid biopic" and train.labels[2] == 1
    assert all(t == t.lower() and t == t.strip() and "\n" not in t for t in texts)
    assert min(len(tokenize(t)) for t in texts) >= 1


def test_load_reviews_errors(tmp_path, monkeypatch):
    with pytest.raises(
        ValueError, match="expected split 'train', 'valid' or 'test', got 'dev'"
    ):
        load_reviews("dev")
    monkeypatch.setenv("RNNBOOK_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="review_sentences.csv.gz"):
        load_reviews()


# --- Shakespeare ----------------------------------------------------------------------


def test_load_shakespeare_contents_and_split():
    whole = load_shakespeare()
    assert len(whole) == 993_221 and whole.isascii() and "\r" not in whole
    assert whole.startswith("ROMEO AND JULIET\n\nby William Shakespeare")
    assert whole.rstrip().endswith("[Exeunt.]")
    for title in (
        "JULIUS CAESAR",
        "HAMLET, PRINCE OF DENMARK",
        "OTHELLO",
        "KING LEAR",
        "MACBETH",
        "ANTONY AND CLEOPATRA",
    ):
        assert title in whole
    low = whole.lower()
    assert "gutenberg" not in low and "ebook" not in low and "copyright" not in low
    parts = [load_shakespeare(s) for s in ("train", "valid", "test")]
    assert "".join(parts) == whole
    assert [len(p) for p in parts] == [893_899, 49_661, 49_661]


def test_load_shakespeare_bad_split():
    with pytest.raises(
        ValueError, match="expected split None, 'train', 'valid' or 'test', got 'dev'"
    ):
        load_shakespeare("dev")


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 200), st.floats(0.1, 0.8), st.floats(0.05, 0.15))
def test_split_text_is_consecutive(n, f1, f2):
    s = "".join(chr(97 + i % 26) for i in range(n))
    try:
        parts = split_text(s, (f1, f2, 1 - f1 - f2))
    except ValueError:
        return  # a part would be empty: split_by_time refuses, as documented
    assert "".join(parts) == s and all(parts)
    assert len(parts[0]) == round(f1 * n)


def test_split_text_errors():
    with pytest.raises(TypeError, match="expected text to be a str"):
        split_text(b"bytes")
    with pytest.raises(ValueError, match="non-empty"):
        split_text("ab")


# --- toy grammar ----------------------------------------------------------------------


def _parse(words):
    """An independent re-derivation of the tags from the words alone (the grammar has
    one parse).
    """
    cls = {w: k for k, ws in GRAMMAR_WORDS.items() for w in ws}
    tags, i = [], 0

    def noun_phrase(i, before_verb):
        tags.append("DET")
        i += 1
        if cls[words[i]] == "adj":
            tags.append("ADJ")
            i += 1
        # a compound has two noun slots: in the subject the word after the head is the
        # verb and a determiner follows it; in other phrases the head is followed by a
        # preposition or "."
        if before_verb:
            compound = words[i + 2] not in GRAMMAR_WORDS["det"]
        else:
            compound = words[i + 1] not in GRAMMAR_WORDS["prep"] + (".",)
        tags.extend(["MOD", "NOUN"] if compound else ["NOUN"])
        return i + 1 + compound

    i = noun_phrase(0, True)
    tags.append("VERB")
    i += 1
    i = noun_phrase(i, False)
    if words[i] != ".":
        tags.append("PREP")
        i = noun_phrase(i + 1, False)
    tags.append("PUNCT")
    assert i + 1 == len(words)
    return tags


def test_toy_grammar_tags_follow_from_the_words():
    data = toy_grammar_tagging(300, rng=1)
    assert len(data.words) == len(data.tags) == 300
    for words, tags in zip(*data):
        assert len(words) == len(tags) and 6 <= len(words) <= 15
        assert set(tags) <= set(TAGS)
        assert _parse(words) == tags


def test_toy_grammar_has_ambiguous_words_with_several_tags():
    data = toy_grammar_tagging(500, rng=2)
    seen = {}
    for words, tags in zip(*data):
        for w, t in zip(words, tags):
            seen.setdefault(w, set()).add(t)
    assert seen["fish"] == {"MOD", "NOUN", "VERB"}
    assert all(seen[w] <= {"MOD", "NOUN"} for w in GRAMMAR_WORDS["noun"] if w in seen)
    lengths = {len(w) for w in data.words}
    assert min(lengths) == 6 and max(lengths) == 15


def test_toy_grammar_seed_and_probabilities():
    a, b = (
        toy_grammar_tagging(20, rng=5),
        toy_grammar_tagging(20, rng=np.random.default_rng(5)),
    )
    assert a == b
    plain = toy_grammar_tagging(50, rng=0, p_adj=0, p_compound=0, p_pp=0, p_both=0)
    assert all(t == ["DET", "NOUN", "VERB", "DET", "NOUN", "PUNCT"] for t in plain.tags)
    assert not any(w in GRAMMAR_WORDS["both"] for words in plain.words for w in words)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n": 0}, ValueError, "n to be a positive integer"),
        (
            {"n": 2, "p_adj": 1.5},
            ValueError,
            r"p_adj to be a probability in \[0, 1\], got 1.5",
        ),
        ({"n": 2, "rng": "seed"}, TypeError, "expected rng"),
    ],
)
def test_toy_grammar_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        toy_grammar_tagging(**kwargs)
