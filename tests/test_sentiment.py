"""rnnbook.sentiment: the two models, their inputs, the verdict pairs and the committed
checkpoint of the Task types chapter."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbook import sentiment, text


def test_has_negation():
    assert sentiment.has_negation(["it", "is", "not", "good"])
    assert sentiment.has_negation(["it", "doesn't", "work"])
    assert not sentiment.has_negation(["a", "knotty", "nothingness"])


def test_encode_and_bag_of_words():
    vocab = text.Vocabulary(["good", "bad", "film"])  # ids 2, 3, 4
    ids, lengths = sentiment.encode(
        [["good", "film"], [], ["bad", "bad", "odd"]], vocab
    )
    assert ids.tolist() == [[2, 4, 0], [1, 0, 0], [3, 3, 1]]
    assert lengths.tolist() == [2, 1, 3]
    counts = sentiment.bag_of_words(ids, len(vocab))
    assert counts.tolist() == [[0, 0, 1, 0, 1], [0, 1, 0, 0, 0], [0, 1, 0, 2, 0]]


@pytest.mark.parametrize("bidirectional", [False, True])
def test_gru_classifier_ignores_padding(bidirectional):
    torch.manual_seed(0)
    model = sentiment.GRUClassifier(10, 4, 5, dropout=0.3, bidirectional=bidirectional)
    model.eval()
    ids = torch.tensor([[2, 3, 4, 5], [6, 7, 0, 0]])
    lengths = torch.tensor([4, 2])
    with torch.no_grad():
        batch = model(ids, lengths)
        alone = model(ids[1:, :2], lengths[1:])
    assert batch.shape == (2, 2)
    assert torch.allclose(batch[1:], alone, atol=1e-6)


def test_bag_of_words_model_is_order_blind():
    torch.manual_seed(0)
    model = sentiment.BagOfWords(8, binary=True)
    a = model(torch.tensor([[2, 3, 3, 5]]), torch.tensor([4]))
    b = model(torch.tensor([[5, 3, 2, 0]]), torch.tensor([3]))
    assert torch.equal(a, b)  # binary: presence only


def test_build_rejects_unknown_kind():
    with pytest.raises(ValueError, match="expected kind 'bow' or 'gru'"):
        sentiment.build("cnn", 5, {})


def test_batches_cut_to_longest_and_cover_everything():
    ids = torch.tensor([[1, 2, 3], [4, 0, 0], [5, 6, 0]])
    lengths, labels = torch.tensor([3, 1, 2]), torch.tensor([0, 1, 0])
    seen = []
    for (x, lens), y in sentiment.Batches(ids, lengths, labels, 2, shuffle=True):
        assert x.shape[1] == int(lens.max())
        seen += y.tolist()
    assert sorted(seen) == [0, 0, 1]


def test_verdict_pairs_hold_both_orders():
    tokens = [["good"], ["great"], ["bad"], ["dull"], ["awful"]]
    pairs, labels = sentiment.verdict_pairs(tokens, [1, 1, 0, 0, 0], rounds=2, rng=0)
    assert len(pairs) == 8 and labels.tolist() == [0, 1] * 4
    for first, second in zip(pairs[0::2], pairs[1::2]):
        assert first == second[1:] + second[:1]  # the same two sentences swapped
    positive = {"good", "great"}
    for words, label in zip(pairs, labels):
        assert (words[1] in positive) == (label == 1)  # labelled by the second


def test_committed_checkpoint():
    ckpt = sentiment.load_checkpoint()
    assert set(ckpt["models"]) == {"bow", "gru", "verdict_bow", "verdict_gru"}
    trials = ckpt["trials"]
    kinds = [t["kind"] for t in trials]
    assert kinds.count("bow") == kinds.count("gru") >= 8  # equal budgets
    for kind in ("bow", "gru"):
        entry = ckpt["models"][kind]
        best = max(t["val_accuracy"] for t in trials if t["kind"] == kind)
        assert entry["record"]["val_accuracy"] == best  # chosen on validation
    # the kept models still score what the script recorded
    test = text.load_reviews("test")
    tokens = [text.tokenize(t) for t in test.texts]
    for kind in ("bow", "gru"):
        entry = ckpt["models"][kind]
        ids, lengths = sentiment.encode(tokens, entry["vocab"])
        pred = sentiment.predict(entry["model"], ids, lengths)
        acc = (pred == torch.from_numpy(test.labels)).float().mean().item()
        assert abs(acc - entry["test_accuracy"]) < 0.005
    assert ckpt["models"]["verdict_bow"]["test_accuracy"] == 0.5
    assert ckpt["models"]["verdict_gru"]["test_accuracy"] > 0.55
    assert np.isfinite(ckpt["metadata"]["seconds"])
