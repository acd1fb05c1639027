"""What RNNCell, LSTMCell and GRUCell share: parameters, input checks, one step.

A *cell* computes a single time step: given ``x_t`` and the previous state it returns
the new state. It has the parameters of one layer and one direction, named as in
``torch.nn`` (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``) so
``load_state_dict`` works both ways. A subclass says how many gate blocks it has
(``num_gates``), how many state tensors it carries (``num_states``) and what the step
computes (``_step``, the same function its layer uses).

As in ``torch.nn``, a cell takes any truthy or falsy ``bias`` (``RNNCell(10, 20,
'relu')`` has a bias: the third argument is ``bias``) and sizes of 0.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnbook.nn import _checks, _config


class RecurrentCellBase(nn.Module):
    """Base class of ``RNNCell``, ``LSTMCell`` and ``GRUCell``; see those for the
    equations.
    """

    num_gates: int = 1
    num_states: int = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        _config.check_cell_sizes(input_size, hidden_size, self.num_gates)
        super().__init__()
        self.input_size = int(input_size)  # int(): NumPy integers are accepted too
        self.hidden_size = int(hidden_size)
        self.bias = bias  # kept as given, as torch.nn does: only its truth counts
        # rows of each weight matrix: all gates stacked
        G = self.num_gates * self.hidden_size
        factory = {"device": device, "dtype": dtype}
        self.weight_ih = nn.Parameter(torch.empty(G, self.input_size, **factory))
        self.weight_hh = nn.Parameter(torch.empty(G, self.hidden_size, **factory))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(G, **factory))
            self.bias_hh = nn.Parameter(torch.empty(G, **factory))
        else:  # registered as None, as torch.nn does, so that cell.bias_ih exists
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(H_out), 1/sqrt(H_out)), as in torch.nn
        (0 if H_out = 0)."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        """As ``torch.nn.RNNCellBase.extra_repr``."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, xw_t, state: tuple, weight_hh_T, bias_hh, weight_hr_T) -> tuple:
        """One time step, given xw_t = x_t W_ih^T + b_ih and weight_hh_T = W_hh^T
        (weight_hr_T is None: cells have no projections); returns the new state."""
        raise NotImplementedError

    def forward(self, input, hx=None):
        """One step: ``input`` is ``(N, H_in)`` or unbatched ``(H_in,)``; ``hx`` the
        previous state ``(N, H_out)`` / ``(H_out,)`` (a tuple ``(h, c)`` for the LSTM
        cell), zeros if None. Returns the new state with the same shape(s)."""
        batched, state = _checks.check_cell_call(self, input, hx)
        x = input if batched else input.unsqueeze(0)  # (N, H_in)
        if state is None:  # each (N, H_out)
            state = (x.new_zeros(x.shape[0], self.hidden_size),) * self.num_states
        xw = x @ self.weight_ih.T  # (N, G*H_out)
        if self.bias_ih is not None:
            xw = xw + self.bias_ih
        # each (N, H_out)
        state = self._step(xw, state, self.weight_hh.T, self.bias_hh, None)
        if not batched:
            state = tuple(h.squeeze(0) for h in state)  # each (H_out,)
        return state if self.num_states == 2 else state[0]
