"""What the tests of the exercise checkers (``tests/test_checks_*.py``) share.

Every checker prints exactly one line, ✅ (passed), ❌ (a hint) or ⏳ (not
attempted), and returns whether the answer passed. A chapter's test module lists its
checkers with their reference solutions and gets the two tests every checker must pass
from :func:`common_checker_tests`.
"""

from __future__ import annotations

import pytest


def stub(*args, **kwargs):
    """An exercise as the student edition hands it out: the body raises
    NotImplementedError.
    """
    raise NotImplementedError


def verdict(capsys, ok, symbol: str) -> str:
    """The one line a checker printed; assert it starts with ``symbol`` and agrees with
    ``ok``.
    """
    line = capsys.readouterr().out.strip()
    assert line.startswith(symbol), line
    assert ok is (symbol == "✅")
    assert "\n" not in line
    return line


def common_checker_tests(checkers: dict):
    """For ``checkers = {exercise: (checker, reference_solution)}``, the two tests every
    checker must pass: the reference solution passes, and the stub is reported as not
    attempted."""

    @pytest.mark.parametrize("exercise", sorted(checkers))
    def test_reference_solution_passes(exercise, capsys):
        checker, solution = checkers[exercise]
        line = verdict(capsys, checker(solution), "✅")
        assert f"Exercise {exercise}: passed" in line

    @pytest.mark.parametrize("exercise", sorted(checkers))
    def test_stub_is_not_attempted(exercise, capsys):
        checker, _ = checkers[exercise]
        line = verdict(capsys, checker(stub), "⏳")
        assert f"Exercise {exercise}: not attempted" in line

    return test_reference_solution_passes, test_stub_is_not_attempted
