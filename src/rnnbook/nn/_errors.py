"""The errors ``rnnbook.nn`` raises for bad input, and their messages.

Each message starts with ``torch.nn``'s own words for the mistake, so that searching
for it finds what users of ``torch.nn`` have written about it, followed by ours: the
expected and the received shape, dtype or type (STYLE.md, package rule 6), in the
book's notation (N, L, H_in, H_out, D).

For one mistake ``torch.nn`` raises different classes in different places (a wrong
size is a ``RuntimeError`` in a layer's call, a wrong number of dimensions a
``ValueError``; a state of the wrong dtype fails inside a matrix product), so each
class here is all of them at once:

- ``ShapeError``: a ``ValueError`` and a ``RuntimeError``;
- ``DtypeError``: a ``TypeError``, a ``ValueError`` and a ``RuntimeError``;
- ``NotATensorError``: a ``TypeError``, and the ``AttributeError`` that ``torch.nn``
  raises when it calls ``.dim()`` on a NumPy array, a list or a number;
- ``StateStructureError``: an LSTM state that is not a pair ``(h, c)``: a
  ``TypeError``, and whichever of ``IndexError``, ``KeyError``, ``RuntimeError`` or
  ``AttributeError`` ``torch.nn`` raises for it;
- ``DeviceError``: a layer's input, state and parameters on different devices: a
  ``RuntimeError``, as in ``torch.nn``.
"""

from __future__ import annotations

import torch

from rnnbook._validation import fmt_shape


class ShapeError(ValueError, RuntimeError):
    """A tensor of the wrong shape."""


class DtypeError(TypeError, ValueError, RuntimeError):
    """A tensor of the wrong dtype."""


class NotATensorError(TypeError, AttributeError):
    """Not a tensor where a tensor belongs (a NumPy array, a list, a number)."""


class StateStructureError(
    TypeError, IndexError, KeyError, RuntimeError, AttributeError
):
    """An LSTM state that is not a pair ``(h, c)`` of tensors."""

    __str__ = BaseException.__str__  # the message as it is (KeyError would quote it)


class DeviceError(RuntimeError):
    """A layer's input, state and parameters are not all on one device."""


def _join(torch_words: str, ours: str) -> str:
    return f"{torch_words}; {ours}"


def _attribute_words(value, attr: str) -> str:
    """What ``value.<attr>`` raises: ``torch.nn`` calls ``.dim()`` (or ``.size()``)
    on what it is given."""
    try:
        getattr(value, attr)
    except AttributeError as err:
        return str(err)
    return f"'{type(value).__name__}' object is not a tensor"


def not_a_tensor(name: str, value, attr: str = "dim") -> NotATensorError:
    return NotATensorError(
        _join(
            _attribute_words(value, attr),
            f"expected {name} to be a torch.Tensor, got {type(value).__name__}",
        )
    )


def _type_name(dtype: torch.dtype) -> str:
    """ATen's name of a dtype, as in its messages: ``torch.float64`` -> ``Double``."""
    try:
        return torch.empty(0, dtype=dtype).type()[len("torch.") : -len("Tensor")]
    except (RuntimeError, TypeError):  # pragma: no cover - exotic dtypes
        return str(dtype)


def dtype_error(name: str, got: torch.dtype, expected, also: str = "") -> DtypeError:
    """A tensor whose dtype is not the parameters': ``torch.nn`` fails in the matrix
    product with it (``also``: what else it says in some configurations)."""
    words = (
        f"mat1 and mat2 must have the same dtype, but got {_type_name(got)} and "
        f"{_type_name(expected)}{also}"
    )
    ours = f"expected {name} of dtype {expected} (the parameters' dtype), got {got}"
    return DtypeError(_join(words, ours))


def input_dtype_error(got: torch.dtype, expected: torch.dtype) -> DtypeError:
    """A layer's input of the wrong dtype, in ``torch.nn.RNNBase.check_input``'s
    words."""
    return DtypeError(
        _join(
            f"RNN input dtype ({got}) does not match weight dtype ({expected}). "
            f"Convert input: input.to({expected}), or convert model: model.to({got})",
            f"expected input of dtype {expected} (the parameters' dtype), got {got}",
        )
    )


def shape_error(words: str, name: str, expected, got) -> ShapeError:
    """``expected`` is a shape (a tuple) or its description (a string)."""
    if not isinstance(expected, str):
        expected = fmt_shape(expected)
    ours = f"expected {name} of shape {expected}, got {fmt_shape(tuple(got))}"
    return ShapeError(_join(words, ours))


def state_shape_error(words: str, name: str, expected: tuple, got: tuple) -> ShapeError:
    """A state of the wrong shape; a batch size that differs from the input's is named
    first."""
    batch_axis = len(expected) - 2  # N sits just before H_out in every batched state
    if len(got) == len(expected) and batch_axis >= 0:
        if got[batch_axis] != expected[batch_axis]:
            return ShapeError(
                _join(
                    words,
                    f"batch size mismatch: input has batch size {expected[batch_axis]} "
                    f"but {name} has {got[batch_axis]}; expected {name} of shape "
                    f"{fmt_shape(expected)}, got {fmt_shape(got)}",
                )
            )
    return shape_error(words, name, expected, got)


def lstm_state_error(hx, batched_ndim: int | None, cell: bool = False):
    """An LSTM state that is not a pair ``(h, c)``, failing with what ``torch.nn``
    fails with for it (it indexes ``hx[0]`` and ``hx[1]``, or, in the cell, iterates
    over ``hx``). ``batched_ndim``: the number of dimensions the layer expects."""
    try:
        parts = list(hx) if cell else [hx[0], hx[1]]
        words = None
    except (TypeError, IndexError, KeyError) as err:
        parts, words = [], str(err)
    for part in parts if words is None else []:
        if not isinstance(part, torch.Tensor):
            words = _attribute_words(part, "dim")
            break
    if words is None and isinstance(hx, torch.Tensor):
        if cell:
            words = (
                "lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, "
                "not Tensor"
            )
        elif {p.dim() for p in parts} != {batched_ndim}:
            a, b = (p.dim() for p in parts)
            kind = "batched 3-D" if batched_ndim == 3 else "unbatched 2-D"
            words = (
                f"For {kind} input, hx and cx should also be {batched_ndim}-D but got "
                f"({a}-D, {b}-D) tensors"
            )
        else:
            words = "lstm() received an invalid combination of arguments"
    if words is None:
        words = f"lstm{'_cell' if cell else ''} expects two hidden states"
    got = (
        f"{type(hx).__name__} of length {len(hx)}"
        if isinstance(hx, (tuple, list))
        else type(hx).__name__
    )
    return StateStructureError(
        _join(words, f"expected hx to be a tuple (h_0, c_0) of two tensors, got {got}")
    )


def device_error(what: str, input_device, other_device, ours: str) -> DeviceError:
    """``what`` is ``"parameter"`` or ``"hidden"``, as in ``torch.nn``'s words."""
    words = (
        f"Input and {what} tensors are not at the same device, found input tensor at "
        f"{input_device} and {what} tensor at {other_device}"
    )
    return DeviceError(_join(words, ours))
