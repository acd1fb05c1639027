"""The GRU in NumPy, forward and backward through time, with PyTorch's equations and
layout.

Forward, for one step (gates stacked r, z, n in ``weight_ih`` (3H, H_in), ``weight_hh``
(3H, H), ``bias_ih`` and ``bias_hh`` (3H,))::

    r_t = σ(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)              reset gate
    z_t = σ(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)              update gate
    n_t = tanh(x_t W_in^T + b_in + r_t ⊙ (h_{t-1} W_hn^T + b_hn))   new state
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Note where r_t sits: it multiplies the *whole* hidden term of n_t, bias b_hn included,
which is why PyTorch keeps two biases per gate. Introduced in the GRU chapter; the
backward pass follows the BPTT chapter.
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


def gru_cell_forward(x, h_prev, params):
    """One GRU step, as ``torch.nn.GRUCell``.

    Args: x (N, H_in), h_prev (N, H) or None for zeros, params with ``weight_ih`` (3H,
    H_in), ``weight_hh`` (3H, H), ``bias_ih``, ``bias_hh`` (3H,), gates in the order r,
    z, n. Returns ``(h, cache)``. Introduced in the GRU chapter.
    """
    H_in, H = check_params(params, "gru")
    N = check_step_input(x, H_in)
    h_prev = check_state(h_prev, N, H, "h_prev", x.dtype)
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    gi = x @ W_ih.T + params["bias_ih"]  # input terms, (N, 3H), r|z|n
    gh = h_prev @ W_hh.T + params["bias_hh"]  # hidden terms, (N, 3H), r|z|n
    r = sigmoid(gi[:, :H] + gh[:, :H])  # r_t
    z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])  # z_t
    hn = gh[:, 2 * H :]  # h_{t-1} W_hn^T + b_hn, (N, H)
    n = np.tanh(gi[:, 2 * H :] + r * hn)  # n_t = tanh(x_t W_in^T + b_in + r_t ⊙ (...))
    h = (1.0 - z) * n + z * h_prev  # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}, (N, H)
    cache = (x, h_prev, r, z, n, hn, W_ih, W_hh)
    return h, cache


def gru_cell_backward(dh, cache):
    """Backward through one GRU step.

    Args: dh (N, H), dL/dh_t. Returns ``(dx, dh_prev, grads)`` with dx (N, H_in),
    dh_prev (N, H) and this step's contribution to the four parameter gradients.
    Introduced in the GRU chapter.
    """
    x, h_prev, r, z, n, hn, W_ih, W_hh = cache
    check_grad(dh, h_prev.shape, "dh")
    dn = dh * (1.0 - z)  # ∂h_t/∂n_t = 1 - z_t
    dz = dh * (h_prev - n)  # ∂h_t/∂z_t = h_{t-1} - n_t
    dh_prev = dh * z  # direct path: ∂h_t/∂h_{t-1} ∋ z_t (the gates add more below)
    da_n = dn * (1.0 - n**2)  # through tanh: dL/d(pre-activation of n_t)
    dr = da_n * hn  # ∂(r_t ⊙ hn)/∂r_t = hn
    da_r = dr * r * (1.0 - r)  # σ'(a_r) = r_t (1 - r_t)
    da_z = dz * z * (1.0 - z)  # σ'(a_z) = z_t (1 - z_t)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)  # dL/d(input terms), (N, 3H)
    # hidden term of n is scaled by r_t
    dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)
    grads = {
        "weight_ih": dgi.T @ x,  # (3H, H_in)
        "weight_hh": dgh.T @ h_prev,  # (3H, H)
        "bias_ih": dgi.sum(axis=0),  # (3H,)
        "bias_hh": dgh.sum(axis=0),  # (3H,): differs from bias_ih in the n block
    }
    dx = dgi @ W_ih  # (N, H_in)
    dh_prev = dh_prev + dgh @ W_hh  # add the paths through r_t, z_t and n_t, (N, H)
    return dx, dh_prev, grads


def gru_forward(x, h0, params):
    """The GRU over a batch of sequences, as ``torch.nn.GRU(batch_first=True)``.

    Args: x (N, L, H_in), h0 (N, H) or None for zeros.
    Returns ``(hs, h_n, cache)``: hs (N, L, H), h_n (N, H) (no leading ``num_layers``
    axis). Introduced in the GRU chapter.
    """
    H_in, H = check_params(params, "gru")
    N, L = check_sequence_input(x, H_in)
    h = check_state(h0, N, H, "h0", x.dtype)
    hs, caches = [], []
    for t in range(L):
        h, cache = gru_cell_forward(x[:, t], h, params)  # h_t, (N, H)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), h, (caches, (N, L, H_in, H))  # hs: (N, L, H)


def gru_backward(dhs, cache, dh_n=None):
    """Backpropagation through time for :func:`gru_forward`.

    Args: dhs (N, L, H), dL/dh_t for each output on its own; dh_n (N, H) or None, the
    gradient reaching the returned last state. Returns ``(dx, dh0, grads)``, the
    parameter gradients summed over time. Introduced in the GRU chapter.
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
        dh = dhs[:, t] + dh_next  # h_t feeds the output at t and step t+1
        dx[:, t], dh_next, g = gru_cell_backward(dh, caches[t])
        grads = g if grads is None else {k: grads[k] + g[k] for k in g}  # Σ_t
    return dx, dh_next, grads
