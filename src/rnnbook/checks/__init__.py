"""Self-checks for the exercises: call one on your function or result and it tells you
whether it is right, or gives a hint about what is wrong. It never prints the answer and
never raises, so a notebook with unfinished exercises still runs top to bottom.

One module per chapter (``rnnbook.checks.sequential_data``, ...). Every checker returns
``True`` or ``False`` and prints exactly one line that starts with one of:

- ``✅ Exercise 1.3: passed``
- ``❌ Exercise 1.3: <hint>``
- ``⏳ Exercise 1.3: not attempted yet``  (the function still raises
  ``NotImplementedError``)

For the grader (``python -m rnnbook.grade``) a checker also

- draws its test cases from :func:`case_seed` (``torch.manual_seed(case_seed(23))``
  rather than ``torch.manual_seed(23)``): a self-check always sees the same cases, the
  grader's cases come from the seed it sets with :func:`grader_seed`, which the student
  cannot predict, so that outputs hard-coded for the self-check's inputs fail;
- calls the student's function inside :func:`forbidding` where the exercise forbids a
  shortcut (the finished module, ``torch.nn``): calling it then fails with the rule;
- reports through :func:`report`, whose verdicts the grader collects with
  :func:`recording` instead of reading printed lines.

``CONTRIBUTING.md`` (section "Checkers and the grader") is the checklist.

Introduced in the preface, section "Exercises".
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator

__all__ = [
    "FAIL",
    "PASS",
    "TODO",
    "Forbidden",
    "Hint",
    "Verdict",
    "case_seed",
    "expect_close",
    "expect_shape",
    "forbidding",
    "grader_seed",
    "recording",
    "report",
]

PASS, FAIL, TODO = "✅", "❌", "⏳"
STATUS = {PASS: "pass", FAIL: "fail", TODO: "not attempted"}

_GRADER_SEED: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "rnnbook_grader_seed", default=None
)
_RECORDERS: contextvars.ContextVar[tuple] = contextvars.ContextVar(
    "rnnbook_verdict_recorders", default=()
)
_FORBIDDEN_HITS: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "rnnbook_forbidden_hits", default=None
)


@dataclass(frozen=True)
class Verdict:
    """What one call of :func:`report` decided: ``status`` is ``"pass"``, ``"fail"``
    or ``"not attempted"``; ``message`` is the text after ``Exercise N.k:``."""

    exercise: str
    status: str
    message: str


class Hint(Exception):
    """Raised inside a checker to report what is wrong; the message is shown to the
    student.
    """


class Forbidden(Hint):
    """Raised when the student's code calls what the exercise forbids (see
    :func:`forbidding`)."""


def case_seed(default: int) -> int:
    """The seed a checker draws its test cases from: ``default`` in a self-check, and a
    seed derived from the grader's seed and ``default`` while :func:`grader_seed` is
    active, so that the grader's cases differ from the self-check's and from one
    grading run to the next."""
    seed = _GRADER_SEED.get()
    if seed is None:
        return int(default)
    return (int(seed) * 1_000_003 + int(default) * 7919) % (2**31 - 1)


@contextlib.contextmanager
def grader_seed(seed: int) -> Iterator[None]:
    """Within this block, :func:`case_seed` derives every checker's cases from
    ``seed``."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"expected a non-negative int seed, got {seed!r}")
    token = _GRADER_SEED.set(seed)
    try:
        yield
    finally:
        _GRADER_SEED.reset(token)


@contextlib.contextmanager
def recording() -> Iterator[list[Verdict]]:
    """Collect the :class:`Verdict` of every :func:`report` called within this block
    (they are still printed)."""
    got: list[Verdict] = []
    token = _RECORDERS.set(_RECORDERS.get() + (got,))
    try:
        yield got
    finally:
        _RECORDERS.reset(token)


def _resolve(target: str) -> tuple[Any, str]:
    """``"torch.nn.modules.rnn.RNNBase.__init__"`` -> (class RNNBase, "__init__")."""
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:-1]:
            owner = getattr(owner, name)
        return owner, parts[-1]
    raise ValueError(f"expected a dotted path to a function, got {target!r}")


@contextlib.contextmanager
def forbidding(rule: str, *targets: str) -> Iterator[None]:
    """Within this block, calling any of ``targets`` (dotted paths such as
    ``"torch.nn.modules.rnn.RNNBase.__init__"`` or ``"torch._VF.rnn_tanh"``) raises
    :class:`Forbidden` and makes the enclosing :func:`report` fail with ``rule`` (for
    example ``"count without building the module"``), even if the student's code
    catches the exception. Wrap only the call of the student's function: the checker's
    own oracle runs outside."""
    saved = []

    def blocked(target):
        def refuse(*args, **kwargs):
            shown = target.replace("nn.modules.rnn.", "nn.")
            message = f"{rule}, but your code called {shown}"
            hits = _FORBIDDEN_HITS.get()
            if hits is not None and message not in hits:
                hits.append(message)
            raise Forbidden(message)

        return refuse

    try:
        for target in targets:
            owner, name = _resolve(target)
            if isinstance(owner, type):
                had, old = name in owner.__dict__, owner.__dict__.get(name)
            else:
                had, old = True, getattr(owner, name)
            saved.append((owner, name, had, old))
            setattr(owner, name, blocked(target))
        yield
    finally:
        for owner, name, had, old in reversed(saved):
            if had:
                setattr(owner, name, old)
            else:
                delattr(owner, name)


def report(exercise: str, check: Callable[[], None]) -> bool:
    """Run ``check`` (which raises :class:`Hint` on a wrong answer) and print one
    verdict line.

    A ``NotImplementedError`` from the student's code means "not attempted"; any other
    exception in the student's code is reported as a failure with its type and message;
    a call that :func:`forbidding` refused fails with the exercise's rule, even when the
    student's code caught the exception. The verdict also goes to every active
    :func:`recording`.
    """
    hits: list[str] = []
    token = _FORBIDDEN_HITS.set(hits)
    try:
        check()
    except NotImplementedError:
        mark, message = TODO, "not attempted yet"
    except Hint as hint:
        mark, message = FAIL, str(hint)
    # the student's code crashed: say how, not where the answer is
    except Exception as err:
        mark, message = FAIL, f"your code raised {type(err).__name__}: {err}"
    else:
        mark, message = PASS, "passed"
    finally:
        _FORBIDDEN_HITS.reset(token)
    if hits:  # refused, even if the student's code caught the exception
        mark, message = FAIL, hits[0]
    print(f"{mark} Exercise {exercise}: {message}")
    for got in _RECORDERS.get():
        got.append(Verdict(str(exercise), STATUS[mark], message))
    return mark == PASS


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
