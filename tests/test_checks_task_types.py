"""Every checker of the chapter "Task types" passes the reference solution, fails a
wrong answer with a hint (never the answer), and reports a stub as not attempted."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from checktools import stub

from rnnbook.checks import task_types as checks


def lengths_to_mask(lengths, L):
    return torch.arange(L) < lengths[:, None]


def masked_cross_entropy(logits, targets, lengths):
    mask = lengths_to_mask(lengths, logits.shape[1])
    return F.cross_entropy(logits[mask], targets[mask])


def last_step(out, lengths):
    return out[torch.arange(out.shape[0]), lengths - 1]


def bigram_counts(ids, V, buckets):
    a, b = ids[:, :-1], ids[:, 1:]
    real = ((a != 0) & (b != 0)).float()
    counts = torch.zeros(ids.shape[0], buckets)
    counts.scatter_add_(1, (a * V + b) % buckets, real)
    return counts


def bigrams_with_padding(ids, V, buckets):
    a, b = ids[:, :-1], ids[:, 1:]
    counts = torch.zeros(ids.shape[0], buckets)
    counts.scatter_add_(1, (a * V + b) % buckets, torch.ones(a.shape))
    return counts


CASES = [
    (
        checks.check_lengths_to_mask,
        lengths_to_mask,
        [
            (lambda lengths, L: ~lengths_to_mask(lengths, L), "inverted"),
            (lambda lengths, L: torch.arange(L) <= lengths[:, None], "off by one"),
            (lambda lengths, L: lengths_to_mask(lengths, L).long(), "torch.bool"),
            (
                lambda lengths, L: torch.ones(len(lengths), L + 1, dtype=torch.bool),
                "should have shape",
            ),
        ],
    ),
    (
        checks.check_masked_cross_entropy,
        masked_cross_entropy,
        [
            (lambda lo, t, le: F.cross_entropy(lo.transpose(1, 2), t), "padded steps"),
            (
                lambda lo, t, le: (
                    F.cross_entropy(lo.transpose(1, 2), t, reduction="none")
                    * lengths_to_mask(le, lo.shape[1])
                ).mean(),
                "divided by N \\* L",
            ),
            (
                lambda lo, t, le: torch.stack(
                    [
                        F.cross_entropy(lo[n, : le[n]], t[n, : le[n]])
                        for n in range(len(le))
                    ]
                ).mean(),
                "each sequence first",
            ),
            (
                lambda lo, t, le: F.cross_entropy(
                    lo.transpose(1, 2), t, reduction="none"
                ).mean(1),
                "one number",
            ),
        ],
    ),
    (
        checks.check_last_step,
        last_step,
        [
            (lambda out, lengths: out[:, -1], "last padded step"),
            (
                lambda out, lengths: out[
                    torch.arange(out.shape[0]),
                    torch.clamp(lengths, max=out.shape[1] - 1),
                ],
                "off by one",
            ),
            (lambda out, lengths: out[:, 0], "values are off"),
            (lambda out, lengths: out.numpy(), "torch.Tensor"),
        ],
    ),
    (
        checks.check_bigram_counts,
        bigram_counts,
        [
            (bigrams_with_padding, "padding"),
            (lambda ids, V, B: (bigram_counts(ids, V, B) > 0).float(), "presence"),
            (lambda ids, V, B: bigram_counts(ids, V, B)[:, 1:], "should have shape"),
            (lambda ids, V, B: bigram_counts(ids, V, B) * 2, "pairs in all"),
            (
                lambda ids, V, B: bigram_counts(ids, V, B).roll(1, dims=1),
                "values are off",
            ),
        ],
    ),
]


@pytest.mark.parametrize(
    "checker, solution, wrongs", CASES, ids=lambda v: getattr(v, "__name__", "")
)
def test_checker(checker, solution, wrongs, capsys):
    assert checker(solution) is True
    assert capsys.readouterr().out.startswith("✅ Exercise 10.")
    for wrong, hint in wrongs:
        assert checker(wrong) is False
        out = capsys.readouterr().out
        assert out.startswith("❌ Exercise 10."), out
        assert __import__("re").search(hint, out), (hint, out)
    assert checker(stub) is False
    assert capsys.readouterr().out.startswith("⏳ Exercise 10.")
