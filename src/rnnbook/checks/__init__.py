"""Self-checks for the exercises: call one on your function or result and it tells you
whether it is right, or gives a hint about what is wrong. It never prints the answer and
never raises, so a notebook with unfinished exercises still runs top to bottom.

One module per chapter (``rnnbook.checks.sequential_data``, ...). Every checker returns
``True`` or ``False`` and prints exactly one line that starts with one of:

- ``✅ Exercise 1.3: passed``
- ``❌ Exercise 1.3: <hint>``
- ``⏳ Exercise 1.3: not attempted yet``  (the function still raises
  ``NotImplementedError``)

Introduced in the preface, section "Exercises".
"""

from __future__ import annotations

from typing import Any, Callable

PASS, FAIL, TODO = "✅", "❌", "⏳"


class Hint(Exception):
    """Raised inside a checker to report what is wrong; the message is shown to the
    student.
    """


def report(exercise: str, check: Callable[[], None]) -> bool:
    """Run ``check`` (which raises :class:`Hint` on a wrong answer) and print one
    verdict line.

    A ``NotImplementedError`` from the student's code means "not attempted"; any other
    exception in the student's code is reported as a failure with its type and message.
    """
    try:
        check()
    except NotImplementedError:
        print(f"{TODO} Exercise {exercise}: not attempted yet")
        return False
    except Hint as hint:
        print(f"{FAIL} Exercise {exercise}: {hint}")
        return False
    # the student's code crashed: say how, not where the answer is
    except Exception as err:
        print(
            f"{FAIL} Exercise {exercise}: your code raised {type(err).__name__}: {err}"
        )
        return False
    print(f"{PASS} Exercise {exercise}: passed")
    return True


def expect_shape(name: str, value: Any, shape: tuple) -> None:
    """Raise :class:`Hint` unless ``value`` (array or tensor) has the given shape."""
    got = tuple(getattr(value, "shape", ()))
    if got != tuple(shape):
        raise Hint(f"{name} should have shape {tuple(shape)}, got {got}")


def expect_close(
    name: str, value: Any, target: Any, *, rtol: float = 1e-5, atol: float = 1e-8
) -> None:
    """Raise :class:`Hint` unless ``value`` matches ``target`` (same shape, values
    close).

    The hint says how far off the values are, never what they should be.
    """
    import numpy as np

    v = np.asarray(
        value.detach().cpu() if hasattr(value, "detach") else value, dtype=float
    )
    t = np.asarray(
        target.detach().cpu() if hasattr(target, "detach") else target, dtype=float
    )
    if v.shape != t.shape:
        raise Hint(f"{name} should have shape {t.shape}, got {v.shape}")
    if not np.all(np.isfinite(v)):
        raise Hint(f"{name} contains NaN or infinite values")
    if not np.allclose(v, t, rtol=rtol, atol=atol):
        worst = float(np.max(np.abs(v - t)))
        raise Hint(
            f"{name} has the right shape but its values are off (largest difference "
            f"{worst:.3g})"
        )
