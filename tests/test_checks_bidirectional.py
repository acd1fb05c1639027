"""The Bidirectional RNNs chapter's self-checks: each passes the reference solution,
fails a wrong answer with a hint (never the answer), and reports a NotImplementedError
stub as not attempted."""

from __future__ import annotations

import pytest
import torch
from checktools import common_checker_tests, verdict

from rnnbook.checks import bidirectional as checks

# --- reference solutions (the same as in chapters/09-bidirectional.ipynb) -------------


def sequence_summary(output, hidden_size):
    H = hidden_size
    return torch.cat([output[:, -1, :H], output[:, 0, H:]], dim=1)


def reverse_padded(x, lengths):
    out = x.clone()
    for n, length in enumerate(lengths.tolist()):
        out[n, :length] = x[n, :length].flip(0)
    return out


def leaks_future(model, input_size, length=8):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, length, input_size, generator=g)
    with torch.no_grad():
        base = model(x)
        for t in range(length - 1):
            changed = x.clone()
            changed[:, t + 1 :] = torch.randn(
                4, length - t - 1, input_size, generator=g
            )
            if not torch.allclose(
                model(changed)[:, : t + 1], base[:, : t + 1], rtol=0, atol=1e-7
            ):
                return True
    return False


CHECKERS = {
    "9.2": (checks.check_sequence_summary, sequence_summary),
    "9.3": (checks.check_reverse_padded, reverse_padded),
    "9.5": (checks.check_leaks_future, leaks_future),
}


test_reference_solution_passes, test_stub_is_not_attempted = common_checker_tests(
    CHECKERS
)


def test_checkers_leave_the_random_stream_alone(capsys):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for checker, solution in CHECKERS.values():
        checker(solution)
    assert torch.equal(torch.rand(3), expected)
    capsys.readouterr()


# --- wrong answers get a hint ---------------------------------------------------------


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda out, H: out[:, -1], "output at the last step for both directions"),
        (
            lambda out, H: torch.cat([out[:, 0, H:], out[:, -1, :H]], dim=1),
            "wrong order",
        ),
        (
            lambda out, H: torch.cat([out[:, -1, :H], out[:, -1, H:]], dim=1),
            "output at the last step",
        ),
        (
            lambda out, H: torch.cat([out[:, -1, :H], out[:, 1, H:]], dim=1),
            "backward half is not",
        ),
        (lambda out, H: out[:, -1, :H], "should have shape"),
        (
            lambda out, H: torch.cat([out[:, 0, :H], out[:, 0, H:]], dim=1),
            "not the right values",
        ),
        (lambda out, H: out[:, -1].numpy(), "should be a torch.Tensor"),
    ],
)
def test_sequence_summary_wrong_answers(wrong, hint, capsys):
    line = verdict(capsys, checks.check_sequence_summary(wrong), "❌")
    assert hint in line


def test_reverse_padded_wrong_answers(capsys):
    line = verdict(
        capsys, checks.check_reverse_padded(lambda x, lengths: x.flip(1)), "❌"
    )
    assert "moves the padding to the front" in line

    def in_place(x, lengths):
        for n, length in enumerate(lengths.tolist()):
            x[n, :length] = x[n, :length].flip(0).clone()
        return x

    line = verdict(capsys, checks.check_reverse_padded(in_place), "❌")
    assert "in place" in line

    def off_by_one(x, lengths):
        out = x.clone()
        for n, length in enumerate(lengths.tolist()):
            out[n, : length - 1] = x[n, : length - 1].flip(0)
        return out

    line = verdict(capsys, checks.check_reverse_padded(off_by_one), "❌")
    assert "valid steps are not reversed" in line

    def pads_wrong(x, lengths):
        out = reverse_padded(x, lengths)
        out[:, -1] = 1.0
        return out

    line = verdict(capsys, checks.check_reverse_padded(pads_wrong), "❌")
    assert "padding should stay" in line

    line = verdict(
        capsys, checks.check_reverse_padded(lambda x, lengths: x[:, :-1]), "❌"
    )
    assert "should have shape" in line


def test_leaks_future_wrong_answers(capsys):
    line = verdict(
        capsys,
        checks.check_leaks_future(lambda model, input_size, length=8: True),
        "❌",
    )
    assert "never reads the future" in line
    line = verdict(
        capsys,
        checks.check_leaks_future(lambda model, input_size, length=8: False),
        "❌",
    )
    assert "reads the future" in line

    # changes the future, compares all steps
    def compares_everything(model, input_size, length=8):
        x = torch.randn(2, length, input_size)
        changed = x.clone()
        changed[:, -1] += 1.0
        return not torch.allclose(model(x), model(changed))

    line = verdict(capsys, checks.check_leaks_future(compares_everything), "❌")
    assert "never reads the future" in line

    # misses a leak that is not at the first step
    def only_last_step(model, input_size, length=8):
        x = torch.randn(2, length, input_size)
        changed = x.clone()
        changed[:, -1] += 1.0
        with torch.no_grad():
            return not torch.allclose(model(x)[:, 0], model(changed)[:, 0])

    line = verdict(capsys, checks.check_leaks_future(only_last_step), "❌")
    assert "reads the future, but your function says it does not" in line

    line = verdict(
        capsys,
        checks.check_leaks_future(lambda model, input_size, length=8: "yes"),
        "❌",
    )
    assert "return True or False" in line
