"""Every checker of the chapter "Sequential data" passes the reference solution, fails a
wrong answer with a hint (never the answer), and reports a stub as not attempted."""

from __future__ import annotations

import numpy as np
import pytest
from checktools import stub

from rnnbook.checks import sequential_data as checks
from rnnbook.datasets import make_windows, split_by_time


def seasonal_naive(inputs, horizon, period):
    L = inputs.shape[1]
    return inputs[:, L - period + np.arange(horizon) % period]


def seasonal_naive_no_wrap(inputs, horizon, period):
    L = inputs.shape[1]
    idx = np.minimum(L - period + np.arange(horizon), L - 1)
    return inputs[:, idx]


def receptive_field(kernel_sizes, dilations=None):
    dilations = dilations or [1] * len(kernel_sizes)
    return 1 + sum((k - 1) * d for k, d in zip(kernel_sizes, dilations))


def split_then_window(series, input_len, horizon):
    return tuple(
        make_windows(part, input_len, horizon) for part in split_by_time(series)
    )


def window_then_split(series, input_len, horizon):
    X, Y = make_windows(series, input_len, horizon)
    return tuple(zip(split_by_time(X), split_by_time(Y)))


CASES = [
    (
        checks.check_seasonal_naive,
        seasonal_naive,
        [
            (lambda x, h, p: np.repeat(x[:, -1:], h, axis=1), "naive forecast"),
            (seasonal_naive_no_wrap, "wrap around"),
            (lambda x, h, p: x[:, :h], "off"),
        ],
    ),
    (
        checks.check_receptive_field,
        receptive_field,
        [
            (lambda ks, ds=None: sum(ks), "added the kernel sizes"),
            (lambda ks, ds=None: receptive_field(ks, ds) - 1, "one step short"),
            (lambda ks, ds=None: receptive_field(ks), "not right"),
            (lambda ks, ds=None: receptive_field(ks, ds) + 0.5, "integer"),
        ],
    ),
    (
        checks.check_split_then_window,
        split_then_window,
        [
            (window_then_split, "outside"),
            (lambda s, i, h: make_windows(s, i, h), "three"),
        ],
    ),
]


@pytest.mark.parametrize(
    "checker, solution", [(c[0], c[1]) for c in CASES], ids=lambda f: f.__name__
)
def test_checker_passes_the_reference(checker, solution, capsys):
    assert checker(solution) is True
    assert capsys.readouterr().out.startswith("✅ Exercise 1.")


@pytest.mark.parametrize(
    "checker, wrong, hint",
    [(c[0], w, h) for c in CASES for w, h in c[2]],
    ids=lambda x: getattr(x, "__name__", str(x))[:20],
)
def test_checker_fails_a_wrong_answer_with_a_hint(checker, wrong, hint, capsys):
    assert checker(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("❌ Exercise 1.") and hint in out
    assert out.count("\n") == 1


@pytest.mark.parametrize("checker", [c[0] for c in CASES], ids=lambda f: f.__name__)
def test_checker_reports_a_stub_as_not_attempted(checker, capsys):
    assert checker(stub) is False
    assert capsys.readouterr().out.startswith("⏳ Exercise 1.")


def test_crashing_code_is_a_failure_not_an_exception(capsys):
    assert checks.check_receptive_field(lambda ks, ds=None: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out
