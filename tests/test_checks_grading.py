"""What the checkers offer the grader (rnnbook.checks): verdicts recorded, not read
from printed lines; cases drawn from the grader's seed; forbidden shortcuts."""

from __future__ import annotations

import math

import pytest
import torch
from checktools import stub, verdict
from torch import nn

from rnnbook import checks
from rnnbook.checks import (
    Hint,
    Verdict,
    case_seed,
    deep_rnns,
    forbidding,
    grader_seed,
    recording,
    report,
    vanilla_rnn,
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


def test_memorised_receptive_fields_and_splits_fail_under_the_grader(capsys):
    from rnnbook.checks import sequential_data
    from rnnbook.datasets import make_windows, split_by_time

    def receptive_field(kernels, dilations=None):
        dilations = dilations or [1] * len(kernels)
        return 1 + sum((k - 1) * d for k, d in zip(kernels, dilations))

    def split_then_window(series, input_len, horizon):
        return tuple(make_windows(p, input_len, horizon) for p in split_by_time(series))

    for check, right in [
        (sequential_data.check_receptive_field, receptive_field),
        (sequential_data.check_split_then_window, split_then_window),
    ]:
        seen = {}

        def record(*args, right=right, seen=seen):
            seen[repr(args)] = right(*args)
            return seen[repr(args)]

        check(record)  # what the self-check asks
        capsys.readouterr()

        def memorised(*args, seen=seen):
            return seen[repr(args)]  # a KeyError for anything it was not asked before

        verdict(capsys, check(memorised), "✅")
        with grader_seed(2024):
            verdict(capsys, check(memorised), "❌")
            verdict(capsys, check(right), "✅")


def test_memorised_masks_kept_terms_and_orthogonal_matrices_fail_under_the_grader(
    capsys,
):
    import numpy as np

    from rnnbook.checks import bptt, task_types, vanishing_gradients

    def kept_terms(L, T):
        chunk = np.arange(L) // T
        return (chunk[:, None] == chunk[None, :]) & np.tri(L, dtype=bool)

    def mask(lengths, L):
        return torch.arange(L) < lengths[:, None]

    def scaled_orthogonal(H, rho, seed):
        g = torch.Generator().manual_seed(seed)
        q, r = torch.linalg.qr(torch.randn(H, H, generator=g, dtype=torch.float64))
        return rho * q * torch.sign(torch.diagonal(r))

    for check, right in [
        (bptt.check_tbptt_kept_terms, kept_terms),
        (task_types.check_lengths_to_mask, mask),
        (vanishing_gradients.check_scaled_orthogonal, scaled_orthogonal),
    ]:
        seen = {}

        def record(*args, right=right, seen=seen):
            seen[repr(args)] = right(*args)
            return seen[repr(args)]

        check(record)  # what the self-check asks
        capsys.readouterr()

        def memorised(*args, seen=seen):
            return seen[repr(args)]  # a KeyError for anything it was not asked before

        verdict(capsys, check(memorised), "✅")
        with grader_seed(2024):
            verdict(capsys, check(memorised), "❌")
            verdict(capsys, check(right), "✅")


def test_memorised_counts_schedules_and_widths_fail_under_the_grader(capsys):
    from rnnbook.checks import benchmark

    def count(cell, H_in, H, layers, K):
        return benchmark._count(cell, H_in, H, layers, K)

    def cosine(epoch, epochs, lr_max, lr_min=0.0):
        return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * epoch / epochs)) / 2

    def width(cell, budget, input_size=1, num_layers=2, horizon=10):
        return benchmark._width_for_budget(
            cell, budget, input_size, num_layers, horizon
        )

    for check, right in [
        (benchmark.check_count_parameters, count),
        (benchmark.check_cosine_lr, cosine),
        (benchmark.check_width_for_budget, width),
    ]:
        seen = {}

        def record(*args, right=right, seen=seen, **kwargs):
            key = repr((args, sorted(kwargs.items())))
            seen[key] = right(*args, **kwargs)
            return seen[key]

        check(record)  # what the self-check asks
        capsys.readouterr()

        def memorised(*args, seen=seen, **kwargs):
            return seen[repr((args, sorted(kwargs.items())))]  # KeyError if not asked

        verdict(capsys, check(memorised), "✅")
        with grader_seed(2024):
            verdict(capsys, check(memorised), "❌")
            verdict(capsys, check(right), "✅")


def test_memorised_positions_and_counting_data_fail_under_the_grader(capsys):
    from rnnbook.checks import attention, gru

    def positions(L, E):
        t = torch.arange(L, dtype=torch.float64)[:, None]
        freq = 10000 ** (-torch.arange(0, E, 2, dtype=torch.float64) / E)
        P = torch.zeros(L, E, dtype=torch.float64)
        P[:, 0::2], P[:, 1::2] = torch.sin(t * freq), torch.cos(t * freq)
        return P

    def counting_data(n_values, length):
        x, y = gru._counting_data(n_values, length)
        return x.float(), y.float()

    for check, right in [
        (attention.check_sinusoidal_positions, positions),
        (gru.check_counting_data, counting_data),
    ]:
        seen = {}

        def record(*args, right=right, seen=seen):
            seen[repr(args)] = right(*args)
            return seen[repr(args)]

        check(record)  # what the self-check asks
        capsys.readouterr()

        def memorised(*args, seen=seen):
            return seen[repr(args)]  # a KeyError for anything it was not asked before

        verdict(capsys, check(memorised), "✅")
        with grader_seed(2024):
            verdict(capsys, check(memorised), "❌")
            verdict(capsys, check(right), "✅")
