"""Softmax and cross-entropy in NumPy, with the gradient p - y that BPTT starts from.

For logits ŷ ∈ R^K (a row) and a target class y::

    p = softmax(ŷ),  p_k = e^{ŷ_k} / Σ_j e^{ŷ_j}
    ℒ = -log p_y
    dℒ/dŷ = p - onehot(y)

Introduced in the BPTT chapter ("Unrolling and backpropagation through time").
"""

from __future__ import annotations

import numpy as np

from rnnbook._validation import check_ndarray, fmt_shape, shape_error
from rnnbook.npnn._common import check_float

REDUCTIONS = ("sum", "mean")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, p_k = e^{ŷ_k - m} / Σ_j e^{ŷ_j - m} with m = max_j
    ŷ_j.

    Subtracting the maximum changes nothing mathematically and keeps e^{...} <= 1, so
    large logits do not overflow. Any leading shape, e.g. (N, L, K).
    """
    check_float(logits, "logits")
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise shape_error("logits", "(..., K) with K >= 1", logits.shape)
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log p_k = ŷ_k - m - log Σ_j e^{ŷ_j - m}, the stable way (never log of 0)."""
    check_float(logits, "logits")
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise shape_error("logits", "(..., K) with K >= 1", logits.shape)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(
    logits: np.ndarray, targets: np.ndarray, reduction: str = "sum"
):
    """Cross-entropy of softmax(logits) against integer class targets, and its gradient.

    ℒ = Σ over every position of -log p_y   (``reduction="sum"``, the default: the total
    loss of the BPTT chapter, as in min-char-rnn), or the mean over positions
    (``reduction="mean"``, the default of ``torch.nn.functional.cross_entropy``).

    Args: logits (..., K) float, e.g. (N, L, K) or (M, K); targets of shape
    logits.shape[:-1], integer class indices in [0, K).
    Returns ``(loss, dlogits)``: a Python float and dℒ/dlogits = p - onehot(y) (divided
    by the number of positions for ``"mean"``), of the shape of ``logits``.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"expected reduction 'sum' or 'mean', got {reduction!r}")
    check_float(logits, "logits")
    check_ndarray(targets, "targets", dtype_kind="i")
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise shape_error("logits", "(..., K) with K >= 1", logits.shape)
    K = logits.shape[-1]
    if targets.shape != logits.shape[:-1]:
        raise shape_error(
            "targets",
            fmt_shape(logits.shape[:-1]) + " (logits.shape[:-1])",
            targets.shape,
        )
    if targets.size and (targets.min() < 0 or targets.max() >= K):
        raise ValueError(
            f"expected targets in [0, {K - 1}] (K = {K} classes), "
            f"got values in [{targets.min()}, {targets.max()}]"
        )
    logp = log_softmax(logits)  # log p, (..., K)
    onehot = np.eye(K, dtype=logp.dtype)[targets]  # onehot(y), (..., K)
    loss = -np.take_along_axis(logp, targets[..., None], axis=-1).sum()  # Σ -log p_y
    dlogits = np.exp(logp) - onehot  # dℒ/dŷ = p - onehot(y), (..., K)
    if reduction == "mean":
        count = max(targets.size, 1)
        loss, dlogits = loss / count, dlogits / count
    return float(loss), dlogits
