"""Every checker of the chapter "The forecasting benchmark" passes the reference
solution, fails a wrong answer with a hint (never the answer), and reports a stub as not
attempted."""

from __future__ import annotations

import math

import numpy as np
import pytest
from checktools import stub

from rnnbook.checks import benchmark as checks
from rnnbook.models import SeqForecaster

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def count_parameters(cell, input_size, hidden_size, num_layers, horizon):
    G = GATES[cell] * hidden_size
    return (
        G * (input_size + hidden_size + 2)
        + (num_layers - 1) * G * (2 * hidden_size + 2)
        + horizon * (hidden_size + 1)
    )


def count_by_building(cell, input_size, hidden_size, num_layers, horizon):
    model = SeqForecaster(cell, input_size, hidden_size, num_layers, horizon)
    return sum(p.numel() for p in model.parameters())


def persistence_forecast(X, horizon):
    return np.repeat(X, horizon, axis=2)


def cosine_lr(epoch, epochs, lr_max, lr_min=0.0):
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * epoch / epochs)) / 2


def width_for_budget(cell, budget, input_size=1, num_layers=2, horizon=10):
    H = 1
    while count_parameters(cell, input_size, H + 1, num_layers, horizon) <= budget:
        H += 1
    return H


CASES = [
    (
        checks.check_count_parameters,
        count_parameters,
        [
            (
                lambda c, i, h, n, k: count_parameters(c, i, h, n, k) - k * (h + 1),
                "read-out",
            ),
            (
                lambda c, i, h, n, k: (
                    count_parameters(c, i, h, n, k) - 2 * n * GATES[c] * h
                ),
                "biases",
            ),
            (
                lambda c, i, h, n, k: (
                    count_parameters(c, i, h, n, k) - n * GATES[c] * h
                ),
                "two, b_ih and b_hh",
            ),
            (
                lambda c, i, h, n, k: n * count_parameters(c, i, h, 1, 0) + k * (h + 1),
                "layers above",
            ),
            (lambda c, i, h, n, k: count_parameters(c, i, h, n, k) + 1, "off by +1"),
            (lambda c, i, h, n, k: count_parameters(c, i, h, n, k) + 0.5, "integer"),
        ],
    ),
    (
        checks.check_persistence_forecast,
        persistence_forecast,
        [
            (
                lambda X, k: np.repeat(X[:, -1:], X.shape[1], axis=1).repeat(k, axis=2),
                "last",
            ),
            (
                lambda X, k: np.repeat(
                    np.concatenate([X[:, 1:], X[:, -1:]], axis=1), k, axis=2
                ),
                "next value",
            ),
            (lambda X, k: np.repeat(X, k, axis=1), "shape"),
            (lambda X, k: np.repeat(X, k, axis=2) + 0.1, "off"),
        ],
    ),
    (
        checks.check_cosine_lr,
        cosine_lr,
        [
            (lambda e, n, hi, lo=0.0: cosine_lr(e + 1, n, hi, lo), "one epoch ahead"),
            (lambda e, n, hi, lo=0.0: cosine_lr(e, n, hi, 0.0), "lr_min"),
            (lambda e, n, hi, lo=0.0: hi, "off"),
            (lambda e, n, hi, lo=0.0: hi / 2, "first epoch"),
            (lambda e, n, hi, lo=0.0: "fast", "number"),
        ],
    ),
    (
        checks.check_width_for_budget,
        width_for_budget,
        [
            (lambda c, b, **kw: width_for_budget(c, b, **kw) + 1, "more parameters"),
            (lambda c, b, **kw: width_for_budget(c, b, **kw) - 1, "wider model"),
            (lambda c, b, **kw: 0, "at least 1"),
        ],
    ),
]


@pytest.mark.parametrize(
    "checker,solution,wrongs", CASES, ids=lambda v: getattr(v, "__name__", "")
)
def test_checker_passes_solution_and_fails_wrong_answers(
    checker, solution, wrongs, capsys
):
    assert checker(solution) is True
    assert capsys.readouterr().out.startswith("✅")
    for wrong, hint in wrongs:
        assert checker(wrong) is False
        out = capsys.readouterr().out
        assert out.startswith("❌"), out
        assert hint in out, (hint, out)
        assert out.count("\n") == 1


@pytest.mark.parametrize(
    "checker", [case[0] for case in CASES], ids=lambda f: f.__name__
)
def test_stub_is_not_attempted(checker, capsys):
    assert checker(stub) is False
    assert capsys.readouterr().out.startswith("⏳")


def test_count_formula_matches_real_models():
    for args in [
        ("rnn", 1, 20, 2, 10),
        ("lstm", 1, 20, 2, 10),
        ("gru", 1, 20, 2, 10),
        ("lstm", 3, 7, 3, 4),
    ]:
        assert count_parameters(*args) == count_by_building(*args)
    assert checks.check_count_parameters(count_by_building) is True


def test_crashing_answer_is_a_failure_not_an_exception(capsys):
    def crashes(*args, **kwargs):
        raise KeyError("oops")

    assert checks.check_width_for_budget(crashes) is False
    assert "KeyError" in capsys.readouterr().out


def test_hints_do_not_reveal_the_answer(capsys):
    checks.check_width_for_budget(lambda c, b, **kw: width_for_budget(c, b, **kw) - 1)
    out = capsys.readouterr().out
    assert str(width_for_budget("rnn", 5410)) not in out
