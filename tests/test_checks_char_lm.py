"""Every checker of the chapter "A character-level language model" passes the reference
solution, fails a wrong answer with a hint (never the answer), and reports a stub as not
attempted."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch
from checktools import stub

from rnnbook.charlm import evaluate_loss
from rnnbook.checks import char_lm as checks


def top_k_probs(logits, k, temperature=1.0):
    values, _ = torch.topk(logits, k, dim=-1)
    kth = values[..., -1:]  # the k-th largest logit of each row
    return torch.softmax(
        torch.where(logits >= kth, logits, -torch.inf) / temperature, dim=-1
    )


def top_k_not_renormalised(logits, k, temperature=1.0):
    p = torch.softmax(logits / temperature, -1)
    return torch.where(p >= torch.topk(p, k, -1).values[..., -1:], p, 0.0)


def ngram_cross_entropy(train_ids, test_ids, order, vocab_size, alpha=1.0):
    """A dictionary-based version, written differently from the checker's reference."""
    train, test = list(map(int, train_ids)), list(map(int, test_ids))
    n = order
    joint = Counter(tuple(train[i : i + n]) for i in range(len(train) - n + 1))
    context = Counter(tuple(train[i : i + n - 1]) for i in range(len(train) - n + 1))
    logs = [
        math.log(
            (joint[tuple(test[i : i + n])] + alpha)
            / (context[tuple(test[i : i + n - 1])] + alpha * vocab_size)
        )
        for i in range(len(test) - n + 1)
    ]
    return -sum(logs) / len(logs)


def loss_without_carry(model, ids, seq_len):
    total, count = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(ids) - 1, seq_len):
            x, y = ids[s : s + seq_len], ids[s + 1 : s + seq_len + 1]
            x = x[: len(y)]
            logits, _ = model(x[None])
            total += float(torch.nn.functional.cross_entropy(logits[0], y)) * len(y)
            count += len(y)
    return total / count


def unweighted_chunk_mean(model, ids, seq_len):
    losses = []
    with torch.no_grad():
        for s in range(0, len(ids) - 1, seq_len):
            y = ids[s + 1 : s + seq_len + 1]
            logits, _ = model(ids[None, s : s + len(y)])
            losses.append(float(torch.nn.functional.cross_entropy(logits[0], y)))
    return float(np.mean(losses))


CASES = [
    (
        checks.check_top_k_probs,
        top_k_probs,
        [
            (top_k_not_renormalised, "did not renormalise"),
            (lambda z, k, T=1.0: torch.softmax(z, -1), "exactly two"),
            (lambda z, k, T=1.0: top_k_probs(z, k), "divided by the temperature"),
            (lambda z, k, T=1.0: top_k_probs(z, k, T) / 2, "sum to 1"),
        ],
    ),
    (
        checks.check_ngram_cross_entropy,
        ngram_cross_entropy,
        [
            (lambda *a, **kw: ngram_cross_entropy(*a, **kw) / math.log(2), "bits"),
            (lambda *a, **kw: -ngram_cross_entropy(*a, **kw), "negative"),
            (
                lambda tr, te, n, K, alpha=1.0: ngram_cross_entropy(
                    tr, te, 1, K, alpha
                ),
                "previous",
            ),
            (
                lambda tr, te, n, K, alpha=1.0: ngram_cross_entropy(tr, te, n, K, 1.0),
                "not right",
            ),
            (lambda *a, **kw: "1.2 nats", "expected a number"),
        ],
    ),
    (
        checks.check_loss_without_carry,
        loss_without_carry,
        [
            (
                lambda m, ids, L: evaluate_loss(m, ids, batch_size=1, seq_len=L),
                "zero state",
            ),
            (unweighted_chunk_mean, "not right"),
            (lambda m, ids, L: (m.train(), loss_without_carry(m, ids, L))[1], "mode"),
        ],
    ),
]


@pytest.mark.parametrize(
    "checker, solution, wrongs", CASES, ids=lambda v: getattr(v, "__name__", "")
)
def test_checker_passes_the_solution_and_fails_wrong_answers(
    checker, solution, wrongs, capsys
):
    assert checker(solution) is True
    assert capsys.readouterr().out.startswith("✅")
    for wrong, hint in wrongs:
        assert checker(wrong) is False, (
            f"{checker.__name__} accepted a wrong answer ({hint})"
        )
        out = capsys.readouterr().out
        assert out.startswith("❌") and hint in out, (
            f"{checker.__name__}: expected a hint with {hint!r}, got {out!r}"
        )
    assert checker(stub) is False
    assert capsys.readouterr().out.startswith("⏳")


def test_the_hints_do_not_reveal_the_reference_values(capsys):
    checks.check_ngram_cross_entropy(lambda *a, **kw: 0.0)
    out = capsys.readouterr().out
    reference = checks._ngram_cross_entropy(
        np.array([0, 1, 2, 0, 1, 2, 0, 1, 1, 2]), np.array([0, 1, 2, 2, 0]), 1, 3
    )
    assert f"{reference:.3f}" not in out and f"{reference:.2f}" not in out
