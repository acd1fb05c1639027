"""The vanilla (Elman) RNN: one step, a cell, and a multi-layer layer like
``torch.nn.RNN``.

Introduced in the vanilla RNN chapter. With row vectors (the book's convention), one
step is

    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)

where ``W_ih`` is ``(H_out, H_in)``, ``W_hh`` is ``(H_out, H_out)`` and ``h_0 = 0``
unless given; with ``nonlinearity='relu'`` the tanh becomes max(0, .).
"""

from __future__ import annotations

import torch

from rnnbook.nn import _config
from rnnbook.nn.cell import RecurrentCellBase
from rnnbook.nn.recurrent import RecurrentBase


def rnn_step(xw_t, h, weight_hh_T, bias_hh=None, nonlinearity: str = "tanh"):
    """One Elman step: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``.

    ``xw_t = x_t W_ih^T + b_ih`` is computed by the caller (a layer does it for all
    steps at once, with ``b_hh`` already added, and passes ``bias_hh=None``); ``h`` is
    ``h_{t-1}``, ``(N, H_out)``; ``weight_hh_T`` is ``W_hh^T``, transposed by the caller
    (a layer transposes once per sequence, not at every step). Returns ``h_t``, ``(N,
    H_out)``.
    """
    a = xw_t + h @ weight_hh_T  # (N, H_out): the pre-activation
    if bias_hh is not None:
        a = a + bias_hh
    return torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)


class RNNCell(RecurrentCellBase):
    """One step of the Elman RNN, a drop-in replacement for ``torch.nn.RNNCell``.

    ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu). Introduced in the
    vanilla RNN chapter. Parameters ``weight_ih (H_out, H_in)``, ``weight_hh (H_out,
    H_out)``, ``bias_ih (H_out,)``, ``bias_hh (H_out,)``.

    Accepts what ``torch.nn.RNNCell`` accepts (any truthy ``bias``, sizes of 0), with
    two deliberate differences: a ``nonlinearity`` other than 'tanh' or 'relu' is
    refused at once (``torch.nn`` builds the cell and fails at its first call, far from
    the mistake), and so is a ``bool`` as a size (``torch.nn`` reads ``True`` as 1).
    """

    num_gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        _config.check_nonlinearity(nonlinearity, cell=True)
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _step(self, xw_t, state, weight_hh_T, bias_hh, weight_hr_T):
        return (rnn_step(xw_t, state[0], weight_hh_T, bias_hh, self.nonlinearity),)


class RNN(RecurrentBase):
    """A (multi-layer, optionally bidirectional) Elman RNN, a drop-in replacement for
    ``torch.nn.RNN``.

    For each layer and direction, at every step ``t`` (Introduced in the vanilla RNN
    chapter):

        h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)

    Layer ``l > 0`` reads the outputs of layer ``l-1`` (both directions concatenated),
    with dropout between layers in training mode (Deep RNNs chapter); the reverse
    direction reads ``t = L, ..., 1`` (Bidirectional RNNs chapter).

    Args: as ``torch.nn.RNN``: ``input_size`` (H_in), ``hidden_size`` (H_out),
    ``num_layers``, ``nonlinearity`` ('tanh' or 'relu'), ``bias``, ``batch_first``,
    ``dropout``, ``bidirectional``, ``device``, ``dtype``. Parameters
    ``weight_ih_l{k}[_reverse]`` ``(H_out, H_in)`` (layer 0) or ``(H_out, D*H_out)``,
    ``weight_hh_l{k}[_reverse]`` ``(H_out, H_out)``, ``bias_ih_l{k}[_reverse]``,
    ``bias_hh_l{k}[_reverse]`` ``(H_out,)``.

    ``forward(input, hx=None) -> (output, h_n)``; see ``RecurrentBase.forward`` for
    shapes.

    Accepts and refuses what ``torch.nn.RNN`` does, with the same exceptions (messages
    start with torch's words), except that sizes may be NumPy integers but not ``bool``
    (``torch.nn`` refuses the former and reads ``RNN(3, 4, True)`` as ``num_layers=1``,
    surely a slip for ``bias=True``). ``proj_size`` raises a ``ValueError``, as in
    ``torch.nn``: only the LSTM has projections.
    """

    num_gates = 1
    num_states = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        *,
        proj_size=None,
    ) -> None:
        _config.refuse_proj_size(proj_size)
        _config.check_nonlinearity(nonlinearity)
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device=device,
            dtype=dtype,
        )
        self.nonlinearity = nonlinearity
        # as torch.nn.RNN.mode
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def _step(self, xw_t, state, weight_hh_T, bias_hh, weight_hr_T):
        return (rnn_step(xw_t, state[0], weight_hh_T, bias_hh, self.nonlinearity),)
