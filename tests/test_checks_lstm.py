"""The LSTM chapter's self-checks: each passes the reference solution, fails a wrong
answer with a hint (never the answer), and reports a NotImplementedError stub as not
attempted."""

from __future__ import annotations

import torch
from checktools import common_checker_tests, verdict

from rnnbook.checks import lstm as checks

# --- reference solutions (the same as in chapters/05-lstm.ipynb) ----------------------


def split_gates(packed, hidden_size):
    H = hidden_size
    return {
        "i": packed[0:H],
        "f": packed[H : 2 * H],
        "g": packed[2 * H : 3 * H],
        "o": packed[3 * H : 4 * H],
    }


def set_forget_bias(lstm, value):
    H = lstm.hidden_size
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.startswith("bias_ih"):
                p[H : 2 * H] = value
            elif name.startswith("bias_hh"):
                p[H : 2 * H] = 0.0


def cifg_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    a_f, a_g, a_o = (x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh).chunk(
        3, dim=1
    )
    f, g, o = torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
    c = f * c + (1 - f) * g
    return o * torch.tanh(c), c


CHECKERS = {
    "5.3": (checks.check_split_gates, split_gates),
    "5.4": (checks.check_set_forget_bias, set_forget_bias),
    "5.5": (checks.check_cifg_step, cifg_step),
}


test_reference_solution_passes, test_stub_is_not_attempted = common_checker_tests(
    CHECKERS
)


def test_the_reference_split_matches_torch_chunk():
    w = torch.randn(12, 3)
    assert all(
        torch.equal(a, b) for a, b in zip(split_gates(w, 3).values(), w.chunk(4, dim=0))
    )


# --- wrong answers get a hint ---------------------------------------------------------


def test_split_gates_in_keras_order_fails(capsys):
    def wrong(packed, hidden_size):  # i, f, c, o is Keras' order; f and g swapped here
        d = split_gates(packed, hidden_size)
        return {"i": d["i"], "f": d["g"], "g": d["f"], "o": d["o"]}

    line = verdict(capsys, checks.check_split_gates(wrong), "❌")
    assert "another gate" in line and "order" in line


def test_split_gates_transposed_blocks_fail(capsys):
    def wrong(packed, hidden_size):  # (H_in, H_out) instead of (H_out, H_in)
        return {
            k: v.T if v.ndim == 2 else v
            for k, v in split_gates(packed, hidden_size).items()
        }

    line = verdict(capsys, checks.check_split_gates(wrong), "❌")
    assert "should have shape" in line


def test_split_gates_interleaved_rows_fails(capsys):
    # rows 0, 4, 8, ... as gate i: right shape, wrong entries
    def wrong(packed, hidden_size):
        return {k: packed[j::4] for j, k in enumerate("ifgo")}

    line = verdict(capsys, checks.check_split_gates(wrong), "❌")
    assert "right shape but not the right entries" in line


def test_split_gates_wrong_keys_fail(capsys):
    line = verdict(
        capsys,
        checks.check_split_gates(
            lambda p, H: dict(zip(["input", "forget", "cell", "output"], p.chunk(4)))
        ),
        "❌",
    )
    assert "keys" in line


def test_split_gates_returning_a_tuple_fails(capsys):
    line = verdict(capsys, checks.check_split_gates(lambda p, H: p.chunk(4)), "❌")
    assert "dict" in line


def test_set_forget_bias_on_both_biases_fails(capsys):
    def wrong(lstm, value):
        H = lstm.hidden_size
        with torch.no_grad():
            for name, p in lstm.named_parameters():
                if name.startswith("bias"):
                    p[H : 2 * H] = value  # b_if + b_hf = 2 * value

    line = verdict(capsys, checks.check_set_forget_bias(wrong), "❌")
    assert "twice" in line


def test_set_forget_bias_first_layer_only_fails(capsys):
    def wrong(lstm, value):
        H = lstm.hidden_size
        with torch.no_grad():
            lstm.bias_ih_l0[H : 2 * H] = value
            lstm.bias_hh_l0[H : 2 * H] = 0.0

    line = verdict(capsys, checks.check_set_forget_bias(wrong), "❌")
    assert "does not equal value" in line


def test_set_forget_bias_wrong_block_fails(capsys):
    def wrong(lstm, value):
        H = lstm.hidden_size
        with torch.no_grad():
            for name, p in lstm.named_parameters():
                if name.startswith("bias_ih"):
                    p[:H] = value  # the input gate's block

    line = verdict(capsys, checks.check_set_forget_bias(wrong), "❌")
    assert "'i' block" in line


def test_set_forget_bias_touching_weights_fails(capsys):
    def wrong(lstm, value):
        set_forget_bias(lstm, value)
        with torch.no_grad():
            lstm.weight_hh_l0.zero_()

    line = verdict(capsys, checks.check_set_forget_bias(wrong), "❌")
    assert "weight_hh_l0 changed" in line


def test_cifg_with_input_gate_equal_to_forget_gate_fails(capsys):
    def wrong(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
        a_f, a_g, a_o = (x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh).chunk(
            3, dim=1
        )
        f, g, o = torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
        c = f * c + f * g
        return o * torch.tanh(c), c

    line = verdict(capsys, checks.check_cifg_step(wrong), "❌")
    assert "not the forget gate itself" in line


def test_cifg_with_wrong_output_fails(capsys):
    def wrong(*args):
        h, c = cifg_step(*args)
        return torch.tanh(c), c  # no output gate

    line = verdict(capsys, checks.check_cifg_step(wrong), "❌")
    assert "h_t is not" in line


def test_cifg_with_blocks_in_the_wrong_order_fails(capsys):
    def wrong(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
        a_g, a_f, a_o = (x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh).chunk(
            3, dim=1
        )
        f, g, o = torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
        c = f * c + (1 - f) * g
        return o * torch.tanh(c), c

    line = verdict(capsys, checks.check_cifg_step(wrong), "❌")
    assert "c_t" in line and "off" in line


def test_cifg_returning_one_tensor_fails(capsys):
    line = verdict(capsys, checks.check_cifg_step(lambda *a: cifg_step(*a)[0]), "❌")
    assert "tuple" in line


def test_cifg_wrong_shape_fails(capsys):
    line = verdict(
        capsys,
        checks.check_cifg_step(lambda *a: tuple(t.T for t in cifg_step(*a))),
        "❌",
    )
    assert "shape" in line


def test_checkers_never_raise_on_a_crashing_solution(capsys):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    for checker in (
        checks.check_split_gates,
        checks.check_set_forget_bias,
        checks.check_cifg_step,
    ):
        line = verdict(capsys, checker(crash), "❌")
        assert "RuntimeError" in line


def test_checkers_leave_the_global_random_stream_alone(capsys):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    for checker, solution in CHECKERS.values():
        checker(solution)
    assert torch.equal(torch.rand(3), expected)
