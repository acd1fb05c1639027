"""The LSTM in NumPy, forward and backward through time, with PyTorch's equations and
layout.

Forward, for one step (rows are vectors; the four gates are stacked i, f, g, o in
``weight_ih`` (4H, H_in), ``weight_hh`` (4H, H), ``bias_ih`` and ``bias_hh`` (4H,))::

    i_t = σ(x_t W_ii^T + b_ii + h_{t-1} W_hi^T + b_hi)       input gate
    f_t = σ(x_t W_if^T + b_if + h_{t-1} W_hf^T + b_hf)       forget gate
    g_t = tanh(x_t W_ig^T + b_ig + h_{t-1} W_hg^T + b_hg)    cell candidate
    o_t = σ(x_t W_io^T + b_io + h_{t-1} W_ho^T + b_ho)       output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

With projections (``torch.nn.LSTM(..., proj_size=P)``, Sak et al. 2014; a
``weight_hr`` (P, H) entry in the parameters, and ``weight_hh`` (4H, P)), the cell's
output is projected down to P features before it is returned and fed back::

    m_t = o_t ⊙ tanh(c_t)          (N, H)
    h_t = m_t W_hr^T               (N, P)

so h_t, and the gradients dh, have P features while c_t keeps H.

Backward: with dh = dL/dh_t and dc = dL/dc_t from the future, first dm = dh W_hr with
projections (dm = dh without) and dL/dW_hr = Σ_t dh^T m_t; then the total gradient on
c_t is dc + dm ⊙ o_t ⊙ (1 - tanh^2(c_t)), and it flows to c_{t-1} multiplied by f_t
only, with no weight matrix in between: the additive path of the LSTM chapter.
Introduced in the LSTM chapter; the backward pass follows the BPTT chapter.
"""

from __future__ import annotations

import numpy as np

from rnnbook.npnn._common import (
    check_grad,
    check_params,
    check_sequence_input,
    check_state,
    check_step_input,
    sigmoid,
)


def lstm_cell_forward(x, state_prev, params):
    """One LSTM step, as ``torch.nn.LSTMCell`` (and, with a ``weight_hr`` entry, one
    step of ``torch.nn.LSTM(..., proj_size=P)``).

    Args: x (N, H_in); state_prev = (h_{t-1}, c_{t-1}), (N, P) and (N, H), or None for
    zeros (either entry may be None); params with ``weight_ih`` (4H, H_in),
    ``weight_hh`` (4H, P), ``bias_ih``, ``bias_hh`` (4H,), gates in the order i, f, g,
    o, and optionally ``weight_hr`` (P, H) (without it, P = H).
    Returns ``((h, c), cache)``. Introduced in the LSTM chapter.
    """
    H_in, H = check_params(params, "lstm")
    P = params["weight_hh"].shape[1]  # the size of h: proj_size, or H
    N = check_step_input(x, H_in)
    h_prev, c_prev = (None, None) if state_prev is None else state_prev
    h_prev = check_state(h_prev, N, P, "h_prev", x.dtype, "P" if P != H else "H")
    c_prev = check_state(c_prev, N, H, "c_prev", x.dtype)
    W_ih, W_hh, W_hr = params["weight_ih"], params["weight_hh"], params.get("weight_hr")
    # (N, 4H), i|f|g|o
    a = x @ W_ih.T + params["bias_ih"] + h_prev @ W_hh.T + params["bias_hh"]
    i = sigmoid(a[:, 0 * H : 1 * H])  # i_t = σ(a_i)
    f = sigmoid(a[:, 1 * H : 2 * H])  # f_t = σ(a_f)
    g = np.tanh(a[:, 2 * H : 3 * H])  # g_t = tanh(a_g)
    o = sigmoid(a[:, 3 * H : 4 * H])  # o_t = σ(a_o)
    c = f * c_prev + i * g  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t, (N, H)
    tanh_c = np.tanh(c)
    m = o * tanh_c  # m_t = o_t ⊙ tanh(c_t), (N, H): h_t without projections
    h = m if W_hr is None else m @ W_hr.T  # h_t = m_t W_hr^T, (N, P)
    cache = (x, h_prev, c_prev, i, f, g, o, tanh_c, m, W_ih, W_hh, W_hr)
    return (h, c), cache


def lstm_cell_backward(dstate, cache):
    """Backward through one LSTM step.

    Args: dstate = (dh, dc), dL/dh_t (N, P) and dL/dc_t (N, H) (dc may be None for
    zeros). Returns ``(dx, (dh_prev, dc_prev), grads)`` with dx (N, H_in) and this
    step's contribution to the parameter gradients (``weight_hr`` too with
    projections). Introduced in the LSTM chapter.
    """
    x, h_prev, c_prev, i, f, g, o, tanh_c, m, W_ih, W_hh, W_hr = cache
    dh, dc = dstate
    check_grad(dh, h_prev.shape, "dh")
    dc = np.zeros_like(i) if dc is None else check_grad(dc, i.shape, "dc")
    grads = {}
    dm = dh  # dL/dm_t: without projections m_t is h_t
    if W_hr is not None:
        grads["weight_hr"] = (
            dh.T @ m
        )  # h_t = m_t W_hr^T, so dL/dW_hr = dh^T m_t, (P, H)
        dm = dh @ W_hr  # (N, H)
    do = dm * tanh_c  # ∂m_t/∂o_t = tanh(c_t)
    dc = dc + dm * o * (1.0 - tanh_c**2)  # c_t reaches L directly (dc) and through m_t
    di = dc * g  # ∂c_t/∂i_t = g_t
    df = dc * c_prev  # ∂c_t/∂f_t = c_{t-1}
    dg = dc * i  # ∂c_t/∂g_t = i_t
    dc_prev = dc * f  # ∂c_t/∂c_{t-1} = f_t: the additive path, no W_hh, no squashing
    da = np.concatenate(
        [
            di * i * (1.0 - i),  # σ'(a_i) = i_t (1 - i_t)
            df * f * (1.0 - f),  # σ'(a_f) = f_t (1 - f_t)
            dg * (1.0 - g**2),  # tanh'(a_g) = 1 - g_t^2
            do * o * (1.0 - o),  # σ'(a_o) = o_t (1 - o_t)
        ],
        axis=1,
    )  # dL/da, (N, 4H), in the order i, f, g, o
    grads = {
        "weight_ih": da.T @ x,  # (4H, H_in)
        "weight_hh": da.T @ h_prev,  # (4H, P)
        "bias_ih": da.sum(axis=0),  # (4H,)
        "bias_hh": da.sum(axis=0),  # (4H,)
        **grads,  # weight_hr (P, H), with projections
    }
    dx = da @ W_ih  # (N, H_in)
    dh_prev = da @ W_hh  # (N, P)
    return dx, (dh_prev, dc_prev), grads


def lstm_forward(x, state0, params):
    """The LSTM over a batch of sequences, as ``torch.nn.LSTM(batch_first=True)``.

    Args: x (N, L, H_in); state0 = (h_0, c_0), (N, P) and (N, H) (P = H without
    projections), or None for zeros; params as in :func:`lstm_cell_forward`.
    Returns ``(hs, (h_n, c_n), cache)``: hs (N, L, P) and the last states, (N, P) and
    (N, H) (no leading ``num_layers`` axis). Introduced in the LSTM chapter.
    """
    H_in, H = check_params(params, "lstm")
    P = params["weight_hh"].shape[1]  # the size of h: proj_size, or H
    N, L = check_sequence_input(x, H_in)
    h0, c0 = (None, None) if state0 is None else state0
    h0 = check_state(h0, N, P, "h0", x.dtype, "P" if P != H else "H")
    state = (h0, check_state(c0, N, H, "c0", x.dtype))
    hs, caches = [], []
    for t in range(L):
        state, cache = lstm_cell_forward(x[:, t], state, params)  # (h_t, c_t)
        hs.append(state[0])
        caches.append(cache)
    return np.stack(hs, axis=1), state, (caches, (N, L, H_in, H, P))  # hs: (N, L, P)


def lstm_backward(dhs, cache, dstate_n=None):
    """Backpropagation through time for :func:`lstm_forward`.

    Args: dhs (N, L, P), dL/dh_t for each output on its own; dstate_n = (dh_n, dc_n),
    (N, P) and (N, H), or None: gradients reaching the returned last states (either
    entry may be None). Returns ``(dx, (dh0, dc0), grads)``, the parameter gradients
    summed over time. Introduced in the LSTM chapter.
    """
    caches, (N, L, H_in, H, P) = cache
    check_grad(dhs, (N, L, P), "dhs")
    dh_n, dc_n = (None, None) if dstate_n is None else dstate_n
    dh_next = (
        np.zeros((N, P), dhs.dtype)
        if dh_n is None
        else check_grad(dh_n, (N, P), "dh_n")
    )
    dc_next = (
        np.zeros((N, H), dhs.dtype)
        if dc_n is None
        else check_grad(dc_n, (N, H), "dc_n")
    )
    dx = np.zeros((N, L, H_in), dtype=np.result_type(dhs, caches[0][0]))
    grads = None
    for t in reversed(range(L)):
        dh = dhs[:, t] + dh_next  # h_t feeds the output at t and step t+1
        dx[:, t], (dh_next, dc_next), g = lstm_cell_backward((dh, dc_next), caches[t])
        grads = g if grads is None else {k: grads[k] + g[k] for k in g}  # Σ_t
    return dx, (dh_next, dc_next), grads
