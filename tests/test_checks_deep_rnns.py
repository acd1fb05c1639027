"""The Deep RNNs chapter's self-checks: each passes the reference solution, fails a
wrong answer with a hint (never the answer), and reports a NotImplementedError stub as
not attempted."""

from __future__ import annotations

import pytest
import torch
from checktools import common_checker_tests, verdict
from torch import nn

from rnnbook.checks import deep_rnns as checks

# --- reference solutions (the same as in chapters/08-deep-rnns.ipynb) -----------------


def count_parameters(mode, input_size, hidden_size, num_layers=1, bidirectional=False):
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[mode]
    D = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else D * hidden_size
        total += D * G * hidden_size * (layer_input + hidden_size + 2)
    return total


def deep_gru_forward(gru, x):
    N, L, _ = x.shape
    seq, h_n = x, []
    for layer in range(gru.num_layers):
        cell = nn.GRUCell(seq.shape[2], gru.hidden_size, dtype=x.dtype)
        cell.load_state_dict(
            {
                kind: getattr(gru, f"{kind}_l{layer}")
                for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            }
        )
        h = x.new_zeros(N, gru.hidden_size)
        outs = []
        for t in range(L):
            h = cell(seq[:, t], h)
            outs.append(h)
        seq = torch.stack(outs, dim=1)
        h_n.append(h)
    return seq, torch.stack(h_n)


def split_h_n(h_n, num_layers, bidirectional):
    D = 2 if bidirectional else 1
    return h_n.view(num_layers, D, *h_n.shape[1:])


def locked_dropout(x, p, training):
    if not training or p == 0:
        return x
    N, _, H = x.shape
    mask = torch.empty(N, 1, H, dtype=x.dtype).bernoulli_(1 - p) / (1 - p)
    return x * mask


def unproject(lstmp):
    W_hr = lstmp.weight_hr_l0.detach()  # (P, H)
    lstm = nn.LSTM(
        lstmp.input_size, lstmp.hidden_size, batch_first=True, dtype=W_hr.dtype
    )
    state = {k: v.detach().clone() for k, v in lstmp.state_dict().items()}
    state["weight_hh_l0"] = state["weight_hh_l0"] @ state.pop("weight_hr_l0")
    lstm.load_state_dict(state)
    proj = nn.Linear(lstmp.hidden_size, lstmp.proj_size, bias=False, dtype=W_hr.dtype)
    with torch.no_grad():
        proj.weight.copy_(W_hr)
    return lstm, proj


CHECKERS = {
    "8.2": (checks.check_count_parameters, count_parameters),
    "8.3": (checks.check_deep_gru_forward, deep_gru_forward),
    "8.4": (checks.check_split_h_n, split_h_n),
    "8.6": (checks.check_locked_dropout, locked_dropout),
    "8.7": (checks.check_unproject, unproject),
}


test_reference_solution_passes, test_stub_is_not_attempted = common_checker_tests(
    CHECKERS
)


# 8.3 and 8.6's solutions draw random numbers themselves
@pytest.mark.parametrize("exercise", ["8.2", "8.4"])
def test_checkers_leave_the_global_random_stream_alone(exercise, capsys):
    checker, solution = CHECKERS[exercise]
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checker(solution)
    capsys.readouterr()
    assert torch.equal(torch.rand(3), expected)


# --- wrong answers get a hint ---------------------------------------------------------


def test_count_with_every_layer_reading_the_input_fails(capsys):
    def wrong(mode, input_size, hidden_size, num_layers=1, bidirectional=False):
        G = {"RNN": 1, "GRU": 3, "LSTM": 4}[mode]
        D = 2 if bidirectional else 1
        return D * num_layers * G * hidden_size * (input_size + hidden_size + 2)

    line = verdict(capsys, checks.check_count_parameters(wrong), "❌")
    assert "layers above the first" in line


def test_count_with_one_bias_fails(capsys):
    def wrong(mode, input_size, hidden_size, num_layers=1, bidirectional=False):
        G = {"RNN": 1, "GRU": 3, "LSTM": 4}[mode]
        D = 2 if bidirectional else 1
        return (
            count_parameters(mode, input_size, hidden_size, num_layers, bidirectional)
            - D * num_layers * G * hidden_size
        )

    line = verdict(capsys, checks.check_count_parameters(wrong), "❌")
    assert "b_ih and b_hh" in line


def test_count_ignoring_directions_fails(capsys):
    def wrong(mode, input_size, hidden_size, num_layers=1, bidirectional=False):
        return count_parameters(mode, input_size, hidden_size, num_layers, False)

    line = verdict(capsys, checks.check_count_parameters(wrong), "❌")
    assert "bidirectional" in line or "directions" in line or "off" in line


def test_count_returning_a_string_fails(capsys):
    line = verdict(capsys, checks.check_count_parameters(lambda *a, **k: "4938"), "❌")
    assert "int" in line


def test_gru_returning_the_first_layer_fails(capsys):
    def wrong(gru, x):
        out, h_n = deep_gru_forward(gru, x)
        first = nn.GRU(gru.input_size, gru.hidden_size, batch_first=True, dtype=x.dtype)
        first.load_state_dict(
            {k: v for k, v in gru.state_dict().items() if k.endswith("_l0")}
        )
        return deep_gru_forward(first, x)[0], h_n

    line = verdict(capsys, checks.check_deep_gru_forward(wrong), "❌")
    assert "first layer" in line


def test_gru_with_reversed_h_n_fails(capsys):
    def wrong(gru, x):
        out, h_n = deep_gru_forward(gru, x)
        return out, h_n.flip(0)

    line = verdict(capsys, checks.check_deep_gru_forward(wrong), "❌")
    assert "wrong order" in line


def test_gru_time_first_fails(capsys):
    def wrong(gru, x):
        out, h_n = deep_gru_forward(gru, x)
        return out.transpose(0, 1), h_n

    line = verdict(capsys, checks.check_deep_gru_forward(wrong), "❌")
    assert "time-first" in line


def test_gru_hint_does_not_reveal_values(capsys):
    def wrong(gru, x):
        out, h_n = deep_gru_forward(gru, x)
        return out + 0.1, h_n

    line = verdict(capsys, checks.check_deep_gru_forward(wrong), "❌")
    assert "values are off" in line


def test_split_h_n_with_directions_outermost_fails(capsys):
    def wrong(h_n, num_layers, bidirectional):
        D = 2 if bidirectional else 1
        return h_n.view(D, num_layers, *h_n.shape[1:]).transpose(0, 1)

    line = verdict(capsys, checks.check_split_h_n(wrong), "❌")
    assert "ordered" in line or "rows" in line


def test_split_h_n_wrong_shape_fails(capsys):
    line = verdict(
        capsys, checks.check_split_h_n(lambda h_n, num_layers, bidirectional: h_n), "❌"
    )
    assert "shape" in line


def test_torch_dropout_is_not_locked(capsys):
    def wrong(x, p, training):
        return nn.functional.dropout(x, p, training)

    line = verdict(capsys, checks.check_locked_dropout(wrong), "❌")
    assert "every step" in line


def test_dropout_without_rescaling_fails(capsys):
    def wrong(x, p, training):
        return locked_dropout(x, p, training) * (1 - p) if training else x

    line = verdict(capsys, checks.check_locked_dropout(wrong), "❌")
    assert "rescaled" in line


def test_dropout_in_eval_mode_fails(capsys):
    def wrong(x, p, training):
        return locked_dropout(x, p, True)

    line = verdict(capsys, checks.check_locked_dropout(wrong), "❌")
    assert "unchanged" in line


def test_one_mask_for_the_whole_batch_fails(capsys):
    def wrong(x, p, training):
        if not training or p == 0:
            return x
        mask = torch.empty(1, 1, x.shape[2]).bernoulli_(1 - p) / (1 - p)
        return x * mask

    line = verdict(capsys, checks.check_locked_dropout(wrong), "❌")
    assert "same mask" in line


def test_unproject_checker_leaves_the_global_random_stream_alone(capsys):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checks.check_unproject(lambda lstmp: (None, None))
    capsys.readouterr()
    assert torch.equal(torch.rand(3), expected)


def test_unproject_keeping_the_projection_fails(capsys):
    def wrong(lstmp):
        return lstmp, nn.Linear(lstmp.proj_size, lstmp.proj_size, bias=False)

    line = verdict(capsys, checks.check_unproject(wrong), "❌")
    assert "proj_size" in line


def test_unproject_with_a_biased_projection_fails(capsys):
    def wrong(lstmp):
        lstm, proj = unproject(lstmp)
        biased = nn.Linear(lstmp.hidden_size, lstmp.proj_size, dtype=torch.float64)
        with torch.no_grad():
            biased.weight.copy_(proj.weight)
            biased.bias.zero_()
        return lstm, biased

    line = verdict(capsys, checks.check_unproject(wrong), "❌")
    assert "no bias" in line


def test_unproject_with_the_recurrent_matrix_left_out_fails(capsys):
    def wrong(lstmp):  # drops the recurrence: W_hh = 0
        lstm, proj = unproject(lstmp)
        with torch.no_grad():
            lstm.weight_hh_l0.zero_()
        return lstm, proj

    line = verdict(capsys, checks.check_unproject(wrong), "❌")
    assert "first step but not later" in line


def test_unproject_with_a_transposed_projection_fails(capsys):
    def wrong(lstmp):
        lstm, _ = unproject(lstmp)
        proj = nn.Linear(lstmp.proj_size, lstmp.hidden_size, bias=False)
        return lstm, proj

    line = verdict(capsys, checks.check_unproject(wrong), "❌")
    assert "shape" in line


def test_unproject_without_the_biases_fails(capsys):
    def wrong(lstmp):
        lstm, proj = unproject(lstmp)
        with torch.no_grad():
            lstm.bias_hh_l0.zero_()
        return lstm, proj

    line = verdict(capsys, checks.check_unproject(wrong), "❌")
    assert "already at the first step" in line
