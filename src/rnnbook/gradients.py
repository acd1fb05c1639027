"""How gradients travel backwards through an RNN, and how to keep them in check.

Introduced in the chapter "Vanishing and exploding gradients". For the Elman RNN

    a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh,   h_t = f(a_t),   f = tanh or relu,

the Jacobian of one step is ``J_t = dh_t/dh_{t-1} = F_t W_hh`` with ``F_t =
diag(f'(a_t))``, and the gradient ``h_bar_t = dL_L/dh_t`` of a loss ``L_L`` read at the
last step ``t = L`` with respect to an earlier state is a product of such Jacobians:

    h_bar_t = h_bar_L  J_L  J_{L-1} ... J_{t+1}.

This module measures that gradient for every ``t`` (:func:`hidden_state_grad_norms`),
builds recurrent matrices with an exact spectral radius
(:func:`scale_to_spectral_radius`), and clips a gradient by its global norm, ``g <- g *
min(1, M / ||g||)`` (:func:`clip_grad_norm`), exactly as
``torch.nn.utils.clip_grad_norm_`` does.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch

from rnnbook._validation import fmt_shape

__all__ = [
    "spectral_radius",
    "scale_to_spectral_radius",
    "hidden_state_grad_norms",
    "clip_grad_norm",
]


def _square_matrix(W, name: str) -> torch.Tensor:
    if not isinstance(W, torch.Tensor):
        raise TypeError(f"expected {name} to be a torch.Tensor, got {type(W).__name__}")
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"expected {name} of shape (H, H), got {fmt_shape(W.shape)}")
    if not W.is_floating_point():
        raise TypeError(f"expected {name} with a floating-point dtype, got {W.dtype}")
    return W


def spectral_radius(W: torch.Tensor) -> float:
    """The largest absolute value of the eigenvalues of a square matrix ``W`` (H, H)."""
    W = _square_matrix(W, "W")
    return float(torch.linalg.eigvals(W.detach().double()).abs().max())


def scale_to_spectral_radius(W: torch.Tensor, rho: float) -> torch.Tensor:
    """Return ``W * rho / spectral_radius(W)``: the same matrix with spectral radius
    ``rho``.

    Scaling multiplies every eigenvalue by the same factor, so the result has spectral
    radius exactly ``rho`` (up to rounding). ``W`` is not modified.
    """
    W = _square_matrix(W, "W")
    if not isinstance(rho, (int, float)) or isinstance(rho, bool) or not rho > 0:
        raise ValueError(f"expected a positive spectral radius rho, got {rho!r}")
    current = spectral_radius(W)
    if current == 0.0:
        raise ValueError(
            "W is nilpotent (spectral radius 0): it cannot be scaled to another radius"
        )
    return W * (float(rho) / current)


def hidden_state_grad_norms(
    rnn: torch.nn.Module,
    x: torch.Tensor,
    h0: torch.Tensor | None = None,
    loss_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """``||h_bar_t|| = ||dL_L / dh_t||`` for every step of a one-layer Elman RNN,
    ordered by distance ``L - t``.

    ``rnn`` is an ``nn.RNN`` (or ``rnnbook.nn.RNN``) with one layer, one direction and
    ``batch_first=True``; ``x`` has shape (N, L, H_in) and ``h0`` (N, H_out) (zeros by
    default). The network is unrolled step by step with ``rnn``'s own parameters so that
    every ``h_t`` is a node of the graph; ``L_L = loss_fn(h_L)`` (default ``h_L.sum()``)
    must be a scalar that sums over the batch, so that the gradient for sequence ``n``
    is that sequence's own.

    Returns a tensor of shape (L + 1,) whose entry ``k`` is the mean over the batch of
    ``||dL_L / dh_{L-k}||``: entry 0 is the last state ``h_L`` and entry ``L`` is
    ``h_0``.
    """
    for attr, want in (
        ("num_layers", 1),
        ("bidirectional", False),
        ("batch_first", True),
    ):
        if getattr(rnn, attr, None) != want:
            raise ValueError(
                f"expected an RNN with {attr}={want}, got "
                f"{attr}={getattr(rnn, attr, None)!r}"
            )
    if getattr(rnn, "nonlinearity", None) not in ("tanh", "relu"):
        raise ValueError(
            f"expected an Elman RNN with nonlinearity 'tanh' or 'relu', got {rnn!r}"
        )
    H_in, H_out = rnn.input_size, rnn.hidden_size
    if not isinstance(x, torch.Tensor) or x.ndim != 3 or x.shape[2] != H_in:
        got = fmt_shape(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"expected x of shape (N, L, {H_in}), got {got}")
    N, L, _ = x.shape
    W_ih, W_hh = rnn.weight_ih_l0, rnn.weight_hh_l0
    b = (
        (rnn.bias_ih_l0 + rnn.bias_hh_l0)
        if rnn.bias
        else torch.zeros(H_out, dtype=x.dtype)
    )
    f = torch.tanh if rnn.nonlinearity == "tanh" else torch.relu
    if h0 is None:
        h0 = torch.zeros(N, H_out, dtype=x.dtype, device=x.device)
    elif tuple(h0.shape) != (N, H_out):
        raise ValueError(
            f"expected h0 of shape ({N}, {H_out}), got {fmt_shape(h0.shape)}"
        )
    h = h0.detach().clone().requires_grad_(True)
    states = [h]  # h_0, h_1, ..., h_L, each (N, H_out)
    for t in range(L):
        h = f(x[:, t] @ W_ih.T + h @ W_hh.T + b)  # the Elman step, (N, H_out)
        h.retain_grad()
        states.append(h)
    loss = (loss_fn or torch.sum)(h)
    if loss.ndim != 0:
        raise ValueError(
            f"expected loss_fn to return a scalar, got shape {fmt_shape(loss.shape)}"
        )
    grads = torch.autograd.grad(loss, states)  # h_bar_t, t = 0..L, each (N, H_out)
    norms = torch.stack([g.norm(dim=1).mean() for g in grads])  # (L + 1,), by t
    return norms.flip(0).detach()  # by distance L - t


def clip_grad_norm(
    parameters: Iterable[torch.Tensor], max_norm: float, eps: float = 1e-6
) -> torch.Tensor:
    """Clip the gradients of ``parameters`` in place by their global norm; return that
    norm.

    With ``g`` all the gradients stacked into one vector and ``M = max_norm``,

        g <- g * min(1, M / (||g|| + eps)),

    so the direction of ``g`` never changes, a gradient shorter than ``M`` is left alone
    and a longer one is shortened to length ``M``. Same result as
    ``torch.nn.utils.clip_grad_norm_`` (including its ``eps = 1e-6``). Parameters
    without a gradient are skipped.
    """
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    if (
        not isinstance(max_norm, (int, float))
        or isinstance(max_norm, bool)
        or not max_norm > 0
    ):
        raise ValueError(f"expected a positive max_norm, got {max_norm!r}")
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    # ||g||, all parameters
    total = torch.sqrt(sum((g.detach().double() ** 2).sum() for g in grads))
    scale = torch.clamp(max_norm / (total + eps), max=1.0)  # min(1, M / ||g||)
    for g in grads:
        g.detach().mul_(scale.to(g.dtype))
    return total.to(grads[0].dtype)
