"""What RNN, LSTM and GRU layers share: parameters, stacking, directions and the loop
over time.

A recurrent *layer* applies one cell step at every time step ``t = 1, ..., L``. This
module holds
everything that does not depend on which cell it is:

- the parameters, named, shaped, ordered and initialised exactly as in ``torch.nn``, so
  that ``load_state_dict`` works both ways;
- the loop over time (Introduced in the vanilla RNN chapter);
- stacking ``num_layers`` layers with dropout between them (Deep RNNs chapter);
- running a second layer from ``t = L`` down to ``1`` and concatenating (Bidirectional
  RNNs chapter);
- ``PackedSequence`` input (Task types chapter, section on variable-length batches).

A subclass (``rnnbook.nn.RNN``, ``LSTM``, ``GRU``) only says how many gate blocks its
weights have (``num_gates``), how many state tensors it carries (``num_states``: ``h``,
or ``h`` and ``c``) and what one step computes (``_step``).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from rnnbook.nn import _checks
from rnnbook.nn.packing import pack_time_major, unpack_time_major


class RecurrentBase(nn.Module):
    """Base class of ``RNN``, ``LSTM`` and ``GRU``; see those for the equations."""

    # gate blocks stacked in weight_ih: 1 (RNN), 4 (LSTM i,f,g,o), 3 (GRU r,z,n)
    num_gates: int = 1
    num_states: int = 1  # 1: h (RNN, GRU); 2: (h, c) (LSTM)
    # Whether b_hh can be added to the input projections of all steps at once (RNN,
    # LSTM: it is added to the whole pre-activation); the GRU's b_hn sits inside r_t *
    # (h W_hn^T + b_hn).
    fold_bias_hh: bool = True
    mode: str = ""

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
    ) -> None:
        _checks.check_config(
            input_size,
            hidden_size,
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            dropout=dropout,
            bidirectional=bidirectional,
        )
        super().__init__()
        self.input_size = int(input_size)  # int(): NumPy integers are accepted too
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)  # torch.nn also accepts 0 and 1
        self.proj_size = 0  # projections (LSTM's proj_size) are not implemented
        D = 2 if self.bidirectional else 1
        # rows of every weight matrix: all gates stacked
        G = self.num_gates * self.hidden_size
        factory = {"device": device, "dtype": dtype}
        # Registration order is torch's: layer by layer, forward direction before
        # reverse, and within one (layer, direction): W_ih, W_hh, b_ih, b_hh.
        for layer in range(self.num_layers):
            layer_input_size = self.input_size if layer == 0 else D * self.hidden_size
            for suffix in ["", "_reverse"][:D]:
                self.register_parameter(
                    f"weight_ih_l{layer}{suffix}",
                    nn.Parameter(torch.empty(G, layer_input_size, **factory)),
                )
                self.register_parameter(
                    f"weight_hh_l{layer}{suffix}",
                    nn.Parameter(torch.empty(G, self.hidden_size, **factory)),
                )
                if bias:
                    self.register_parameter(
                        f"bias_ih_l{layer}{suffix}",
                        nn.Parameter(torch.empty(G, **factory)),
                    )
                    self.register_parameter(
                        f"bias_hh_l{layer}{suffix}",
                        nn.Parameter(torch.empty(G, **factory)),
                    )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(H_out), 1/sqrt(H_out)), drawn in
        registration order (as torch.nn does, so the same seed gives the same
        parameters)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """Does nothing: kept so that code written for ``torch.nn`` (cuDNN) runs
        unchanged.
        """

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        for name, default in [
            ("num_layers", 1),
            ("bias", True),
            ("batch_first", False),
            ("dropout", 0.0),
            ("bidirectional", False),
        ]:
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """The parameters of every layer and direction, as ``torch.nn``'s
        ``all_weights``: ``[[W_ih, W_hh, b_ih, b_hh], ...]`` (without the biases if
        ``bias=False``), layer by layer, the forward direction before the reverse
        one."""
        D = 2 if self.bidirectional else 1
        return [
            [p for p in self._params(layer, direction) if p is not None]
            for layer in range(self.num_layers)
            for direction in range(D)
        ]

    def _params(self, layer: int, direction: int):
        """``(W_ih, W_hh, b_ih, b_hh)`` of one layer and direction; biases are None if
        bias=False.
        """
        suffix = "_reverse" if direction == 1 else ""
        return tuple(
            getattr(self, f"{kind}_l{layer}{suffix}", None)
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )

    def _step(self, xw_t, state: tuple, weight_hh_T, bias_hh) -> tuple:
        """One time step of the cell, given xw_t = x_t W_ih^T + b_ih and weight_hh_T =
        W_hh^T; returns the new state."""
        raise NotImplementedError

    def forward(self, input, hx=None):
        """Run the stack over a whole sequence.

        Args:
            input: ``(L, N, H_in)``, or ``(N, L, H_in)`` if ``batch_first``, or
            unbatched
                ``(L, H_in)``; or a ``PackedSequence``.
            hx: initial state of shape ``(D*num_layers, N, H_out)`` (unbatched:
                ``(D*num_layers, H_out)``); a tuple ``(h_0, c_0)`` for the LSTM. Zeros
                if None.

        Returns:
            ``output`` of shape ``(L, N, D*H_out)`` (``(N, L, D*H_out)`` if batch_first,
            ``(L, D*H_out)`` unbatched; a ``PackedSequence`` for packed input): the last
            layer's ``h_t`` at every step, both directions concatenated; and the final
            state ``h_n`` of every layer and direction, ``(D*num_layers, N, H_out)`` (an
            ``(h_n, c_n)`` tuple for the LSTM).
        """
        if isinstance(input, PackedSequence):
            self._check_input(input.data, packed=True)
            # (L, N, H_in) in the caller's order, (N,)
            x, lengths = unpack_time_major(input)
            batched = True
        else:
            batched = self._check_input(input)
            lengths = None
            if not batched:
                x = input.unsqueeze(1)  # (L, 1, H_in): a batch of one
            elif self.batch_first:
                # (L, N, H_in): time first, so x[t] is step t
                x = input.transpose(0, 1)
            else:
                x = input  # (L, N, H_in)
        L, N, _ = x.shape
        D = 2 if self.bidirectional else 1
        # each (D*num_layers, N, H_out)
        states = self._initial_states(hx, N, batched, x)

        layer_input = x  # (L, N, H_in) for layer 0, (L, N, D*H_out) above
        # per state: D*num_layers tensors (N, H_out)
        finals = [[] for _ in range(self.num_states)]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(D):
                w_ih, w_hh, b_ih, b_hh = self._params(layer, direction)
                # All L input projections at once, one matmul: x_t W_ih^T + b_ih for
                # every t. For the RNN and the LSTM, b_hh adds to the same
                # pre-activation at every step, so it is added here once (b_ih + b_hh)
                # instead of in each of the L steps.
                bias = b_ih
                if b_hh is not None and self.fold_bias_hh:
                    bias, b_hh = b_ih + b_hh, None
                # (L*N, H_in): every step
                steps = layer_input.reshape(L * N, layer_input.shape[-1])
                if bias is None:
                    xw = steps @ w_ih.T  # (L*N, G*H_out)
                else:
                    # (L*N, G*H_out): x_t W_ih^T + bias
                    xw = torch.addmm(bias, steps, w_ih.T)
                xw = xw.view(L, N, xw.shape[-1])  # (L, N, G*H_out)
                # each (N, H_out)
                start = tuple(s[layer * D + direction] for s in states)
                out, final = self._run_direction(
                    xw, start, w_hh, b_hh, direction == 1, lengths
                )
                outputs.append(out)  # (L, N, H_out)
                for i, s in enumerate(final):
                    finals[i].append(s)
            # (L, N, D*H_out)
            layer_input = torch.cat(outputs, dim=2) if D == 2 else outputs[0]
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                layer_input = self._dropout_between_layers(layer_input, input)
        h_n = tuple(torch.stack(f) for f in finals)  # each (D*num_layers, N, H_out)

        if isinstance(input, PackedSequence):
            # PackedSequence like the input
            output = pack_time_major(layer_input, input)
        elif not batched:
            output = layer_input.squeeze(1)  # (L, D*H_out)
            h_n = tuple(h.squeeze(1) for h in h_n)  # each (D*num_layers, H_out)
        elif self.batch_first:
            output = layer_input.transpose(0, 1)  # (N, L, D*H_out)
        else:
            output = layer_input  # (L, N, D*H_out)
        return output, (h_n if self.num_states == 2 else h_n[0])

    def _dropout_between_layers(self, h, input):
        """Dropout on one layer's output ``h`` ``(L, N, D*H_out)`` before the next layer
        reads it.

        For packed input ``torch.nn`` draws the mask over the packed data (only the
        valid steps, ``(number of valid steps, D*H_out)``), so we do too: the same seed
        then gives the same mask.
        """
        if not isinstance(input, PackedSequence):
            return nn.functional.dropout(h, self.dropout, training=True)
        packed = pack_time_major(h, input)  # data: (number of valid steps, D*H_out)
        dropped = nn.functional.dropout(packed.data, self.dropout, training=True)
        # (L, N, D*H_out), zeros after the ends
        h, _ = unpack_time_major(packed._replace(data=dropped))
        return h

    def _run_direction(
        self, xw, state: tuple, weight_hh, bias_hh, reverse: bool, lengths=None
    ):
        """The loop over time for one layer and direction.

        ``xw`` is ``(L, N, G*H_out)``, the precomputed input projections; ``state`` the
        initial state. The reverse direction reads ``t = L, ..., 1``. With ``lengths``
        (packed input), sequence ``n`` is only updated while ``t < lengths[n]``, so
        padding never enters a state. Returns the outputs ``(L, N, H_out)`` and the
        final state.
        """
        L = xw.shape[0]
        # Transposed once here rather than at every step inside the step function: a
        # transpose is free to compute, but autograd records it, and differentiates it,
        # every time it is made.
        weight_hh_T = weight_hh.T  # (H_out, G*H_out)
        # unbind, not xw[t]: the backward of unbind stacks the L gradients once, whereas
        # every xw[t] would allocate a zero gradient of the full (L, N, G*H_out) size.
        xw_steps = xw.unbind(0)  # L tensors (N, G*H_out)
        outputs = [None] * L
        for t in reversed(range(L)) if reverse else range(L):
            # each (N, H_out)
            new = self._step(xw_steps[t], state, weight_hh_T, bias_hh)
            if lengths is not None:
                # (N, 1): still inside its sequence?
                active = (t < lengths).unsqueeze(1)
                new = tuple(
                    torch.where(active, s_new, s) for s_new, s in zip(new, state)
                )
            state = new
            outputs[t] = state[0]  # the output at step t is h_t
        return torch.stack(outputs), state  # (L, N, H_out)

    def _check_input(self, input, packed: bool = False) -> bool:
        """Check the input tensor (for packed input: its ``data``); returns whether it
        is batched.
        """
        layout = "(N, L, {})" if self.batch_first else "(L, N, {})"
        # PackedSequence.data holds the valid steps of all sequences, stacked
        if packed:
            layout = "(number of valid steps, {})"
        return _checks.check_input(
            input,
            input_size=self.input_size,
            dtype=self.weight_ih_l0.dtype,
            batched=layout.format(self.input_size),
            unbatched=None if packed else f"(L, {self.input_size})",
            time_axis=None if packed else int(self.batch_first),
        )

    def _initial_states(self, hx, N: int, batched: bool, x) -> tuple:
        """Check ``hx`` and return it as a tuple of ``(D*num_layers, N, H_out)``
        tensors.
        """
        rows = (2 if self.bidirectional else 1) * self.num_layers
        if hx is None:
            zeros = x.new_zeros(rows, N, self.hidden_size)  # (D*num_layers, N, H_out)
            return (zeros,) * self.num_states
        states = _checks.split_state(hx, self.num_states)
        expected = (rows, N, self.hidden_size) if batched else (rows, self.hidden_size)
        names = ["hx"] if self.num_states == 1 else ["hx[0] (h_0)", "hx[1] (c_0)"]
        for h, name in zip(states, names):
            _checks.check_state(h, name, expected, dtype=x.dtype)
        if not batched:
            # each (D*num_layers, 1, H_out)
            states = tuple(h.unsqueeze(1) for h in states)
        return states
