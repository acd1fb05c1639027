"""The parameters of a stack of recurrent layers (``RNN``, ``LSTM``, ``GRU``), as
``torch.nn`` holds them.

For every layer ``l`` and direction (``_reverse`` for the second one of a bidirectional
stack): ``weight_ih_l{l}`` ``(G*H, H_in)`` for the first layer, ``(G*H, D*H_out)`` above
it; ``weight_hh_l{l}`` ``(G*H, H_out)``; with ``bias``, ``bias_ih_l{l}`` and
``bias_hh_l{l}`` ``(G*H,)``; and for an LSTM with projections ``weight_hr_l{l}``
``(P, H)``. G is the number of gate blocks (1, 4 or 3), H = ``hidden_size``, and H_out
the size of h: ``proj_size`` P with projections, else H. Named, shaped, registered and
initialised exactly as in ``torch.nn``, so that ``load_state_dict`` works both ways and
the same seed gives the same parameters. The constructor's arguments are checked as
``torch.nn`` checks them (``_config.py``).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnbook.nn import _config


class RecurrentParameters(nn.Module):
    """The parameters of a stack of recurrent layers, as ``torch.nn.RNNBase`` holds
    them; ``RecurrentBase`` adds what the stack computes."""

    # gate blocks stacked in weight_ih: 1 (RNN), 4 (LSTM i,f,g,o), 3 (GRU r,z,n)
    num_gates: int = 1
    num_states: int = 1  # 1: h (RNN, GRU); 2: (h, c) (LSTM)
    mode: str = ""  # as torch.nn's: "RNN_TANH", "RNN_RELU", "LSTM", "GRU"

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
        _config.check_layer_args(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size
        )
        super().__init__()
        self.input_size = int(input_size)  # int(): NumPy integers are accepted too
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        # kept as given, as torch.nn does: any value, only its truth counts
        self.bidirectional = bidirectional
        self.proj_size = int(proj_size)  # > 0 only for an LSTM with projections
        D = 2 if bidirectional else 1
        G = self.num_gates * self.hidden_size  # rows of every weight: all gates
        H_out = self.proj_size or self.hidden_size  # the size of h
        factory = {"device": device, "dtype": dtype}
        # Registration order is torch's: layer by layer, forward direction before
        # reverse, and within one (layer, direction): W_ih, W_hh, b_ih, b_hh, W_hr.
        for layer in range(self.num_layers):
            shapes = {
                "weight_ih": (G, self.input_size if layer == 0 else D * H_out),
                "weight_hh": (G, H_out),
            }
            if bias:
                shapes.update(bias_ih=(G,), bias_hh=(G,))
            if self.proj_size:
                shapes["weight_hr"] = (self.proj_size, self.hidden_size)
            for suffix in ["", "_reverse"][:D]:
                for kind, shape in shapes.items():
                    self.register_parameter(
                        f"{kind}_l{layer}{suffix}",
                        nn.Parameter(torch.empty(shape, **factory)),
                    )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)) with H = ``hidden_size``
        (also with projections), drawn in registration order, as torch.nn does: the
        same seed gives the same parameters."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """Does nothing: kept so that code written for ``torch.nn`` (cuDNN) runs
        unchanged.
        """

    def extra_repr(self) -> str:
        """As ``torch.nn.RNNBase.extra_repr``: the arguments that differ from their
        defaults."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        for name, default in [("bias", True), ("batch_first", False)]:
            if getattr(self, name) is not default:
                s += f", {name}={getattr(self, name)}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """The parameters of every layer and direction, as ``torch.nn``'s
        ``all_weights``: ``[[W_ih, W_hh, b_ih, b_hh, W_hr], ...]`` (without the biases
        if ``bias=False``, without ``W_hr`` if ``proj_size=0``), layer by layer, the
        forward direction before the reverse one."""
        D = 2 if self.bidirectional else 1
        return [
            [p for p in self._params(layer, direction) if p is not None]
            for layer in range(self.num_layers)
            for direction in range(D)
        ]

    def _params(self, layer: int, direction: int):
        """``(W_ih, W_hh, b_ih, b_hh, W_hr)`` of one layer and direction; None for
        what the layer does not have (biases if bias=False, W_hr if proj_size=0).
        """
        suffix = "_reverse" if direction == 1 else ""
        return tuple(
            getattr(self, f"{kind}_l{layer}{suffix}", None)
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
        )
