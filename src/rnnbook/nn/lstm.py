"""The LSTM: one step, a cell, and a multi-layer layer like ``torch.nn.LSTM``.

Introduced in the LSTM chapter. With row vectors, in PyTorch's gate order (i, f, g, o):

    i_t = sigma(x_t W_ii^T + b_ii + h_{t-1} W_hi^T + b_hi)    input gate
    f_t = sigma(x_t W_if^T + b_if + h_{t-1} W_hf^T + b_hf)    forget gate
    g_t = tanh (x_t W_ig^T + b_ig + h_{t-1} W_hg^T + b_hg)    cell candidate
    o_t = sigma(x_t W_io^T + b_io + h_{t-1} W_ho^T + b_ho)    output gate
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

``W_ih = [W_ii; W_if; W_ig; W_io]`` is ``(4 H_out, H_in)`` and ``W_hh`` is ``(4 H_out,
H_out)``: the four gates are stacked row-wise, so one matrix product computes all of
them.

With projections (``proj_size`` P > 0; Sak et al. 2014, "LSTM with a recurrent
projection layer"; introduced in the Deep RNNs chapter), the cell keeps H =
``hidden_size`` units, and what it outputs and feeds back is projected down to P
features by ``W_hr`` ``(P, H)``:

    m_t = o_t * tanh(c_t)           (N, H): what the plain LSTM outputs as h_t
    h_t = m_t W_hr^T                (N, P)

so ``c_t`` has H features, ``h_t`` has P, and ``W_hh`` is ``(4 H, P)``. The
recurrent weights shrink from 4 H^2 to 4 H P + P H numbers.
"""

from __future__ import annotations

import torch

from rnnbook.nn.cell import RecurrentCellBase
from rnnbook.nn.recurrent import RecurrentBase


def lstm_step(xw_t, h, c, weight_hh_T, bias_hh=None, weight_hr_T=None):
    """One LSTM step; returns ``(h_t, c_t)``, each ``(N, H)`` (``h_t``: ``(N, P)``
    with projections).

    ``xw_t = x_t W_ih^T + b_ih`` is ``(N, 4 H)``, computed by the caller (a layer
    computes it for all steps at once, with ``b_hh`` already added, and passes
    ``bias_hh=None``); ``h``, ``c`` are ``h_{t-1}``, ``c_{t-1}``. ``weight_hh_T`` is
    ``W_hh^T``, ``(H, 4 H)`` (``(P, 4 H)`` with projections), and ``weight_hr_T`` is
    ``W_hr^T``, ``(H, P)``, or None without projections; both transposed by the caller
    (a layer transposes once per sequence, not at every step). The equations are in
    this module's docstring.
    """
    gates = xw_t + h @ weight_hh_T  # (N, 4 H): all four pre-activations, one matmul
    if bias_hh is not None:
        gates = gates + bias_hh
    # unsafe_chunk is chunk without the bookkeeping autograd keeps for pieces that might
    # later be changed in place; nothing changes them in place here, and skipping it
    # saves a few per cent of a layer's time (torch.nn's own CPU LSTM cell splits its
    # gates the same way). 4 x (N, H), in the order i, f, g, o
    a_i, a_f, a_g, a_o = gates.unsafe_chunk(4, dim=1)
    i = torch.sigmoid(a_i)  # input gate i_t
    f = torch.sigmoid(a_f)  # forget gate f_t
    g = torch.tanh(a_g)  # cell candidate g_t
    o = torch.sigmoid(a_o)  # output gate o_t
    c = f * c + i * g  # c_t = f_t * c_{t-1} + i_t * g_t
    h = o * torch.tanh(c)  # h_t = o_t * tanh(c_t) (m_t with projections)
    if weight_hr_T is not None:
        h = h @ weight_hr_T  # h_t = m_t W_hr^T, (N, P)
    return h, c


class LSTMCell(RecurrentCellBase):
    """One LSTM step, a drop-in replacement for ``torch.nn.LSTMCell``.

    ``forward(input, hx=None)`` with ``hx = (h, c)`` returns ``(h', c')`` (equations in
    the module docstring; Introduced in the LSTM chapter). Parameters ``weight_ih (4
    H_out, H_in)``, ``weight_hh (4 H_out, H_out)``, ``bias_ih``, ``bias_hh (4 H_out,)``,
    gates i, f, g, o. As in ``torch.nn``, any truthy ``bias`` and sizes of 0 are
    accepted (a ``bool`` as a size is not), and ``c`` may have another dtype than the
    parameters (the new state then has the promoted dtype).
    """

    num_gates = 4
    num_states = 2

    def _step(self, xw_t, state, weight_hh_T, bias_hh, weight_hr_T):
        return lstm_step(xw_t, *state, weight_hh_T, bias_hh)


class LSTM(RecurrentBase):
    """A (multi-layer, optionally bidirectional) LSTM, a drop-in replacement for
    ``torch.nn.LSTM``.

    Every layer and direction applies ``lstm_step`` at each ``t`` (equations in the
    module docstring; Introduced in the LSTM chapter); stacking and directions as in
    ``rnnbook.nn.RNN``.

    Args: as ``torch.nn.LSTM``: ``input_size`` (H_in), ``hidden_size`` (H),
    ``num_layers``, ``bias``, ``batch_first``, ``dropout``, ``bidirectional``,
    ``proj_size`` (P: 0 for none, else 0 < P < H), ``device``, ``dtype``. The output
    and ``h`` have H_out = P features with projections, H without. Parameters
    ``weight_ih_l{k}[_reverse]`` ``(4 H, H_in)`` (layer 0) or ``(4 H, D*H_out)``,
    ``weight_hh_l{k}[_reverse]`` ``(4 H, H_out)``, ``bias_ih_l{k}[_reverse]``,
    ``bias_hh_l{k}[_reverse]`` ``(4 H,)``, and with projections
    ``weight_hr_l{k}[_reverse]`` ``(P, H)``, registered and initialised in
    ``torch.nn``'s order, so ``load_state_dict`` works both ways.

    ``forward(input, hx=None) -> (output, (h_n, c_n))`` with ``hx = (h_0, c_0)``:
    ``h_0`` is ``(D*num_layers, N, H_out)`` and ``c_0`` ``(D*num_layers, N, H)``; see
    ``RecurrentBase.forward`` for shapes.

    Accepts and refuses what ``torch.nn.LSTM`` does, with the same exceptions, except
    for sizes (NumPy integers accepted, ``bool`` refused; see ``rnnbook.nn.RNN``) and a
    state ``hx`` of three tensors for unbatched input, which ``torch.nn`` silently cuts
    to two: ``hx`` must be a pair ``(h_0, c_0)``.
    """

    num_gates = 4
    num_states = 2
    mode = "LSTM"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device=device,
            dtype=dtype,
        )

    def _step(self, xw_t, state, weight_hh_T, bias_hh, weight_hr_T):
        return lstm_step(xw_t, *state, weight_hh_T, bias_hh, weight_hr_T)
