"""Shared input checks, so that bad input fails early with a message that names what was
expected and what was received (STYLE.md, package rule 6).

Used by ``rnnbook.nn``, ``rnnbook.npnn``, ``rnnbook.datasets`` and friends.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np


def fmt_shape(shape: Iterable) -> str:
    """``(4, 7, 2)``-style text for a shape, with symbolic entries (``'N'``) left as
    they are.
    """
    parts = [str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def shape_error(
    name: str,
    expected: str | Sequence[str],
    got: Iterable,
    cls: type[ValueError] = ValueError,
) -> ValueError:
    """``ValueError("expected input of shape (N, L, 3) or (L, 3), got (4, 7, 2)")``.

    ``expected`` is one shape description or a list of alternatives (already formatted);
    ``cls`` a subclass of ``ValueError`` to raise instead (``rnnbook.nn`` uses its
    ``ShapeError``).
    """
    if not isinstance(expected, str):
        expected = " or ".join(expected)
    return cls(f"expected {name} of shape {expected}, got {fmt_shape(tuple(got))}")


def check_ndarray(
    x, name: str, *, ndim: int | Sequence[int] | None = None, dtype_kind: str = "f"
) -> np.ndarray:
    """Check that ``x`` is a NumPy array of a float dtype (``dtype_kind='f'``) or an
    integer dtype (``'i'``, which also accepts unsigned) with the given number of
    dimensions.

    Returns ``x`` unchanged. Raises ``TypeError`` for a wrong type or dtype and
    ``ValueError`` for a wrong number of dimensions, naming what was expected and what
    was received.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"expected {name} to be a numpy.ndarray, got {type(x).__name__}"
        )
    kinds = {"f": ("f",), "i": ("i", "u")}[dtype_kind]
    if x.dtype.kind not in kinds:
        want = (
            "a floating-point dtype (float32 or float64)"
            if dtype_kind == "f"
            else "an integer dtype"
        )
        raise TypeError(f"expected {name} with {want}, got dtype {x.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(
                f"expected {name} to be {want}, got {x.ndim}-D array of shape "
                f"{fmt_shape(x.shape)}"
            )
    return x
