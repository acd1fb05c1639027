"""Small, reusable models built from a recurrent layer and a linear read-out.

- :class:`SeqForecaster`: a stack of RNN, LSTM or GRU layers followed by a ``Linear``
  layer applied at every time step, which forecasts the next ``horizon`` values from
  each step. Introduced in the chapter "The forecasting benchmark", section "The seed's
  three models".

Shapes follow the book's notation: ``N`` sequences of ``L`` steps with ``H_in``
features, ``H`` hidden units per layer (``hidden_size``) and ``K`` forecast values per
step (``horizon``).
"""

from __future__ import annotations

import torch
from torch import nn

from rnnbook._validation import fmt_shape, shape_error

#: The cells a :class:`SeqForecaster` can use.
CELLS = ("rnn", "lstm", "gru")
#: Where the recurrent layers come from: PyTorch's fused layers or the book's own
# (``rnnbook.nn``).
BACKENDS = ("torch", "rnnbook")


def _layer_class(cell: str, backend: str) -> type[nn.Module]:
    if cell not in CELLS:
        raise ValueError(f"expected cell to be one of {CELLS}, got {cell!r}")
    if backend not in BACKENDS:
        raise ValueError(f"expected backend to be one of {BACKENDS}, got {backend!r}")
    if backend == "torch":
        module = nn
    else:
        # imported here: rnnbook.nn is only needed on request
        import rnnbook.nn as module
    return {"rnn": module.RNN, "lstm": module.LSTM, "gru": module.GRU}[cell]


def _positive_int(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"expected {name} to be a positive integer, got {value!r}")
    return value


class SeqForecaster(nn.Module):
    """A recurrent layer that reads the series, and a linear layer that forecasts from
    every step.

    For an input ``x`` of shape (N, L, H_in), the recurrent layer (``num_layers``
    stacked layers of ``cell``, ``batch_first=True``) produces the top layer's hidden
    states
    :math:`h_1, \\dots, h_L`, and the read-out maps each of them to ``horizon``
    forecasts:

    .. math:: \\hat y_t = h_t W_{hy}^\\top + b_y, \\qquad \\hat y_t \\in
    \\mathbb{R}^{K},

    so the output has shape (N, L, K), and ``y_hat[:, t, k - 1]`` forecasts :math:`x_{t
    + k}` (with ``t`` counted from 0 in code). The parameters are named ``rnn.*``
      (exactly as in the
    chosen layer, e.g. ``rnn.weight_ih_l0``) and ``fc.weight``, ``fc.bias``, so the
    state dicts of the ``"torch"`` and ``"rnnbook"`` backends load into each other.

    - ``cell``: ``"rnn"`` (tanh), ``"lstm"`` or ``"gru"``;
    - ``backend``: ``"torch"`` for ``torch.nn`` layers (fast, fused) or ``"rnnbook"``
      for the book's from-scratch ``rnnbook.nn`` layers (same numbers, slower);
    - ``dropout``: between stacked recurrent layers, as in ``torch.nn``.
    """

    def __init__(
        self,
        cell: str = "lstm",
        input_size: int = 1,
        hidden_size: int = 20,
        num_layers: int = 2,
        horizon: int = 10,
        *,
        dropout: float = 0.0,
        backend: str = "torch",
    ) -> None:
        super().__init__()
        layer = _layer_class(cell, backend)
        self.cell = cell
        self.backend = backend
        self.input_size = _positive_int(input_size, "input_size")
        self.hidden_size = _positive_int(hidden_size, "hidden_size")
        self.num_layers = _positive_int(num_layers, "num_layers")
        self.horizon = _positive_int(horizon, "horizon")
        self.rnn = layer(
            input_size, hidden_size, num_layers, batch_first=True, dropout=dropout
        )
        self.fc = nn.Linear(hidden_size, horizon)  # W_hy (K, H), b_y (K,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, L, H_in) -> (N, L, horizon): a ``horizon``-step forecast per step."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"expected x to be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise shape_error("x", f"(N, L, {self.input_size})", x.shape)
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(
                "expected a non-empty batch of sequences, got shape "
                f"{fmt_shape(x.shape)}"
            )
        out, _ = self.rnn(x)  # (N, L, H): the top layer's h_t at every step
        # (N, L, K): Linear acts on the last dimension, step by step
        return self.fc(out)

    def extra_repr(self) -> str:
        return f"cell={self.cell!r}, backend={self.backend!r}"
