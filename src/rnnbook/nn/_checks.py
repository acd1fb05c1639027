"""What a layer or a cell of ``rnnbook.nn`` checks when it is called.

The checks run in the order ``torch.nn`` makes them, so that input with several
mistakes fails with the same exception; the errors and their messages (``torch.nn``'s
words first, then the expected and the received shape or dtype) are in ``_errors.py``.
Shapes are written in the book's notation: N, L, H_in, H_out, D.
"""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import PackedSequence

from rnnbook._validation import fmt_shape
from rnnbook.nn._errors import (
    ShapeError,
    device_error,
    dtype_error,
    input_dtype_error,
    lstm_state_error,
    not_a_tensor,
    shape_error,
    state_shape_error,
)

# what torch.nn.LSTM says on a CPU where oneDNN runs it
_ONEDNN_WORDS = " (torch.nn.LSTM with oneDNN: get_mkldnn_dtype: unsupported data type)"


def check_layer_call(layer, input, hx) -> tuple[bool, tuple | None]:
    """Check the input (a tensor or a ``PackedSequence``) and the initial state of a
    ``RNN``, ``LSTM`` or ``GRU``.

    Returns whether the input is batched, and ``hx`` as a tuple of states, ``(h_0,)``
    or ``(h_0, c_0)``, each ``(D*num_layers, N, H)`` (an unbatched state gets its axis
    N = 1 here), or None. (Every layer call runs this: the messages are built only
    when a check fails.)"""
    w = layer.weight_ih_l0  # its dtype and device are every parameter's
    packed = isinstance(input, PackedSequence)
    if packed:
        x, batched = input.data, True
        N, L = int(input.batch_sizes[0]), len(input.batch_sizes)
    else:
        if not isinstance(input, torch.Tensor):
            raise not_a_tensor("input", input)
        if input.dim() not in (2, 3):
            name = {"LSTM": "LSTM", "GRU": "GRU"}.get(layer.mode, "RNN")
            words = f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
            words += " tensor instead" if name == "RNN" else " instead"
            raise shape_error(words, "input", _input_shape(layer), input.shape)
        x, batched = input, input.dim() == 3
        # (N, L, H_in) if batch_first else (L, N, H_in); unbatched (L, H_in)
        N = x.shape[0 if layer.batch_first else 1] if batched else 1
        L = x.shape[1 if layer.batch_first else 0] if batched else x.shape[0]
    states = None if hx is None else _layer_states(layer, hx, batched, input, N)
    if x.dtype != w.dtype:
        raise input_dtype_error(x.dtype, w.dtype)
    if packed and x.dim() != 2:
        words = f"input must have 2 dimensions, got {x.dim()}"
        raise shape_error(words, "input", _input_shape(layer, packed), x.shape)
    if x.shape[-1] != layer.input_size:
        words = (
            "input.size(-1) must be equal to input_size. "
            f"Expected {layer.input_size}, got {x.shape[-1]}"
        )
        raise shape_error(words, "input", _input_shape(layer, packed), x.shape)
    if states is not None:
        _check_layer_state_shapes(layer, states, N, batched)
    if x.device != w.device:
        ours = f"expected input on the parameters' device, {w.device}, got {x.device}"
        raise device_error("parameter", x.device, w.device, ours)
    if L == 0:
        raise ShapeError(
            "Expected sequence length to be larger than 0 in RNN; expected a sequence "
            f"of length L >= 1, got input of shape {fmt_shape(x.shape)} (L = 0)"
        )
    if states is None:
        return batched, None
    for s, state_name in zip(states, _state_names(layer.num_states)):
        if s.device != x.device:
            ours = f"expected {state_name} on the input's device, {x.device}"
            raise device_error("hidden", x.device, s.device, f"{ours}, got {s.device}")
        if s.dtype != w.dtype:
            also = _ONEDNN_WORDS if layer.mode == "LSTM" else ""
            raise dtype_error(state_name, s.dtype, w.dtype, also)
    return batched, states if batched else tuple(s.unsqueeze(1) for s in states)


def _input_shape(layer, packed: bool = False) -> str:
    """The input shapes a layer takes, for a message: ``(L, N, 3) or (L, 3)``."""
    if packed:  # PackedSequence.data holds the valid steps of all sequences
        return f"(number of valid steps, {layer.input_size})"
    layout = "(N, L, {})" if layer.batch_first else "(L, N, {})"
    return f"{layout.format(layer.input_size)} or (L, {layer.input_size})"


def _state_names(num_states: int) -> tuple[str, ...]:
    return ("hx",) if num_states == 1 else ("hx[0] (h_0)", "hx[1] (c_0)")


def _layer_states(layer, hx, batched: bool, input, N: int) -> tuple:
    """``hx`` as a tuple of tensors with as many dimensions as the input asks for."""
    names, packed = _state_names(layer.num_states), isinstance(input, PackedSequence)
    if layer.num_states == 1:
        if not isinstance(hx, torch.Tensor):
            # torch.nn calls hx.dim(); for packed input hx.size() or hx.index_select()
            attr = "dim"
            if packed:
                attr = "size" if input.sorted_indices is None else "index_select"
            raise not_a_tensor("hx", hx, attr)
        states = (hx,)
    else:
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise lstm_state_error(hx, 3 if batched else 2)
        for s, name in zip(hx, names):
            if not isinstance(s, torch.Tensor):
                raise not_a_tensor(name, s)
        states = tuple(hx)
    ndim = 3 if batched else 2
    if packed or all(s.dim() == ndim for s in states):
        return states
    kind = "batched 3-D" if batched else "unbatched 2-D"
    if layer.num_states == 1:
        words = (
            f"For {kind} input, hx should also be {ndim}-D but got {hx.dim()}-D tensor"
        )
    else:
        a, b = (s.dim() for s in states)
        words = (
            f"For {kind} input, hx and cx should also be {ndim}-D but got "
            f"({a}-D, {b}-D) tensors"
        )
    i = next(i for i, s in enumerate(states) if s.dim() != ndim)
    expected = _state_shape(layer, i, N if batched else None)
    raise shape_error(words, names[i], expected, states[i].shape)


def _state_shape(layer, i: int, N) -> tuple:
    """The shape of state ``i`` (0: h, 1: c): ``(D*num_layers, N, H)``, or without N
    if it is None (unbatched). H is ``proj_size`` for an LSTM's h if it has one."""
    rows = (2 if layer.bidirectional else 1) * layer.num_layers
    size = layer.hidden_size if i == 1 else (layer.proj_size or layer.hidden_size)
    return (rows, size) if N is None else (rows, N, size)


def _check_layer_state_shapes(layer, states: tuple, N: int, batched: bool) -> None:
    names = _state_names(layer.num_states)
    for i, (s, name) in enumerate(zip(states, names)):
        expected = _state_shape(layer, i, N if batched else None)
        if tuple(s.shape) == expected:
            continue
        # torch.nn compares after giving an unbatched state its axis N = 1
        as_3d = list(s.shape) if batched else [s.shape[0], 1, *s.shape[1:]]
        label = "hidden" if layer.num_states == 1 else f"hidden[{i}]"
        words = f"Expected {label} size {_state_shape(layer, i, N)}, got {as_3d}"
        raise state_shape_error(words, name, expected, tuple(s.shape))


def check_cell_call(cell, input, hx) -> tuple[bool, tuple | None]:
    """Check the input and the state of a ``RNNCell``, ``LSTMCell`` or ``GRUCell``.

    Returns whether the input is batched, and ``hx`` as a tuple of states ``(h,)`` or
    ``(h, c)``, each ``(N, H_out)`` (an unbatched state gets its axis N = 1), or
    None."""
    name = {1: "RNNCell", 4: "LSTMCell", 3: "GRUCell"}[cell.num_gates]
    H_in, H = cell.input_size, cell.hidden_size
    if not isinstance(input, torch.Tensor):
        raise not_a_tensor("input", input)
    expected_input = f"(N, {H_in}) or ({H_in},)"
    if input.dim() not in (1, 2):
        words = f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead"
        raise shape_error(words, "input", expected_input, input.shape)
    batched = input.dim() == 2
    N = input.shape[0] if batched else 1
    expected = (N, H) if batched else (H,)
    names = ("hx",) if cell.num_states == 1 else ("hx[0] (h)", "hx[1] (c)")
    states = None
    if hx is not None:
        if cell.num_states == 2 and not (
            isinstance(hx, (tuple, list)) and len(hx) == 2
        ):
            raise lstm_state_error(hx, None, cell=True)
        states = (hx,) if cell.num_states == 1 else tuple(hx)
        for i, (s, state_name) in enumerate(zip(states, names)):
            if not isinstance(s, torch.Tensor):
                raise not_a_tensor(state_name, s)
            if s.dim() not in (1, 2):
                what = "hidden" if cell.num_states == 1 else f"hx[{i}]"
                words = f"{name}: Expected {what} to be 1D or 2D, got {s.dim()}D"
                words += " instead"
                raise shape_error(words, state_name, expected, s.shape)
    if input.shape[-1] != H_in:
        words = (
            f"input has inconsistent input_size: got {input.shape[-1]} expected {H_in}"
        )
        raise shape_error(words, "input", expected_input, input.shape)
    for i, (s, state_name) in enumerate(zip(states or (), names)):
        if tuple(s.shape) != expected:
            as_2d = tuple(s.shape) if batched else (1, *s.shape)  # torch.nn's view
            if as_2d[0] != N:
                words = (
                    f"Input batch size {N} doesn't match hidden{i} batch size "
                    f"{as_2d[0]}"
                )
            else:
                got = as_2d[1] if len(as_2d) > 1 else None
                words = (
                    f"hidden{i} has inconsistent hidden_size: got {got}, expected {H}"
                )
            raise state_shape_error(words, state_name, expected, tuple(s.shape))
    dtype = cell.weight_ih.dtype
    if input.dtype != dtype:
        raise dtype_error("input", input.dtype, dtype)
    # the h state only: torch.nn.LSTMCell takes a c of any dtype and promotes
    if states is not None and states[0].dtype != dtype:
        raise dtype_error(names[0], states[0].dtype, dtype)
    if states is not None and not batched:
        states = tuple(s.unsqueeze(0) for s in states)
    return batched, states
