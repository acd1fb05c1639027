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


def param_count(
    mode, input_size, hidden_size, num_layers=1, bias=True, bidirectional=False
):
    G = {"RNN": 1, "LSTM": 4, "GRU": 3}[mode]
    D = 2 if bidirectional else 1
    H = hidden_size
    total = 0
    for layer in range(num_layers):
        H_in = input_size if layer == 0 else D * H
        total += D * G * (H_in * H + H * H + (2 * H if bias else 0))
    return total


def cho_gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    W_hr, W_hz, W_hn = weight_hh.chunk(3)
    b_hr, b_hz, b_hn = bias_hh.chunk(3)
    x_r, x_z, x_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
    r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
    n = torch.tanh(x_n + (r * h) @ W_hn.T + b_hn)
    return (1 - z) * n + z * h


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
    a = h @ W_hn.T + b_hn
    n = torch.tanh(x_n + r * a)
    dr = (r * (1 - r))[:, None] * W_hr
    dz = (z * (1 - z))[:, None] * W_hz
    dn = (1 - n**2)[:, None] * (r[:, None] * W_hn + a[:, None] * dr)
    return torch.diag(z) + (1 - z)[:, None] * dn + (h - n)[:, None] * dz


CHECKERS = {
    "6.3": (checks.check_param_count, param_count),
    "6.4": (checks.check_cho_gru_cell, cho_gru_cell),
    "6.5": (checks.check_gru_from_rnn, gru_from_rnn),
    "6.6": (checks.check_gru_jacobian, gru_jacobian),
}


test_reference_solution_passes, test_stub_is_not_attempted = common_checker_tests(
    CHECKERS
)


def test_the_reference_count_matches_torch_on_the_seed_models():
    # hidden 20, 2 layers, input 1
    for mode, want in (("RNN", 1300), ("LSTM", 5200), ("GRU", 3900)):
        module = getattr(nn, mode)(1, 20, num_layers=2)
        assert (
            param_count(mode, 1, 20, num_layers=2)
            == sum(p.numel() for p in module.parameters())
            == want
        )


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


def test_param_count_with_the_wrong_gate_count_fails(capsys):
    def wrong(mode, *args, **kwargs):
        return param_count("LSTM" if mode == "GRU" else mode, *args, **kwargs)

    line = verdict(capsys, checks.check_param_count(wrong), "❌")
    assert "factor" in line and "GRU" in line


def test_param_count_with_one_bias_fails(capsys):
    def wrong(
        mode, input_size, hidden_size, num_layers=1, bias=True, bidirectional=False
    ):
        G = {"RNN": 1, "LSTM": 4, "GRU": 3}[mode]
        full = param_count(
            mode, input_size, hidden_size, num_layers, bias, bidirectional
        )
        return full - (
            G * hidden_size * num_layers * (2 if bidirectional else 1) if bias else 0
        )

    line = verdict(capsys, checks.check_param_count(wrong), "❌")
    assert "two bias vectors" in line


def test_param_count_ignoring_the_layers_above_fails(capsys):
    def wrong(
        mode, input_size, hidden_size, num_layers=1, bias=True, bidirectional=False
    ):
        return num_layers * param_count(
            mode, input_size, hidden_size, 1, bias, bidirectional
        )

    line = verdict(capsys, checks.check_param_count(wrong), "❌")
    assert "layer below" in line


def test_param_count_ignoring_bidirectional_fails(capsys):
    def wrong(
        mode, input_size, hidden_size, num_layers=1, bias=True, bidirectional=False
    ):
        return param_count(mode, input_size, hidden_size, num_layers, bias, False)

    line = verdict(capsys, checks.check_param_count(wrong), "❌")
    assert "bidirectional" in line


def test_param_count_ignoring_bias_false_fails(capsys):
    def wrong(
        mode, input_size, hidden_size, num_layers=1, bias=True, bidirectional=False
    ):
        return param_count(
            mode, input_size, hidden_size, num_layers, True, bidirectional
        )

    line = verdict(capsys, checks.check_param_count(wrong), "❌")
    assert "bias=False" in line


def test_param_count_returning_a_string_fails(capsys):
    line = verdict(
        capsys,
        checks.check_param_count(lambda *a, **k: str(param_count(*a, **k))),
        "❌",
    )
    assert "int" in line


def test_pytorch_variant_is_not_cho(capsys):
    def wrong(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
        return rnnbook.nn.gru_step(x @ weight_ih.T + bias_ih, h, weight_hh.T, bias_hh)

    line = verdict(capsys, checks.check_cho_gru_cell(wrong), "❌")
    assert "PyTorch's variant" in line


def test_cho_with_swapped_update_gate_fails(capsys):
    def wrong(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
        W_hr, W_hz, W_hn = weight_hh.chunk(3)
        b_hr, b_hz, b_hn = bias_hh.chunk(3)
        x_r, x_z, x_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
        r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
        n = torch.tanh(x_n + (r * h) @ W_hn.T + b_hn)
        return z * n + (1 - z) * h

    line = verdict(capsys, checks.check_cho_gru_cell(wrong), "❌")
    assert "swapped" in line


def test_cho_with_wrong_shape_fails(capsys):
    line = verdict(
        capsys, checks.check_cho_gru_cell(lambda *a: cho_gru_cell(*a).T), "❌"
    )
    assert "shape" in line


def test_cho_with_wrong_values_fails(capsys):
    line = verdict(
        capsys, checks.check_cho_gru_cell(lambda *a: 0.5 * cho_gru_cell(*a)), "❌"
    )
    assert "off" in line


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
