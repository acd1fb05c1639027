"""Input checks shared by the recurrent layers and cells of ``rnnbook.nn``.

Each check fails early with a ``TypeError`` or ``ValueError`` that names what was
expected and what was received (STYLE.md, package rule 6), instead of a broadcast error
deep inside a matrix product. Shapes are written in the book's notation (N, L, H_in,
H_out, D).

For the same mistakes ``torch.nn`` raises ``RuntimeError`` (a wrong feature size or
state shape, a state of the wrong dtype), ``ValueError`` (an input of the wrong dtype),
``AttributeError`` (something that is not a tensor: it calls ``.dim()`` on it) or, for
an LSTM state that is not a pair ``(h, c)``, ``TypeError``, ``IndexError`` or
``RuntimeError`` depending on what it got. So that code written for ``torch.nn`` still
catches what these modules raise, each error class here
is also every class ``torch.nn`` raises for that mistake:

- ``ShapeError``: a ``ValueError`` and a ``RuntimeError``;
- ``DtypeError``: a ``TypeError``, a ``ValueError`` and a ``RuntimeError``;
- ``NotATensorError``: a ``TypeError`` and an ``AttributeError``;
- ``StateStructureError``: a ``TypeError``, an ``IndexError``, a ``RuntimeError`` and an
  ``AttributeError``.
"""

from __future__ import annotations

import numbers
import warnings

import torch

from rnnbook._validation import fmt_shape, shape_error


class ShapeError(ValueError, RuntimeError):
    """A tensor of the wrong shape: a ``ValueError``, and a ``RuntimeError`` as in
    ``torch.nn``.
    """


class DtypeError(TypeError, ValueError, RuntimeError):
    """A tensor of the wrong dtype: a ``TypeError``, and what ``torch.nn`` raises for
    the same mistake (``ValueError`` for the input, ``RuntimeError`` for an initial
    state)."""


class NotATensorError(TypeError, AttributeError):
    """Not a tensor where a tensor belongs (a NumPy array, a list, a number): a
    ``TypeError``, and the ``AttributeError`` that ``torch.nn`` raises when it calls
    ``.dim()`` on it."""


class StateStructureError(TypeError, IndexError, RuntimeError, AttributeError):
    """An LSTM state that is not a pair ``(h, c)``: a ``TypeError``, and whichever of
    ``IndexError``, ``RuntimeError`` or ``AttributeError`` ``torch.nn`` raises for it (a
    single tensor, a tuple of one or three tensors, a NumPy array)."""


def _is_int(value) -> bool:
    """An integer, Python's or NumPy's, but not a bool (``True`` as a size is a
    mistake).
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_config(
    input_size,
    hidden_size,
    *,
    num_layers=1,
    bias=True,
    batch_first=False,
    dropout=0.0,
    bidirectional=False,
) -> None:
    """Check constructor arguments the way ``torch.nn.RNNBase`` does (same rules,
    clearer words).

    Sizes may be Python or NumPy integers (not bools); ``bidirectional`` may be ``0`` or
    ``1`` as well as a bool, since ``torch.nn`` accepts that too."""
    for name, value in [
        ("input_size", input_size),
        ("hidden_size", hidden_size),
        ("num_layers", num_layers),
    ]:
        if not _is_int(value):
            raise TypeError(f"expected {name} to be an int, got {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"expected {name} > 0, got {value}")
    for name, value in [("bias", bias), ("batch_first", batch_first)]:
        if not isinstance(value, bool):
            raise TypeError(f"expected {name} to be a bool, got {type(value).__name__}")
    if not (
        isinstance(bidirectional, bool)
        or (_is_int(bidirectional) and bidirectional in (0, 1))
    ):
        raise TypeError(f"expected bidirectional to be a bool, got {bidirectional!r}")
    if (
        not isinstance(dropout, numbers.Number)
        or isinstance(dropout, bool)
        or not 0 <= dropout <= 1
    ):
        raise ValueError(
            f"expected dropout to be a number in [0, 1] (the probability of "
            f"zeroing an element), got {dropout!r}"
        )
    if dropout > 0 and num_layers == 1:
        # The same warning as torch.nn: dropout acts only *between* layers.
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so "
            "non-zero dropout expects num_layers greater than 1, but got "
            f"dropout={dropout} and num_layers={num_layers}",
            stacklevel=3,
        )


def check_proj_size(proj_size, hidden_size: int) -> None:
    """The LSTM's ``proj_size`` must be an integer with ``0 <= proj_size <
    hidden_size``, as in ``torch.nn`` (which raises ``ValueError`` otherwise)."""
    if not _is_int(proj_size) or not 0 <= proj_size < hidden_size:
        raise ValueError(
            f"expected proj_size to be an integer with 0 <= proj_size < hidden_size "
            f"= {hidden_size!r}, got proj_size={proj_size!r}"
        )


def check_nonlinearity(nonlinearity) -> None:
    """The vanilla RNN's activation must be ``'tanh'`` or ``'relu'``."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(
            f"expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}"
        )


def check_input(
    x,
    *,
    input_size: int,
    batched: str,
    unbatched: str | None,
    dtype: torch.dtype,
    time_axis: int | None = None,
) -> bool:
    """``x`` must be a ``dtype`` tensor shaped like ``batched`` or ``unbatched`` (e.g.
    ``"(N, L, 3)"`` and ``"(L, 3)"``; ``unbatched=None``: only batched), whose last
    dimension is ``input_size``. Returns whether ``x`` is batched.

    ``time_axis`` is the position of L in the batched layout (None for a cell): a
    sequence of length 0 is refused, as in ``torch.nn``, while an empty batch (N = 0) is
    allowed.
    """
    if not isinstance(x, torch.Tensor):
        raise NotATensorError(
            f"expected input to be a torch.Tensor, got {type(x).__name__}"
        )
    batched_ndim = len(batched.split(","))  # "(N, L, 3)" -> 3 dims
    allowed = (batched_ndim,) if unbatched is None else (batched_ndim, batched_ndim - 1)
    if x.dim() not in allowed or x.shape[-1] != input_size:
        raise shape_error(
            "input",
            [batched] if unbatched is None else [batched, unbatched],
            x.shape,
            ShapeError,
        )
    if x.dtype != dtype:
        raise DtypeError(
            f"expected input of dtype {dtype} (the parameters' dtype), got {x.dtype}"
        )
    is_batched = x.dim() == batched_ndim
    if time_axis is not None:
        length = x.shape[time_axis if is_batched else 0]
        if length == 0:
            raise ShapeError(
                f"expected a sequence of length L >= 1, got input of shape "
                f"{fmt_shape(x.shape)} (L = 0)"
            )
    return is_batched


def check_state(h, name: str, expected: tuple[int, ...], *, dtype: torch.dtype) -> None:
    """An initial state must be a tensor of exactly the ``expected`` shape.

    ``expected`` is ``(D*num_layers, N, H_out)`` for a batched layer, ``(D*num_layers,
    H_out)`` unbatched, ``(N, H_out)`` / ``(H_out,)`` for a cell. The batch dimension is
    compared first, so that a batch mismatch says so in words.
    """
    if not isinstance(h, torch.Tensor):
        raise NotATensorError(
            f"expected {name} to be a torch.Tensor, got {type(h).__name__}"
        )
    got = tuple(h.shape)
    if got == expected:
        if h.dtype != dtype:
            raise DtypeError(
                f"expected {name} of dtype {dtype} (the parameters' dtype), "
                f"got {h.dtype}"
            )
        return
    batch_axis = len(expected) - 2  # N sits just before H_out in every batched state
    if (
        len(got) == len(expected)
        and batch_axis >= 0
        and got[batch_axis] != expected[batch_axis]
    ):
        raise ShapeError(
            f"batch size mismatch: input has batch size {expected[batch_axis]} "
            f"but {name} has {got[batch_axis]}; expected {name} of shape "
            f"{fmt_shape(expected)}, got {fmt_shape(got)}"
        )
    raise shape_error(name, fmt_shape(expected), got, ShapeError)


def split_state(hx, num_states: int) -> tuple:
    """``hx`` as a tuple of ``num_states`` tensors: ``(h,)`` for RNN/GRU, ``(h, c)`` for
    LSTM.
    """
    if num_states == 1:
        return (hx,)
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        got = (
            f"{type(hx).__name__} of length {len(hx)}"
            if isinstance(hx, (tuple, list))
            else type(hx).__name__
        )
        raise StateStructureError(
            f"expected hx to be a tuple (h_0, c_0) of two tensors, got {got}"
        )
    return tuple(hx)
