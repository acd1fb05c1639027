"""Constructor arguments of the layers and cells of ``rnnbook.nn``, checked as
``torch.nn`` checks them.

A layer (``RNN``, ``LSTM``, ``GRU``) refuses what ``torch.nn.RNNBase`` refuses, in the
same order, with the same exception class and a message that starts with torch's own
words (so that searching for it finds torch's documentation and forums), followed by
ours where we can say more. A cell (``RNNCell``, ``LSTMCell``, ``GRUCell``) accepts what
``torch.nn.RNNCellBase`` accepts: any truthy or falsy ``bias``, and sizes of 0.

Two deliberate differences, stated in the class docstrings too:

- a ``bool`` is refused as a size (``RNN(3, 4, True)`` makes ``num_layers=True`` in
  ``torch.nn``: surely a slip for ``bias=True``), while NumPy integers are accepted
  (``torch.nn``'s layers refuse them);
- ``RNNCell(..., nonlinearity='gelu')`` is refused when the cell is built, not at its
  first forward pass as in ``torch.nn``.
"""

from __future__ import annotations

import numbers
import warnings

import torch

from rnnbook.nn._errors import ShapeError


def _is_int(value) -> bool:
    """An integer, Python's or NumPy's, but not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _python_words(operation) -> str | None:
    """The message of the ``TypeError`` that ``operation()`` raises (what ``torch.nn``
    stumbles on for the same value), or None if it raises nothing."""
    try:
        operation()
    except TypeError as err:
        return str(err)
    return None


def _size_type_error(name: str, value, torch_words: str | None = None) -> TypeError:
    words = torch_words or f"{name} should be of type int, got: {type(value).__name__}"
    return TypeError(f"{words}; expected {name} to be an int, got {value!r}")


def check_layer_args(
    input_size,
    hidden_size,
    num_layers,
    bias,
    batch_first,
    dropout,
    proj_size=0,
) -> None:
    """What ``torch.nn.RNNBase.__init__`` checks, in its order (``bidirectional`` may
    be anything: only its truth value counts)."""
    if (
        not isinstance(dropout, numbers.Number)
        or isinstance(dropout, bool)
        or not 0 <= dropout <= 1
    ):
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability "
            f"of an element being zeroed; got dropout={dropout!r}"
        )
    if dropout > 0 and num_layers == 1:
        # torch.nn's warning, word for word: dropout acts only *between* layers
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so "
            "non-zero dropout expects num_layers greater than 1, but got "
            f"dropout={dropout} and num_layers={num_layers}",
            stacklevel=4,
        )
    for name, value in [("bias", bias), ("batch_first", batch_first)]:
        if not isinstance(value, bool):
            raise TypeError(
                f"{name} should be of type bool, got: {type(value).__name__}; "
                f"expected True or False, got {value!r}"
            )
    for name, value in [("input_size", input_size), ("hidden_size", hidden_size)]:
        if not _is_int(value):
            raise _size_type_error(name, value)
        if value <= 0:
            raise ValueError(f"{name} must be greater than zero; got {name}={value}")
    if not _is_int(num_layers):
        words = _python_words(lambda: num_layers <= 0) or _python_words(
            lambda: range(num_layers)
        )
        raise _size_type_error("num_layers", num_layers, words)
    if num_layers <= 0:
        raise ValueError(
            f"num_layers must be greater than zero; got num_layers={num_layers}"
        )
    check_proj_size(proj_size, hidden_size)


def check_proj_size(proj_size, hidden_size: int) -> None:
    """An LSTM's ``proj_size`` must be an integer with ``0 <= proj_size <
    hidden_size``."""
    if not _is_int(proj_size):
        words = _python_words(lambda: proj_size < 0) or _python_words(
            lambda: torch.empty((1, proj_size), device="meta")
        )
        raise _size_type_error("proj_size", proj_size, words)
    if proj_size < 0:
        raise ValueError(
            "proj_size should be a positive integer or zero to disable projections; "
            f"got proj_size={proj_size}"
        )
    if proj_size >= hidden_size:
        raise ValueError(
            "proj_size has to be smaller than hidden_size; got "
            f"proj_size={proj_size}, hidden_size={hidden_size}"
        )


def refuse_proj_size(proj_size) -> None:
    """``RNN`` and ``GRU`` have no projections: ``torch.nn`` raises a ``ValueError``
    whenever ``proj_size`` is passed."""
    if proj_size is not None:
        raise ValueError(
            "proj_size argument is only supported for LSTM, not RNN or GRU; "
            f"got proj_size={proj_size!r}"
        )


def check_cell_sizes(input_size, hidden_size, num_gates: int) -> None:
    """Sizes a cell can be built with: integers >= 0. ``torch.nn``'s cells check
    nothing and fail in ``torch.empty``, whose words we quote."""
    for name, value in [("input_size", input_size), ("hidden_size", hidden_size)]:
        if not _is_int(value):
            # the very call torch.nn makes, on the meta device (allocates nothing)
            words = _python_words(
                lambda: torch.empty(
                    (num_gates * hidden_size, input_size), device="meta"
                )
            )
            raise _size_type_error(name, value, words)
    for name, value in [("input_size", input_size), ("hidden_size", hidden_size)]:
        if value < 0:
            shape = [num_gates * int(hidden_size), int(input_size)]
            raise ShapeError(
                f"Trying to create tensor with negative dimension {min(shape)}: "
                f"{shape}; expected {name} >= 0, got {value}"
            )


def check_nonlinearity(nonlinearity, cell: bool = False) -> None:
    """The vanilla RNN's activation must be ``'tanh'`` or ``'relu'``."""
    if nonlinearity in ("tanh", "relu"):
        return
    words = (
        f"Unknown nonlinearity: {nonlinearity}"  # torch.nn.RNNCell, at forward
        if cell
        else f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
    )
    raise ValueError(f"{words}; expected 'tanh' or 'relu', got {nonlinearity!r}")
