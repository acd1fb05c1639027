"""rnnbook.npnn.losses: softmax, log_softmax and softmax cross-entropy against torch and
finite differences, stability for large logits, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnbook import npnn
from rnnbook.gradcheck import check_gradients


def test_softmax_rows_sum_to_one_and_match_torch():
    logits = np.random.default_rng(0).normal(size=(2, 3, 5)) * 4
    p = npnn.softmax(logits)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(
        p, torch.softmax(torch.from_numpy(logits), -1).numpy(), rtol=1e-13
    )
    np.testing.assert_allclose(
        npnn.log_softmax(logits),
        torch.log_softmax(torch.from_numpy(logits), -1).numpy(),
        rtol=1e-13,
    )


def test_softmax_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [-1e4, -1e4, -1e4]])
    # no inf, no 0/0, no log(0)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = npnn.softmax(logits)
        loss, d = npnn.softmax_cross_entropy(logits, np.array([2, 0]))
    np.testing.assert_allclose(p[0], [1.0, 0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(p[1], 1 / 3)
    assert loss == pytest.approx(2000.0 + np.log(3.0))  # -log p = 2000 for row 0
    assert np.isfinite(d).all()


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("shape", [(6, 4), (2, 3, 5)])
def test_cross_entropy_matches_torch(reduction, shape):
    rng = np.random.default_rng(len(shape))
    logits = rng.normal(size=shape) * 3
    targets = rng.integers(0, shape[-1], size=shape[:-1])
    loss, dlogits = npnn.softmax_cross_entropy(logits, targets, reduction=reduction)
    lt = torch.tensor(logits, requires_grad=True)
    tl = F.cross_entropy(
        lt.reshape(-1, shape[-1]),
        torch.from_numpy(targets).reshape(-1),
        reduction=reduction,
    )
    tl.backward()
    assert isinstance(loss, float)
    assert loss == pytest.approx(tl.item(), rel=1e-13)
    np.testing.assert_allclose(dlogits, lt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_cross_entropy_gradient_is_p_minus_onehot_and_passes_gradcheck():
    rng = np.random.default_rng(3)
    logits, targets = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    loss, d = npnn.softmax_cross_entropy(logits, targets)
    np.testing.assert_allclose(d, npnn.softmax(logits) - np.eye(3)[targets], rtol=1e-14)
    # each row of p - y sums to 0
    np.testing.assert_allclose(d.sum(-1), 0.0, atol=1e-15)
    check_gradients(
        lambda: npnn.softmax_cross_entropy(logits, targets)[0],
        {"logits": logits},
        {"logits": d},
    )


def test_mean_is_sum_divided_by_number_of_positions():
    rng = np.random.default_rng(4)
    logits, targets = rng.normal(size=(2, 5, 3)), rng.integers(0, 3, size=(2, 5))
    s, ds = npnn.softmax_cross_entropy(logits, targets, reduction="sum")
    m, dm = npnn.softmax_cross_entropy(logits, targets, reduction="mean")
    assert m == pytest.approx(s / 10, rel=1e-14)
    np.testing.assert_allclose(dm, ds / 10, rtol=1e-14)


@pytest.mark.parametrize(
    "logits,targets,exc,words",
    [
        (np.zeros((3, 4)), np.array([0, 1]), ValueError, ["targets", "(3,)", "(2,)"]),
        (np.zeros((3, 4)), np.array([0, 1, 4]), ValueError, ["[0, 3]", "4"]),
        (np.zeros((3, 4)), np.array([0, -1, 2]), ValueError, ["[0, 3]", "-1"]),
        (
            np.zeros((3, 4)),
            np.array([0.0, 1.0, 2.0]),
            TypeError,
            ["targets", "integer", "float64"],
        ),
        (
            np.zeros((3, 4), dtype=int),
            np.array([0, 1, 2]),
            TypeError,
            ["logits", "int64"],
        ),
        (
            np.zeros((3, 4), dtype=np.float16),
            np.array([0, 1, 2]),
            TypeError,
            ["float16"],
        ),
        ([[0.0, 1.0]], np.array([0]), TypeError, ["numpy.ndarray", "list"]),
    ],
)
def test_cross_entropy_bad_input(logits, targets, exc, words):
    with pytest.raises(exc) as info:
        npnn.softmax_cross_entropy(logits, targets)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_unknown_reduction():
    with pytest.raises(ValueError, match="'sum' or 'mean', got 'avg'"):
        npnn.softmax_cross_entropy(np.zeros((1, 2)), np.array([0]), reduction="avg")
