"""The GRU chapter's self-checks: each passes the reference solution, fails a wrong
answer with a hint (never the answer), and reports a NotImplementedError stub as not
attempted."""

from __future__ import annotations

import torch
from checktools import common_checker_tests, verdict
from torch import nn

import rnnbook.nn
from rnnbook.checks import gru as checks

# --- reference solutions (the same as in chapters/06-gru.ipynb) -----------------------


def counting_lstm(big=40.0, forget_bias=None, sign=1.0):
    lstm = nn.LSTM(2, 1, batch_first=True)  # one unit: rows i, f, g, o of the weights
    with torch.no_grad():
        for p in lstm.parameters():
            p.zero_()
        lstm.bias_ih_l0[0] = big  # i_t = 1
        lstm.bias_ih_l0[1] = big if forget_bias is None else forget_bias  # f_t = 1
        lstm.weight_ih_l0[2] = sign * torch.tensor([big, -big])  # g_t = +1 for a, -1 b
    return lstm


def counting_data(n_values, length):
    n = torch.as_tensor(list(n_values))
    is_a = torch.arange(1, length + 1)[None, :] <= n[:, None]  # (N, L)
    x = torch.stack([is_a, ~is_a], dim=2).float()
    y = ((2 * is_a.float() - 1).cumsum(dim=1) < 0).float()
    return x, y


def gru_from_rnn(rnn, big=40.0):
    H = rnn.hidden_size
    gru = nn.GRU(
        rnn.input_size, H, batch_first=rnn.batch_first, dtype=rnn.weight_ih_l0.dtype
    )
    with torch.no_grad():
        for p in gru.parameters():
            p.zero_()
        gru.bias_ih_l0[:H] = big  # r_t = 1
        gru.bias_ih_l0[H : 2 * H] = -big  # z_t = 0
        gru.weight_ih_l0[2 * H :] = rnn.weight_ih_l0
        gru.weight_hh_l0[2 * H :] = rnn.weight_hh_l0
        gru.bias_ih_l0[2 * H :] = rnn.bias_ih_l0
        gru.bias_hh_l0[2 * H :] = rnn.bias_hh_l0
    return gru


def gru_jacobian(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    W_hr, W_hz, W_hn = weight_hh.chunk(3)
    b_hr, b_hz, b_hn = bias_hh.chunk(3)
    x_r, x_z, x_n = (x @ weight_ih.T + bias_ih).chunk(3)
    r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
    m = h @ W_hn.T + b_hn
    n = torch.tanh(x_n + r * m)
    dr = (r * (1 - r))[:, None] * W_hr
    dz = (z * (1 - z))[:, None] * W_hz
    dn = (1 - n**2)[:, None] * (r[:, None] * W_hn + m[:, None] * dr)
    return torch.diag(z) + (1 - z)[:, None] * dn + (h - n)[:, None] * dz


CHECKERS = {
    "6.3": (checks.check_counting_lstm, counting_lstm),
    "6.4": (checks.check_counting_data, counting_data),
    "6.5": (checks.check_gru_from_rnn, gru_from_rnn),
    "6.6": (checks.check_gru_jacobian, gru_jacobian),
}


test_reference_solution_passes, test_stub_is_not_attempted = common_checker_tests(
    CHECKERS
)


def test_the_reference_counter_counts_a_thousand_steps_exactly():
    symbols = torch.randint(0, 2, (3, 1000), generator=torch.Generator().manual_seed(0))
    x = nn.functional.one_hot(symbols, 2).float()
    _, (_, c_n) = counting_lstm()(x)
    assert torch.equal(c_n[0, :, 0], (x[..., 0] - x[..., 1]).sum(1))


def test_gru_from_rnn_also_accepts_rnnbook_gru(capsys):
    def ours(rnn):
        gru = rnnbook.nn.GRU(
            rnn.input_size,
            rnn.hidden_size,
            batch_first=rnn.batch_first,
            dtype=torch.float64,
        )
        gru.load_state_dict(gru_from_rnn(rnn).state_dict())
        return gru

    verdict(capsys, checks.check_gru_from_rnn(ours), "✅")


# --- wrong answers get a hint ---------------------------------------------------------


def test_counter_with_swapped_signs_fails(capsys):
    line = verdict(
        capsys, checks.check_counting_lstm(lambda: counting_lstm(sign=-1.0)), "❌"
    )
    assert "swapped" in line


def test_counter_with_a_leaking_forget_gate_fails(capsys):
    line = verdict(
        capsys, checks.check_counting_lstm(lambda: counting_lstm(forget_bias=3.0)), "❌"
    )
    assert "fallen behind" in line and "leaks" in line


def test_counter_with_a_half_open_input_gate_fails(capsys):
    def wrong():
        lstm = counting_lstm()
        with torch.no_grad():
            lstm.bias_ih_l0[0] = 0.0  # i_t = 1/2: each symbol counts one half
        return lstm

    line = verdict(capsys, checks.check_counting_lstm(wrong), "❌")
    assert "fallen behind" in line


def test_counter_with_two_units_fails(capsys):
    line = verdict(
        capsys,
        checks.check_counting_lstm(lambda: nn.LSTM(2, 2, batch_first=True)),
        "❌",
    )
    assert "hidden_size=1" in line


def test_counter_that_is_not_batch_first_fails(capsys):
    def wrong():
        lstm = counting_lstm()
        lstm.batch_first = False
        return lstm

    line = verdict(capsys, checks.check_counting_lstm(wrong), "❌")
    assert "batch_first=True" in line


def test_counter_returning_a_tensor_fails(capsys):
    line = verdict(capsys, checks.check_counting_lstm(lambda: torch.zeros(1)), "❌")
    assert "module" in line


def test_counting_targets_with_ties_fail(capsys):
    def wrong(n_values, length):
        x, _ = counting_data(n_values, length)
        return x, ((x[..., 0] - x[..., 1]).cumsum(1) <= 0).float()

    line = verdict(capsys, checks.check_counting_data(wrong), "❌")
    assert "strictly" in line


def test_counting_targets_one_step_late_fail(capsys):
    def wrong(n_values, length):
        x, y = counting_data(n_values, length)
        return x, torch.cat([torch.zeros(len(y), 1), y[:, :-1]], 1)

    line = verdict(capsys, checks.check_counting_data(wrong), "❌")
    assert "one step late" in line


def test_counting_inputs_with_swapped_symbols_fail(capsys):
    def wrong(n_values, length):
        x, y = counting_data(n_values, length)
        return x.flip(2), y

    line = verdict(capsys, checks.check_counting_data(wrong), "❌")
    assert "swapped" in line


def test_counting_inputs_as_integers_fail(capsys):
    def wrong(n_values, length):
        x, y = counting_data(n_values, length)
        return x.long(), y.long()

    line = verdict(capsys, checks.check_counting_data(wrong), "❌")
    assert "float" in line


def test_counting_data_with_a_wrong_shape_fails(capsys):
    def wrong(n_values, length):
        x, y = counting_data(n_values, length)
        return x, y[..., None]

    line = verdict(capsys, checks.check_counting_data(wrong), "❌")
    assert "shape" in line


def test_gru_from_rnn_with_open_update_gate_fails(capsys):
    line = verdict(
        capsys, checks.check_gru_from_rnn(lambda rnn: gru_from_rnn(rnn, big=0.0)), "❌"
    )
    assert "update gate is not shut" in line


def test_gru_from_rnn_with_half_open_reset_gate_fails(capsys):
    def wrong(rnn):
        gru = gru_from_rnn(rnn)
        with torch.no_grad():
            gru.bias_ih_l0[: rnn.hidden_size] = 0.0  # r_t = 1/2 when the rest is zero
        return gru

    line = verdict(capsys, checks.check_gru_from_rnn(wrong), "❌")
    assert "reset gate" in line


def test_gru_from_rnn_with_weights_in_the_wrong_block_fails(capsys):
    def wrong(rnn):
        gru = gru_from_rnn(rnn)
        H = rnn.hidden_size
        with torch.no_grad():
            gru.weight_hh_l0[2 * H :] = 0.0
            # into the reset block: r depends on h
            gru.weight_hh_l0[:H] = rnn.weight_hh_l0
        return gru

    line = verdict(capsys, checks.check_gru_from_rnn(wrong), "❌")
    assert "outputs differ" in line or "reset gate" in line


def test_gru_from_rnn_that_modifies_the_rnn_fails(capsys):
    def wrong(rnn):
        gru = gru_from_rnn(rnn)
        with torch.no_grad():
            rnn.bias_hh_l0.zero_()
        return gru

    line = verdict(capsys, checks.check_gru_from_rnn(wrong), "❌")
    assert "parameters changed" in line


def test_gru_from_rnn_with_wrong_batch_first_fails(capsys):
    def wrong(rnn):
        gru = gru_from_rnn(rnn)
        gru.batch_first = not rnn.batch_first
        return gru

    line = verdict(capsys, checks.check_gru_from_rnn(wrong), "❌")
    assert "batch_first" in line


def test_gru_from_rnn_returning_a_tensor_fails(capsys):
    line = verdict(
        capsys, checks.check_gru_from_rnn(lambda rnn: rnn.weight_hh_l0), "❌"
    )
    assert "module" in line


def test_transposed_jacobian_fails(capsys):
    line = verdict(
        capsys, checks.check_gru_jacobian(lambda *a: gru_jacobian(*a).T), "❌"
    )
    assert "transposed" in line


def test_jacobian_without_the_update_gate_path_fails(capsys):
    def wrong(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
        H = h.shape[0]
        z = torch.sigmoid(
            (x @ weight_ih.T + bias_ih)[H : 2 * H]
            + h @ weight_hh[H : 2 * H].T
            + bias_hh[H : 2 * H]
        )
        n = (
            rnnbook.nn.gru_step(
                (x @ weight_ih.T + bias_ih)[None], h[None], weight_hh.T, bias_hh
            )[0]
            - z * h
        ) / (1 - z)
        dz = (z * (1 - z))[:, None] * weight_hh[H : 2 * H]
        return (
            gru_jacobian(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
            - (h - n)[:, None] * dz
        )

    line = verdict(capsys, checks.check_gru_jacobian(wrong), "❌")
    assert "update gate" in line


def test_jacobian_without_the_reset_gate_path_fails(capsys):
    def wrong(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
        W_hr, W_hz, W_hn = weight_hh.chunk(3)
        b_hr, b_hz, b_hn = bias_hh.chunk(3)
        x_r, x_z, x_n = (x @ weight_ih.T + bias_ih).chunk(3)
        r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
        n = torch.tanh(x_n + r * (h @ W_hn.T + b_hn))
        dz = (z * (1 - z))[:, None] * W_hz
        dn = (1 - n**2)[:, None] * (r[:, None] * W_hn)
        return torch.diag(z) + (1 - z)[:, None] * dn + (h - n)[:, None] * dz

    line = verdict(capsys, checks.check_gru_jacobian(wrong), "❌")
    assert "reset gate" in line


def test_jacobian_direct_path_only_fails(capsys):
    def wrong(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
        H = h.shape[0]
        return torch.diag(
            torch.sigmoid(
                (x @ weight_ih.T + bias_ih)[H : 2 * H]
                + h @ weight_hh[H : 2 * H].T
                + bias_hh[H : 2 * H]
            )
        )

    line = verdict(capsys, checks.check_gru_jacobian(wrong), "❌")
    assert "only the direct path" in line


def test_jacobian_wrong_shape_fails(capsys):
    line = verdict(
        capsys, checks.check_gru_jacobian(lambda *a: gru_jacobian(*a)[:, :1]), "❌"
    )
    assert "shape" in line


def test_checkers_never_raise_on_a_crashing_solution(capsys):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    for checker, _ in CHECKERS.values():
        line = verdict(capsys, checker(crash), "❌")
        assert "RuntimeError" in line


def test_checkers_leave_the_global_random_stream_alone(capsys):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    for checker, solution in CHECKERS.values():
        checker(solution)
    assert torch.equal(torch.rand(3), expected)
