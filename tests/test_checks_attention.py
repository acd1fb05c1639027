"""Every checker of the chapter "Attention" passes the reference solution, fails a wrong
answer with a hint (never the answer), and reports a stub as not attempted."""

from __future__ import annotations

import math
import re

import pytest
import torch
from checktools import common_checker_tests, stub, verdict

from rnnbook.checks import attention as checks


def masked_weights(scores, lengths):
    mask = torch.arange(scores.shape[1]) < lengths[:, None]
    return torch.softmax(scores.masked_fill(~mask, -math.inf), dim=-1)


def general_attention(s, h, W, mask):
    e = torch.einsum("nq,qk,nlk->nl", s, W, h)
    alpha = torch.softmax(e.masked_fill(~mask, -math.inf), dim=-1)
    return torch.einsum("nl,nlk->nk", alpha, h), alpha


def sequence_log_prob(logits, targets):
    logp = torch.log_softmax(logits, -1).gather(2, targets[..., None])[..., 0]
    return (logp * (targets != 0)).sum(1)


def beam_step(scores, logp, B):
    N, _, K = logp.shape
    best, idx = (scores[:, :, None] + logp).view(N, -1).topk(B, dim=1)
    return best, idx // K, idx % K


def sinusoidal_positions(L, E):
    t = torch.arange(L)[:, None]
    freq = 10000 ** (-torch.arange(0, E, 2) / E)
    P = torch.zeros(L, E)
    P[:, 0::2], P[:, 1::2] = torch.sin(t * freq), torch.cos(t * freq)
    return P


CHECKERS = {
    "12.1": (checks.check_masked_weights, masked_weights),
    "12.3": (checks.check_general_attention, general_attention),
    "12.4": (checks.check_sequence_log_prob, sequence_log_prob),
    "12.5": (checks.check_beam_step, beam_step),
    "12.6": (checks.check_sinusoidal_positions, sinusoidal_positions),
}
test_reference_solution_passes, test_stub_is_not_attempted = common_checker_tests(
    CHECKERS
)


def _general_scaled(s, h, W, mask):
    e = torch.einsum("nq,qk,nlk->nl", s, W, h) / math.sqrt(h.shape[-1])
    alpha = torch.softmax(e.masked_fill(~mask, -math.inf), dim=-1)
    return torch.einsum("nl,nlk->nk", alpha, h), alpha


def _general_transposed(s, h, W, mask):
    return (
        general_attention(s, h, W.T, mask)
        if W.shape[0] == W.shape[1]
        else (general_attention(s, h, W, mask))
    )


def _beam_own_best(scores, logp, B):
    K = logp.shape[-1]
    best, tok = (scores[:, :, None] + logp).max(-1)
    order = best.argsort(1, descending=True)
    return best.gather(1, order), order, tok.gather(1, order) % K


def _sin(fn):
    def wrapped(L, E):
        P = sinusoidal_positions(L, E)
        return fn(P, L, E)

    return wrapped


WRONGS = [
    (
        checks.check_masked_weights,
        [
            (lambda sc, le: torch.softmax(sc, -1), "exactly 0"),
            (
                lambda sc, le: (
                    torch.softmax(sc, -1) * (torch.arange(sc.shape[1]) < le[:, None])
                ),
                "sum to 1",
            ),
            (lambda sc, le: masked_weights(sc, le)[:, :-1], "should have shape"),
            (lambda sc, le: masked_weights(sc * 2, le), "values are off"),
        ],
    ),
    (
        checks.check_general_attention,
        [
            (_general_scaled, "without the 1/sqrt"),
            (lambda *a: general_attention(*a)[1], "pair"),
            (
                lambda s, h, W, m: (
                    general_attention(s, h, W, m)[0],
                    torch.softmax(torch.einsum("nq,qk,nlk->nl", s, W, h), -1),
                ),
                "exactly 0",
            ),
        ],
    ),
    (
        checks.check_sequence_log_prob,
        [
            (
                lambda lo, t: (
                    torch.log_softmax(lo, -1).gather(2, t[..., None])[..., 0].sum(1)
                ),
                "padded steps",
            ),
            (
                lambda lo, t: (
                    (lo.gather(2, t[..., None])[..., 0] * (t != 0)).sum(1) - 100
                ),
                "values are off",
            ),
            (lambda lo, t: -sequence_log_prob(lo, t), "never positive"),
            (
                lambda lo, t: sequence_log_prob(lo, t) / (t != 0).sum(1),
                "do not average",
            ),
        ],
    ),
    (
        checks.check_beam_step,
        [
            (_beam_own_best, "B best of all"),
            (
                lambda sc, lp, B: beam_step(torch.zeros_like(sc), lp, B),
                "add each beam's score",
            ),
            (lambda sc, lp, B: beam_step(sc, lp, B)[:2], "three tensors"),
            (
                lambda sc, lp, B: (
                    beam_step(sc, lp, B)[0],
                    *beam_step(sc, lp, B)[2:0:-1],
                ),
                "do not point",
            ),
        ],
    ),
    (
        checks.check_sinusoidal_positions,
        [
            (
                _sin(
                    lambda P, L, E: torch.stack([P[:, 1::2], P[:, 0::2]], -1).view(L, E)
                ),
                "sine on the even",
            ),
            (_sin(lambda P, L, E: P[:, :-1]), "should have shape"),
            (_sin(lambda P, L, E: P * 1.1), "values are off"),
            (
                lambda L, E: sinusoidal_positions(L + 1, E)[1:],
                "from 0",
            ),
        ],
    ),
]


@pytest.mark.parametrize(
    "checker, wrongs", WRONGS, ids=lambda v: getattr(v, "__name__", "")
)
def test_wrong_answers_get_a_hint(checker, wrongs, capsys):
    for wrong, hint in wrongs:
        line = verdict(capsys, checker(wrong), "❌")
        assert re.search(hint, line), (hint, line)


def test_a_stub_called_with_arguments_is_not_attempted(capsys):
    verdict(capsys, checks.check_beam_step(stub), "⏳")
