"""Input checks shared by the recurrent layers and cells of ``rnnbook.nn``.

Each check fails early with a ``TypeError`` or ``ValueError`` that names what was expected
and what was received (STYLE.md, package rule 6), instead of a broadcast error deep inside a
matrix product. Shapes are written in the book's notation (N, L, H_in, H_out, D).
"""

from __future__ import annotations

import numbers
import warnings

import torch

from rnnbook._validation import fmt_shape, shape_error


def check_config(input_size, hidden_size, *, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False) -> None:
    """Check constructor arguments the way ``torch.nn.RNNBase`` does (same rules, clearer words)."""
    for name, value in [("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers)]:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected {name} to be an int, got {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"expected {name} > 0, got {value}")
    for name, value in [("bias", bias), ("batch_first", batch_first),
                        ("bidirectional", bidirectional)]:
        if not isinstance(value, bool):
            raise TypeError(f"expected {name} to be a bool, got {type(value).__name__}")
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError(f"expected dropout to be a number in [0, 1] (the probability of "
                         f"zeroing an element), got {dropout!r}")
    if dropout > 0 and num_layers == 1:
        # The same warning as torch.nn: dropout acts only *between* layers.
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)


def check_nonlinearity(nonlinearity) -> None:
    """The vanilla RNN's activation must be ``'tanh'`` or ``'relu'``."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}")


def check_input(x, *, input_size: int, batched: str, unbatched: str, dtype: torch.dtype) -> bool:
    """``x`` must be a ``dtype`` tensor shaped like ``batched`` or ``unbatched`` (e.g. ``"(N, L, 3)"``
    and ``"(L, 3)"``), whose last dimension is ``input_size``. Returns whether ``x`` is batched.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected input to be a torch.Tensor, got {type(x).__name__}")
    batched_ndim = len(batched.split(","))  # "(N, L, 3)" -> 3 dims
    if x.dim() not in (batched_ndim, batched_ndim - 1) or x.shape[-1] != input_size:
        raise shape_error("input", [batched, unbatched], x.shape)
    if x.dtype != dtype:
        raise TypeError(f"expected input of dtype {dtype} (the parameters' dtype), got {x.dtype}")
    if x.numel() == 0:
        raise ValueError(f"expected a non-empty input, got shape {fmt_shape(x.shape)}")
    return x.dim() == batched_ndim


def check_state(h, name: str, expected: tuple[int, ...], *, dtype: torch.dtype) -> None:
    """An initial state must be a tensor of exactly the ``expected`` shape.

    ``expected`` is ``(D*num_layers, N, H_out)`` for a batched layer, ``(D*num_layers, H_out)``
    unbatched, ``(N, H_out)`` / ``(H_out,)`` for a cell. The batch dimension is compared first,
    so that a batch mismatch says so in words.
    """
    if not isinstance(h, torch.Tensor):
        raise TypeError(f"expected {name} to be a torch.Tensor, got {type(h).__name__}")
    got = tuple(h.shape)
    if got == expected:
        if h.dtype != dtype:
            raise TypeError(f"expected {name} of dtype {dtype} (the parameters' dtype), "
                            f"got {h.dtype}")
        return
    batch_axis = len(expected) - 2  # N sits just before H_out in every batched state
    if len(got) == len(expected) and batch_axis >= 0 and got[batch_axis] != expected[batch_axis]:
        raise ValueError(f"batch size mismatch: input has batch size {expected[batch_axis]} "
                         f"but {name} has {got[batch_axis]}; expected {name} of shape "
                         f"{fmt_shape(expected)}, got {fmt_shape(got)}")
    raise shape_error(name, fmt_shape(expected), got)


def split_state(hx, num_states: int) -> tuple:
    """``hx`` as a tuple of ``num_states`` tensors: ``(h,)`` for RNN/GRU, ``(h, c)`` for LSTM."""
    if num_states == 1:
        return (hx,)
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        got = f"{type(hx).__name__} of length {len(hx)}" if isinstance(hx, (tuple, list)) \
            else type(hx).__name__
        raise TypeError(f"expected hx to be a tuple (h_0, c_0) of two tensors, got {got}")
    return tuple(hx)
