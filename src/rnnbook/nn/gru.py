"""The GRU: one step, a cell, and a multi-layer layer like ``torch.nn.GRU``.

Introduced in the GRU chapter. With row vectors, in PyTorch's gate order (r, z, n):

    r_t = sigma(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)          reset gate
    z_t = sigma(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)          update gate
    n_t = tanh (x_t W_in^T + b_in + r_t * (h_{t-1} W_hn^T + b_hn))  new state
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

Note that the reset gate multiplies ``h_{t-1} W_hn^T + b_hn``, bias included (PyTorch's
and cuDNN's variant), so ``b_hn`` cannot be merged into ``b_in``.
``W_ih = [W_ir; W_iz; W_in]`` is ``(3 H_out, H_in)`` and ``W_hh`` is ``(3 H_out,
H_out)``.
"""

from __future__ import annotations

import torch

from rnnbook.nn import _config
from rnnbook.nn.cell import RecurrentCellBase
from rnnbook.nn.recurrent import RecurrentBase


def gru_step(xw_t, h, weight_hh_T, bias_hh=None):
    """One GRU step; returns ``h_t``, ``(N, H_out)``.

    ``xw_t = x_t W_ih^T + b_ih`` is ``(N, 3 H_out)``, computed by the caller; ``h`` is
    ``h_{t-1}``; ``weight_hh_T`` is ``W_hh^T``, ``(H_out, 3 H_out)``, transposed by the
    caller (a layer transposes once per sequence, not at every step). The equations are
    in this module's docstring.
    """
    hw = h @ weight_hh_T  # (N, 3 H_out): h_{t-1} W_hh^T for all three gates, one matmul
    if bias_hh is not None:
        hw = hw + bias_hh
    # unsafe_chunk: chunk without autograd's bookkeeping for in-place changes of the
    # pieces, which never happen here (see lstm_step)
    x_r, x_z, x_n = xw_t.unsafe_chunk(3, dim=1)  # 3 x (N, H_out), in the order r, z, n
    h_r, h_z, h_n = hw.unsafe_chunk(3, dim=1)  # 3 x (N, H_out)
    r = torch.sigmoid(x_r + h_r)  # reset gate r_t
    z = torch.sigmoid(x_z + h_z)  # update gate z_t
    n = torch.tanh(x_n + r * h_n)  # new state n_t
    return (1 - z) * n + z * h  # h_t = (1 - z_t) * n_t + z_t * h_{t-1}


class GRUCell(RecurrentCellBase):
    """One GRU step, a drop-in replacement for ``torch.nn.GRUCell``.

    ``forward(input, hx=None)`` returns ``h'`` (equations in the module docstring;
    Introduced in the GRU chapter). Parameters ``weight_ih (3 H_out, H_in)``,
    ``weight_hh (3 H_out, H_out)``, ``bias_ih``, ``bias_hh (3 H_out,)``, gates r, z, n.
    Accepts what ``torch.nn.GRUCell`` accepts (any truthy ``bias``, sizes of 0), but
    not a ``bool`` as a size.
    """

    num_gates = 3

    def _step(self, xw_t, state, weight_hh_T, bias_hh, weight_hr_T):
        return (gru_step(xw_t, state[0], weight_hh_T, bias_hh),)


class GRU(RecurrentBase):
    """A (multi-layer, optionally bidirectional) GRU, a drop-in replacement for
    ``torch.nn.GRU``.

    Every layer and direction applies ``gru_step`` at each ``t`` (equations in the
    module docstring; Introduced in the GRU chapter); stacking and directions as in
    ``rnnbook.nn.RNN``.

    Args: as ``torch.nn.GRU``: ``input_size`` (H_in), ``hidden_size`` (H_out),
    ``num_layers``, ``bias``, ``batch_first``, ``dropout``, ``bidirectional``,
    ``device``, ``dtype``. Parameters ``weight_ih_l{k}[_reverse]`` ``(3 H_out, H_in)``
    (layer 0) or ``(3 H_out, D*H_out)``, ``weight_hh_l{k}[_reverse]`` ``(3 H_out,
    H_out)``, ``bias_ih_l{k}[_reverse]``, ``bias_hh_l{k}[_reverse]`` ``(3 H_out,)``.

    ``forward(input, hx=None) -> (output, h_n)``; see ``RecurrentBase.forward`` for
    shapes.

    Accepts and refuses what ``torch.nn.GRU`` does, with the same exceptions, except
    for sizes (NumPy integers accepted, ``bool`` refused), as ``rnnbook.nn.RNN``
    explains. ``proj_size`` raises a ``ValueError``, as in ``torch.nn``.
    """

    num_gates = 3
    num_states = 1
    mode = "GRU"
    fold_bias_hh = False  # b_hn is multiplied by r_t, so b_hh stays inside the step

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
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

    def _step(self, xw_t, state, weight_hh_T, bias_hh, weight_hr_T):
        return (gru_step(xw_t, state[0], weight_hh_T, bias_hh),)
