"""What the checkers offer the grader (rnnbook.checks): verdicts recorded, not read
from printed lines; cases drawn from the grader's seed; forbidden shortcuts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from checktools import stub, verdict
from torch import nn

from rnnbook import checks
from rnnbook.checks import (
    Hint,
    Verdict,
    attention,
    benchmark,
    bptt,
    case_seed,
    deep_rnns,
    forbidding,
    grader_seed,
    gru,
    recording,
    report,
    sequential_data,
    task_types,
    vanilla_rnn,
    vanishing_gradients,
)


def test_case_seed_is_the_default_unless_the_grader_sets_one():
    assert case_seed(23) == 23
    with grader_seed(5):
        first = case_seed(23)
        assert first != 23 and case_seed(24) != first
    with grader_seed(6):
        assert case_seed(23) != first
    assert case_seed(23) == 23
    with pytest.raises(ValueError, match="non-negative int seed"):
        with grader_seed(-1):
            pass


def test_recording_collects_verdicts(capsys):
    def wrong():
        raise Hint("off by one")

    with recording() as got:
        report("9.1", lambda: None)
        report("9.2", wrong)
        report("9.3", stub)
        report("9.4", lambda: 1 / 0)
    assert got == [
        Verdict("9.1", "pass", "passed"),
        Verdict("9.2", "fail", "off by one"),
        Verdict("9.3", "not attempted", "not attempted yet"),
        Verdict("9.4", "fail", "your code raised ZeroDivisionError: division by zero"),
    ]
    assert capsys.readouterr().out.count("Exercise 9.") == 4


def test_forbidding_fails_even_when_the_student_catches_it(capsys):
    def sneaky():
        try:
            torch.nn.RNN(2, 3)
        except Exception:
            pass

    def check():
        with forbidding("count by hand", "torch.nn.modules.rnn.RNNBase.__init__"):
            sneaky()

    line = verdict(capsys, report("9.5", check), "❌")
    assert "count by hand, but your code called torch.nn.RNNBase.__init__" in line
    assert nn.RNN(2, 3).hidden_size == 3  # restored afterwards
    assert checks.Forbidden.__mro__[1] is Hint


def _param_count(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    D = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        H_in = input_size if layer == 0 else D * hidden_size
        total += D * (hidden_size * (H_in + hidden_size) + 2 * hidden_size * bias)
    return total


@pytest.mark.parametrize(
    "checker, shortcut, rule",
    [
        (
            vanilla_rnn.check_param_count,
            lambda i, h, num_layers=1, bidirectional=False, bias=True: sum(
                p.numel()
                for p in nn.RNN(
                    i, h, num_layers=num_layers, bidirectional=bidirectional, bias=bias
                ).parameters()
            ),
            "count with arithmetic alone",
        ),
        (
            vanilla_rnn.check_birnn_forward,
            lambda x, rnn: rnn(x),
            "without calling the module",
        ),
        (
            deep_rnns.check_count_parameters,
            lambda mode, i, h, num_layers=1, bidirectional=False: sum(
                p.numel()
                for p in getattr(nn, mode)(
                    i, h, num_layers=num_layers, bidirectional=bidirectional
                ).parameters()
            ),
            "count without building the module",
        ),
        (
            deep_rnns.check_deep_gru_forward,
            lambda gru, x: gru(x),
            "without calling the whole GRU",
        ),
    ],
)
def test_the_finished_module_is_a_forbidden_shortcut(checker, shortcut, rule, capsys):
    line = verdict(capsys, checker(shortcut), "❌")
    assert rule in line and "your code called torch" in line


def test_hard_coded_answers_pass_the_self_check_but_not_the_grader(capsys):
    seen = {}

    def record(*args, **kwargs):
        key = args + tuple(sorted(kwargs.items()))
        seen[key] = _param_count(*args, **kwargs)
        return seen[key]

    vanilla_rnn.check_param_count(record)  # what the self-check asks
    capsys.readouterr()

    def memorised(*args, **kwargs):
        return seen.get(args + tuple(sorted(kwargs.items())), 0)

    verdict(capsys, vanilla_rnn.check_param_count(memorised), "✅")
    with grader_seed(12345):
        verdict(capsys, vanilla_rnn.check_param_count(memorised), "❌")
        verdict(capsys, vanilla_rnn.check_param_count(_param_count), "✅")


# --- answers memorised from the self-check fail under the grader's seed ---------------


def _receptive_field(kernels, dilations=None):
    dilations = dilations or [1] * len(kernels)
    return 1 + sum((k - 1) * d for k, d in zip(kernels, dilations))


def _split_then_window(series, input_len, horizon):
    from rnnbook.datasets import make_windows, split_by_time

    return tuple(make_windows(p, input_len, horizon) for p in split_by_time(series))


def _kept_terms(L, T):
    chunk = np.arange(L) // T
    return (chunk[:, None] == chunk[None, :]) & np.tri(L, dtype=bool)


def _scaled_orthogonal(H, rho, seed):
    g = torch.Generator().manual_seed(seed)
    q, r = torch.linalg.qr(torch.randn(H, H, generator=g, dtype=torch.float64))
    return rho * q * torch.sign(torch.diagonal(r))


def _cosine(epoch, epochs, lr_max, lr_min=0.0):
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * epoch / epochs)) / 2


def _positions(L, E):
    t = torch.arange(L, dtype=torch.float64)[:, None]
    freq = 10000 ** (-torch.arange(0, E, 2, dtype=torch.float64) / E)
    P = torch.zeros(L, E, dtype=torch.float64)
    P[:, 0::2], P[:, 1::2] = torch.sin(t * freq), torch.cos(t * freq)
    return P


def _counting_data(n_values, length):
    x, y = gru._counting_data(n_values, length)
    return x.float(), y.float()


SEEDED = {  # exercise: (its checker, a right answer)
    "1.4": (sequential_data.check_receptive_field, _receptive_field),
    "1.5": (sequential_data.check_split_then_window, _split_then_window),
    "3.5": (bptt.check_tbptt_kept_terms, _kept_terms),
    "4.4": (vanishing_gradients.check_scaled_orthogonal, _scaled_orthogonal),
    "6.4": (gru.check_counting_data, _counting_data),
    "7.1": (benchmark.check_count_parameters, benchmark._count),
    "7.3": (benchmark.check_cosine_lr, _cosine),
    "7.4": (
        benchmark.check_width_for_budget,
        lambda cell, budget, input_size=1, num_layers=2, horizon=10: (
            benchmark._width_for_budget(cell, budget, input_size, num_layers, horizon)
        ),
    ),
    "10.2": (
        task_types.check_lengths_to_mask,
        lambda lengths, L: torch.arange(L) < lengths[:, None],
    ),
    "12.6": (attention.check_sinusoidal_positions, _positions),
}


@pytest.mark.parametrize("exercise", sorted(SEEDED))
def test_memorised_answers_pass_the_self_check_but_not_the_grader(exercise, capsys):
    check, right = SEEDED[exercise]
    seen = {}

    def record(*args, **kwargs):
        key = repr((args, sorted(kwargs.items())))
        seen[key] = right(*args, **kwargs)
        return seen[key]

    check(record)  # what the self-check asks
    capsys.readouterr()

    def memorised(*args, **kwargs):
        # a KeyError for anything the self-check did not ask
        return seen[repr((args, sorted(kwargs.items())))]

    verdict(capsys, check(memorised), "✅")
    with grader_seed(2024):
        verdict(capsys, check(memorised), "❌")
        verdict(capsys, check(right), "✅")
