"""The vanilla RNN chapter's self-checks: each passes the reference solution, fails a
wrong answer with a hint (never the answer), and reports a NotImplementedError stub as
not attempted."""

from __future__ import annotations

import torch
from checktools import common_checker_tests, verdict
from torch import nn

from rnnbook.checks import vanilla_rnn as checks

# --- reference solutions (the same as in chapters/02-vanilla-rnn.ipynb) ---------------


def param_count(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    D = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        layer_in = input_size if layer == 0 else D * hidden_size
        per_direction = (
            hidden_size * layer_in
            + hidden_size * hidden_size
            + (2 * hidden_size if bias else 0)
        )
        total += D * per_direction
    return total


def image_to_sequence(images, order):
    N, R, C = images.shape
    if order == "rows":
        return images
    if order == "columns":
        return images.transpose(1, 2)
    if order == "pixels":
        return images.reshape(N, R * C, 1)
    if order == "snake":
        snake = images.clone()
        snake[:, 1::2] = snake[:, 1::2].flip(-1)
        return snake.reshape(N, R * C, 1)
    raise ValueError(f"expected order 'rows', 'columns' or 'pixels', got {order!r}")


def birnn_forward(x, rnn):
    N, L, _ = x.shape
    act = torch.tanh if rnn.nonlinearity == "tanh" else torch.relu
    halves, finals = [], []
    for suffix, steps in (("", range(L)), ("_reverse", reversed(range(L)))):
        W_ih, W_hh = (
            getattr(rnn, "weight_ih_l0" + suffix),
            getattr(rnn, "weight_hh_l0" + suffix),
        )
        b_ih, b_hh = (
            getattr(rnn, "bias_ih_l0" + suffix),
            getattr(rnn, "bias_hh_l0" + suffix),
        )
        h = x.new_zeros(N, rnn.hidden_size)
        hs = [None] * L
        for t in steps:
            h = act(x[:, t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
            hs[t] = h
        halves.append(torch.stack(hs, dim=1))
        finals.append(h)
    return torch.cat(halves, dim=2), torch.stack(finals)


def delay_rnn(k):
    rnn = nn.RNN(1, k + 1, nonlinearity="relu", batch_first=True)
    with torch.no_grad():
        rnn.weight_ih_l0.zero_()
        rnn.weight_ih_l0[0, 0] = 1.0
        rnn.weight_hh_l0.copy_(torch.diag(torch.ones(k), diagonal=-1))
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
    return rnn


CHECKERS = {
    "2.1": (checks.check_param_count, param_count),
    "2.3": (checks.check_image_to_sequence, image_to_sequence),
    "2.4": (checks.check_birnn_forward, birnn_forward),
    "2.5": (checks.check_delay_rnn, delay_rnn),
}


test_reference_solution_passes, test_stub_is_not_attempted = common_checker_tests(
    CHECKERS
)


# --- wrong answers get a hint ---------------------------------------------------------


def test_param_count_single_layer_formula_fails_for_stacks(capsys):
    def wrong(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
        D = 2 if bidirectional else 1
        per = hidden_size * (input_size + hidden_size) + (
            2 * hidden_size if bias else 0
        )
        return D * num_layers * per  # wrong: every layer reads input_size

    line = verdict(capsys, checks.check_param_count(wrong), "❌")
    assert "layers above the first" in line


def test_param_count_one_bias_fails(capsys):
    def wrong(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
        return param_count(input_size, hidden_size, num_layers, bidirectional, bias) - (
            (2 if bidirectional else 1) * num_layers * hidden_size if bias else 0
        )

    line = verdict(capsys, checks.check_param_count(wrong), "❌")
    assert "W_ih, W_hh, b_ih and b_hh" in line


def test_param_count_float_fails(capsys):
    line = verdict(
        capsys,
        checks.check_param_count(lambda *a, **k: float(param_count(*a, **k))),
        "❌",
    )
    assert "int" in line


def test_image_to_sequence_pixel_order_column_major_fails(capsys):
    def wrong(images, order):
        if order == "pixels":
            N, R, C = images.shape
            # column-major: wrong order
            return images.transpose(1, 2).reshape(N, R * C, 1)
        return image_to_sequence(images, order)

    line = verdict(capsys, checks.check_image_to_sequence(wrong), "❌")
    assert "pixels" in line and "wrong order" in line


def test_image_to_sequence_columns_via_reshape_fails(capsys):
    def wrong(images, order):
        if order == "columns":
            N, R, C = images.shape
            return images.reshape(N, C, R)  # right shape, wrong content
        return image_to_sequence(images, order)

    line = verdict(capsys, checks.check_image_to_sequence(wrong), "❌")
    assert "columns" in line


def test_image_to_sequence_snake_that_flips_odd_rows_fails(capsys):
    def wrong(images, order):
        if order == "snake":
            N, R, C = images.shape
            snake = images.clone()
            snake[:, 0::2] = snake[:, 0::2].flip(-1)  # starts right to left: wrong
            return snake.reshape(N, R * C, 1)
        return image_to_sequence(images, order)

    line = verdict(capsys, checks.check_image_to_sequence(wrong), "❌")
    assert "snake" in line and "the second right to left" in line


def test_image_to_sequence_must_reject_unknown_order(capsys):
    def lenient(images, order):
        if order not in ("rows", "columns", "pixels", "snake"):
            return images
        return image_to_sequence(images, order)

    line = verdict(capsys, checks.check_image_to_sequence(lenient), "❌")
    assert "ValueError" in line


def test_birnn_reverse_half_in_wrong_time_order_fails(capsys):
    def wrong(x, rnn):
        out, h_n = birnn_forward(x, rnn)
        H = rnn.hidden_size
        return torch.cat([out[..., :H], out[..., H:].flip(1)], dim=2), h_n

    line = verdict(capsys, checks.check_birnn_forward(wrong), "❌")
    assert "reversed time order" in line


def test_birnn_reverse_direction_with_forward_weights_fails(capsys):
    def wrong(x, rnn):
        clone = nn.RNN(
            rnn.input_size,
            rnn.hidden_size,
            batch_first=True,
            bidirectional=True,
            nonlinearity=rnn.nonlinearity,
            dtype=x.dtype,
        )
        clone.load_state_dict(rnn.state_dict())
        with torch.no_grad():
            for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                getattr(clone, name + "_reverse").copy_(getattr(rnn, name))
        return birnn_forward(x, clone)

    line = verdict(capsys, checks.check_birnn_forward(wrong), "❌")
    assert "reverse direction" in line


def test_birnn_swapped_h_n_fails(capsys):
    def wrong(x, rnn):
        out, h_n = birnn_forward(x, rnn)
        return out, h_n.flip(0)

    line = verdict(capsys, checks.check_birnn_forward(wrong), "❌")
    assert "swapped" in line


def test_birnn_tanh_only_fails_for_relu(capsys):
    def wrong(x, rnn):
        rnn_tanh = nn.RNN(
            rnn.input_size,
            rnn.hidden_size,
            batch_first=True,
            bidirectional=True,
            dtype=x.dtype,
        )
        rnn_tanh.load_state_dict(rnn.state_dict())
        return birnn_forward(x, rnn_tanh)

    line = verdict(capsys, checks.check_birnn_forward(wrong), "❌")
    assert "relu" in line


def test_birnn_wrong_return_type_fails(capsys):
    line = verdict(
        capsys,
        checks.check_birnn_forward(lambda x, rnn: birnn_forward(x, rnn)[0]),
        "❌",
    )
    assert "tuple" in line


def test_delay_rnn_without_shift_fails(capsys):
    def wrong(k):
        rnn = delay_rnn(k)
        with torch.no_grad():
            rnn.weight_hh_l0.zero_()  # every unit forgets at once
        return rnn

    line = verdict(capsys, checks.check_delay_rnn(wrong), "❌")
    assert "shift" in line


def test_delay_rnn_too_small_fails(capsys):
    line = verdict(
        capsys,
        checks.check_delay_rnn(
            lambda k: delay_rnn(k) if k == 0 else nn.RNN(1, k, batch_first=True)
        ),
        "❌",
    )
    assert "at least" in line


def test_delay_rnn_tanh_fails(capsys):
    def wrong(k):
        rnn = delay_rnn(k)
        tanh = nn.RNN(1, k + 1, batch_first=True)
        tanh.load_state_dict(rnn.state_dict())
        return tanh

    verdict(capsys, checks.check_delay_rnn(wrong), "❌")


def test_hints_never_print_expected_values(capsys):
    """A wrong answer's hint names what is off, never the target numbers."""
    checks.check_param_count(lambda *a, **k: 1)
    line = capsys.readouterr().out
    # the right count is 10
    assert line.startswith("❌") and str(param_count(1, 2)) not in line
