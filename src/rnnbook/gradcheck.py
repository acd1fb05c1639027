"""Gradient checking by central finite differences.

For a scalar function f of an array x, each partial derivative is estimated by

    ∂f/∂x_i ≈ (f(x + ε e_i) - f(x - ε e_i)) / (2ε)

whose error is O(ε^2) (truncation) plus about 1e-16 |f| / ε (rounding). In float64 the
two balance near ε = 1e-5, the default, where the estimate carries an *absolute* error
of roughly 1e-11 |f| to 1e-10 |f|. The comparison uses, entry by entry,

    rel_i = |a_i - b_i| / max(|a_i| + |b_i|, floor)

and reports the largest. A correct gradient gives 1e-10 to 1e-7 on most entries, up to
about 1e-5 on entries a million times smaller than |f| (the absolute error divided by a
tiny number); a wrong one gives 1e-2 to 1. Hence the default tolerance 1e-4.

Introduced in the BPTT chapter ("Unrolling and backpropagation through time", section on
gradient checking).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from rnnbook._validation import check_ndarray, fmt_shape, shape_error


class GradientCheckError(AssertionError):
    """Raised by :func:`check_gradients` when an analytic gradient disagrees."""


def _scalar(value) -> float:
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(
        value, bool
    ):
        raise TypeError(
            f"expected f() to return a real scalar, got {type(value).__name__}"
        )
    return float(value)


def numerical_gradient(
    f: Callable[[], float], x: np.ndarray, eps: float = 1e-5
) -> np.ndarray:
    """Central-difference estimate of df/dx, of the shape of ``x``.

    ``f`` takes no arguments and returns a scalar computed from the *current* contents
    of ``x`` (it reads x through a closure or a parameter dict). Each entry of ``x`` is
    nudged in place by ±eps and then restored to its exact original value, also if ``f``
    raises. ``x`` must be a float64 array: in float32 the rounding error would swamp the
    estimate.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"expected x to be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(
            f"expected x with dtype float64 (finite differences need double "
            f"precision), got dtype {x.dtype}"
        )
    if not x.flags.writeable:
        raise ValueError(
            "expected a writeable x (it is perturbed in place), got a read-only array"
        )
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"expected eps > 0, got {eps}")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        try:
            x[i] = old + eps
            f_plus = _scalar(f())  # f(x + ε e_i)
            x[i] = old - eps
            f_minus = _scalar(f())  # f(x - ε e_i)
        finally:
            x[i] = old  # restore exactly
        grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a, b, floor: float = 1e-8) -> float:
    """max_i |a_i - b_i| / max(|a_i| + |b_i|, floor): 0 for equal arrays, at most 1.

    ``floor`` keeps entries where both are (nearly) zero from dividing by zero: there
    the measure becomes an absolute error divided by ``floor``. NaN anywhere gives NaN.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise shape_error("b", fmt_shape(a.shape) + " (the shape of a)", b.shape)
    if a.size == 0:
        return 0.0
    diff = np.abs(a - b)
    if np.isnan(diff).any():
        return float("nan")
    return float(np.max(diff / np.maximum(np.abs(a) + np.abs(b), floor)))


@dataclass
class GradCheckReport:
    """Per-parameter maximum relative errors of :func:`check_gradients`."""

    errors: dict[str, float]
    tol: float

    @property
    def passed(self) -> bool:
        # NaN fails: NaN <= tol is False
        return all(e <= self.tol for e in self.errors.values())

    @property
    def failed(self) -> list[str]:
        return [k for k, e in self.errors.items() if not e <= self.tol]

    def __str__(self) -> str:
        width = max((len(k) for k in self.errors), default=4)
        lines = [
            f"{k:<{width}}  max rel. error {e:.1e}  {'ok' if e <= self.tol else 'FAIL'}"
            for k, e in self.errors.items()
        ]
        lines.append(
            f"{'passed' if self.passed else 'FAILED'} (tolerance {self.tol:.0e})"
        )
        return "\n".join(lines)


def check_gradients(
    f: Callable[[], float],
    params: Mapping[str, np.ndarray],
    analytic: Mapping[str, np.ndarray],
    eps: float = 1e-5,
    tol: float = 1e-4,
    floor: float = 1e-8,
    raise_on_failure: bool = True,
) -> GradCheckReport:
    """Compare analytic gradients with central differences, parameter by parameter.

    ``f()`` computes the scalar loss from the arrays in ``params`` (float64, perturbed
    in place and restored); ``analytic`` maps the same names to the gradients to check.
    Returns a :class:`GradCheckReport` (``print`` it for a table); raises
    :class:`GradientCheckError` naming the failing parameters when any error exceeds
    ``tol`` and ``raise_on_failure``.
    """
    if set(params) != set(analytic):
        raise ValueError(
            f"expected analytic gradients for the keys {sorted(params)}, "
            f"got {sorted(analytic)}"
        )
    errors = {}
    for name, value in params.items():
        grad = analytic[name]
        check_ndarray(grad, f"analytic[{name!r}]")
        if grad.shape != value.shape:
            raise shape_error(f"analytic[{name!r}]", fmt_shape(value.shape), grad.shape)
        numeric = numerical_gradient(f, value, eps)
        errors[name] = relative_error(grad, numeric, floor)
    report = GradCheckReport(errors, tol)
    if raise_on_failure and not report.passed:
        raise GradientCheckError(
            f"analytic gradient disagrees with finite differences for "
            f"{report.failed}:\n{report}"
        )
    return report
