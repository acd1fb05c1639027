"""What RNN, LSTM and GRU layers share: parameters, stacking, directions and the loop
over time.

A recurrent *layer* applies one cell step at every time step ``t = 1, ..., L``. This
module holds everything that does not depend on which cell it is:

- the parameters, named, shaped, ordered and initialised exactly as in ``torch.nn``
  (``parameters.py``);
- the loop over time (Introduced in the vanilla RNN chapter);
- stacking ``num_layers`` layers with dropout between them (Deep RNNs chapter);
- running a second layer from ``t = L`` down to ``1`` and concatenating (Bidirectional
  RNNs chapter);
- ``PackedSequence`` input (Task types chapter, section on variable-length batches).

A subclass (``rnnbook.nn.RNN``, ``LSTM``, ``GRU``) only says how many gate blocks its
weights have (``num_gates``), how many state tensors it carries (``num_states``: ``h``,
or ``h`` and ``c``) and what one step computes (``_step``). What a call checks, in
``torch.nn``'s order and with its words, is in ``_checks.py``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from rnnbook.nn import _checks
from rnnbook.nn.packing import pack_time_major, unpack_time_major
from rnnbook.nn.parameters import RecurrentParameters


class RecurrentBase(RecurrentParameters):
    """Base class of ``RNN``, ``LSTM`` and ``GRU``; see those for the equations."""

    # Whether b_hh can be added to the input projections of all steps at once (RNN,
    # LSTM: it is added to the whole pre-activation); the GRU's b_hn sits inside r_t *
    # (h W_hn^T + b_hn).
    fold_bias_hh: bool = True

    def _step(self, xw_t, state: tuple, weight_hh_T, bias_hh, weight_hr_T) -> tuple:
        """One time step of the cell, given xw_t = x_t W_ih^T + b_ih, weight_hh_T =
        W_hh^T and (LSTM with projections only, else None) weight_hr_T = W_hr^T;
        returns the new state."""
        raise NotImplementedError

    def forward(self, input, hx=None):
        """Run the stack over a whole sequence.

        Args:
            input: ``(L, N, H_in)``, or ``(N, L, H_in)`` if ``batch_first``, or
                unbatched ``(L, H_in)``; or a ``PackedSequence``.
            hx: initial state of shape ``(D*num_layers, N, H_out)`` (unbatched:
                ``(D*num_layers, H_out)``); a tuple ``(h_0, c_0)`` for the LSTM, where
                ``c_0`` has ``hidden_size`` features and ``h_0`` ``proj_size`` if the
                LSTM has projections. Zeros if None.

        Returns:
            ``output`` of shape ``(L, N, D*H_out)`` (``(N, L, D*H_out)`` if batch_first,
            ``(L, D*H_out)`` unbatched; a ``PackedSequence`` for packed input): the last
            layer's ``h_t`` at every step, both directions concatenated; and the final
            state ``h_n`` of every layer and direction, ``(D*num_layers, N, H_out)`` (an
            ``(h_n, c_n)`` tuple for the LSTM).
        """
        batched, states = _checks.check_layer_call(self, input, hx)
        lengths = None
        if isinstance(input, PackedSequence):
            # (L, N, H_in) in the caller's order, (N,)
            x, lengths = unpack_time_major(input)
        elif not batched:
            x = input.unsqueeze(1)  # (L, 1, H_in): a batch of one
        elif self.batch_first:
            x = input.transpose(0, 1)  # (L, N, H_in): time first, so x[t] is step t
        else:
            x = input  # (L, N, H_in)
        L, N, _ = x.shape
        D = 2 if self.bidirectional else 1
        if states is None:  # zeros: h (D*num_layers, N, H_out), c (.., hidden_size)
            sizes = [self.proj_size or self.hidden_size, self.hidden_size]
            states = tuple(
                x.new_zeros(D * self.num_layers, N, size)
                for size in sizes[: self.num_states]
            )

        layer_input = x  # (L, N, H_in) for layer 0, (L, N, D*H_out) above
        # per state: D*num_layers tensors (N, H_out)
        finals = [[] for _ in range(self.num_states)]
        # The last layer of a batch_first stack stacks its outputs as (N, L, H_out):
        # the output is then contiguous, as torch.nn's, without a copy.
        batch_major = self.batch_first and batched and lengths is None
        for layer in range(self.num_layers):
            last = layer == self.num_layers - 1
            outputs = []
            for direction in range(D):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._params(layer, direction)
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
                    xw = steps @ w_ih.T  # (L*N, G*H)
                else:
                    # (L*N, G*H): x_t W_ih^T + bias
                    xw = torch.addmm(bias, steps, w_ih.T)
                xw = xw.view(L, N, xw.shape[-1])  # (L, N, G*H)
                # each (N, H_out) (c: (N, hidden_size))
                start = tuple(s[layer * D + direction] for s in states)
                out, final = self._run_direction(
                    xw,
                    start,
                    w_hh,
                    b_hh,
                    w_hr,
                    direction == 1,
                    lengths,
                    time_axis=1 if last and batch_major else 0,
                )
                outputs.append(out)  # (L, N, H_out) ((N, L, H_out): see batch_major)
                for i, s in enumerate(final):
                    finals[i].append(s)
            # (L, N, D*H_out)
            layer_input = torch.cat(outputs, dim=2) if D == 2 else outputs[0]
            if self.training and self.dropout > 0 and not last:
                layer_input = self._dropout_between_layers(layer_input, input)
        h_n = tuple(torch.stack(f) for f in finals)  # each (D*num_layers, N, H_out)

        if isinstance(input, PackedSequence):
            # PackedSequence like the input
            output = pack_time_major(layer_input, input)
        elif not batched:
            output = layer_input.squeeze(1)  # (L, D*H_out)
            h_n = tuple(h.squeeze(1) for h in h_n)  # each (D*num_layers, H_out)
        elif self.batch_first:
            output = layer_input  # (N, L, D*H_out): see batch_major
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
        self,
        xw,
        state: tuple,
        weight_hh,
        bias_hh,
        weight_hr,
        reverse: bool,
        lengths,
        time_axis: int = 0,
    ):
        """The loop over time for one layer and direction.

        ``xw`` is ``(L, N, G*H)``, the precomputed input projections; ``state`` the
        initial state. The reverse direction reads ``t = L, ..., 1``. With ``lengths``
        (packed input), sequence ``n`` is only updated while ``t < lengths[n]``, so
        padding never enters a state. Returns the outputs ``(L, N, H_out)`` (``(N, L,
        H_out)`` if ``time_axis`` is 1) and the final state.
        """
        L = xw.shape[0]
        # Transposed once here rather than at every step inside the step function: a
        # transpose is free to compute, but autograd records it, and differentiates it,
        # every time it is made.
        weight_hh_T = weight_hh.T  # (H_out, G*H)
        weight_hr_T = None if weight_hr is None else weight_hr.T  # (H, H_out)
        # unbind, not xw[t]: the backward of unbind stacks the L gradients once, whereas
        # every xw[t] would allocate a zero gradient of the full (L, N, G*H) size.
        xw_steps = xw.unbind(0)  # L tensors (N, G*H)
        outputs = [None] * L
        for t in reversed(range(L)) if reverse else range(L):
            # each (N, H_out) (c: (N, H))
            new = self._step(xw_steps[t], state, weight_hh_T, bias_hh, weight_hr_T)
            if lengths is not None:
                # (N, 1): still inside its sequence?
                active = (t < lengths).unsqueeze(1)
                new = tuple(
                    torch.where(active, s_new, s) for s_new, s in zip(new, state)
                )
            state = new
            outputs[t] = state[0]  # the output at step t is h_t
        return torch.stack(outputs, dim=time_axis), state  # (L, N, H_out)
