"""The vanilla (Elman) RNN in NumPy, forward and backward through time.

Forward, for one step (vectors are rows, as in PyTorch)::

    a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh      the pre-activation
    h_t = tanh(a_t)            (or relu(a_t))

Backward, given ∂ℒ/∂h_t (the loss's gradient that reaches h_t), with δ_t = ∂ℒ/∂a_t::

    δ_t         = ∂ℒ/∂h_t ⊙ (1 - h_t^2)            (relu: ∂ℒ/∂h_t ⊙ [a_t > 0])
    ∂ℒ/∂W_ih   += δ_t^T x_t                         ∂ℒ/∂W_hh += δ_t^T h_{t-1}
    ∂ℒ/∂b_ih   += Σ_n δ_t                           ∂ℒ/∂b_hh += Σ_n δ_t
    ∂ℒ/∂x_t     = δ_t W_ih                          ∂ℒ/∂h_{t-1} = δ_t W_hh

The forward pass is introduced in the vanilla RNN chapter, the backward pass in the BPTT
chapter ("Unrolling and backpropagation through time").
"""

from __future__ import annotations

import numpy as np

from rnnbook.npnn._common import (
    check_grad,
    check_params,
    check_sequence_input,
    check_state,
    check_step_input,
)

NONLINEARITIES = ("tanh", "relu")


def _check_nonlinearity(nonlinearity: str) -> None:
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(
            f"expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}"
        )


def rnn_cell_forward(x, h_prev, params, nonlinearity: str = "tanh"):
    """One step of the Elman RNN, as ``torch.nn.RNNCell``.

    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)   (or relu instead of tanh)

    Args: x (N, H_in), h_prev (N, H) or None for zeros, params a dict with ``weight_ih``
    (H, H_in), ``weight_hh`` (H, H), ``bias_ih`` (H,), ``bias_hh`` (H,).
    Returns ``(h, cache)``: h (N, H) and what :func:`rnn_cell_backward` needs.
    Introduced in the vanilla RNN chapter.
    """
    _check_nonlinearity(nonlinearity)
    H_in, H = check_params(params, "rnn")
    N = check_step_input(x, H_in)
    h_prev = check_state(h_prev, N, H, "h_prev", x.dtype)
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    # a_t, the pre-activation, (N, H)
    a = x @ W_ih.T + params["bias_ih"] + h_prev @ W_hh.T + params["bias_hh"]
    # h_t = f(a_t), (N, H)
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)
    cache = (x, h_prev, a, h, W_ih, W_hh, nonlinearity)
    return h, cache


def rnn_cell_backward(dh, cache):
    """Backward through one RNN step.

    Args: dh (N, H), the gradient ∂ℒ/∂h_t of a scalar loss with respect to this step's
    output (everything that reaches h_t: from the output at t and from step t+1).
    Returns ``(dx, dh_prev, grads)``: ∂ℒ/∂x_t (N, H_in), ∂ℒ/∂h_{t-1} (N, H), and a dict
    with this step's contribution to the gradients of ``weight_ih``, ``weight_hh``,
    ``bias_ih``, ``bias_hh``. Introduced in the BPTT chapter.
    """
    x, h_prev, a, h, W_ih, W_hh, nonlinearity = cache
    check_grad(dh, h.shape, "dh")
    if nonlinearity == "tanh":
        delta = dh * (1.0 - h**2)  # δ_t = ∂ℒ/∂h_t ⊙ tanh'(a_t), tanh' = 1 - h_t^2
    else:
        delta = dh * (a > 0)  # δ_t = ∂ℒ/∂h_t ⊙ [a_t > 0]
    grads = {
        # ∂ℒ/∂W_ih = δ_t^T x_t, (H, H_in): ∂a_t/∂W_ih "is" x_t
        "weight_ih": delta.T @ x,
        "weight_hh": delta.T @ h_prev,  # ∂ℒ/∂W_hh = δ_t^T h_{t-1}, (H, H)
        "bias_ih": delta.sum(axis=0),  # ∂ℒ/∂b_ih = Σ_n δ_t, (H,)
        # ∂ℒ/∂b_hh = Σ_n δ_t, (H,): the two biases get the same gradient
        "bias_hh": delta.sum(axis=0),
    }
    dx = delta @ W_ih  # ∂ℒ/∂x_t = δ_t W_ih, (N, H_in)
    dh_prev = delta @ W_hh  # ∂ℒ/∂h_{t-1} = δ_t W_hh, (N, H): ∂a_t/∂h_{t-1} = W_hh
    return dx, dh_prev, grads


def rnn_forward(x, h0, params, nonlinearity: str = "tanh"):
    """The Elman RNN over a batch of sequences, as ``torch.nn.RNN(batch_first=True)``.

    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),  t = 1, ..., L

    Args: x (N, L, H_in), h0 (N, H) or None for zeros, params as in
    :func:`rnn_cell_forward`. Returns ``(hs, h_n, cache)``: every hidden state hs (N, L,
    H), the last one h_n (N, H) and what :func:`rnn_backward` needs. (Unlike
    ``torch.nn.RNN`` there is no leading ``num_layers`` axis on h0 and h_n.) Introduced
    in the vanilla RNN chapter.
    """
    _check_nonlinearity(nonlinearity)
    H_in, H = check_params(params, "rnn")
    N, L = check_sequence_input(x, H_in)
    h = check_state(h0, N, H, "h0", x.dtype)
    hs, caches = [], []
    for t in range(L):  # the same cell, the same params, at every step
        h, cache = rnn_cell_forward(x[:, t], h, params, nonlinearity)  # h_t, (N, H)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), h, (caches, (N, L, H_in, H))  # hs: (N, L, H)


def rnn_backward(dhs, cache, dh_n=None):
    """Backpropagation through time for :func:`rnn_forward`.

    Args: dhs (N, L, H), dL/dh_t for each output h_t taken on its own (e.g. from a loss
    at every step; zeros where a step has no loss); dh_n (N, H) or None, the gradient
    reaching the returned last state h_n (e.g. from a classifier on h_n).
    Returns ``(dx, dh0, grads)``: dL/dx (N, L, H_in), dL/dh_0 (N, H), and the gradients
    of the four parameters, each a sum over time of the per-step terms, because every
    step uses the same weights:  ∂ℒ/∂W_hh = Σ_t δ_t^T h_{t-1}, and likewise for
    the others.

    The loop carries ``dh_next`` = dL/dh_t through the future steps only, backwards:
    this is the "shortcut" of the BPTT chapter, which computes the same sums as
    expanding dL/dh_t = Σ_{s ≥ t} ∂L_s/∂h_t term by term, in O(L) instead of O(L^2).
    """
    caches, (N, L, H_in, H) = cache
    check_grad(dhs, (N, L, H), "dhs")
    dh_next = (
        np.zeros((N, H), dhs.dtype)
        if dh_n is None
        else check_grad(dh_n, (N, H), "dh_n")
    )
    dx = np.zeros((N, L, H_in), dtype=np.result_type(dhs, caches[0][0]))
    grads = None
    for t in reversed(range(L)):
        # h_t feeds the output at t and step t+1: gradients add
        dh = dhs[:, t] + dh_next
        # dh_next is now dL/dh_{t-1}
        dx[:, t], dh_next, g = rnn_cell_backward(dh, caches[t])
        # Σ_t over shared params
        grads = g if grads is None else {k: grads[k] + g[k] for k in g}
    return dx, dh_next, grads  # dh_next = dL/dh_0
