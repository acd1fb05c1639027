"""Self-checks for the exercises of the chapter "A character-level language model".

Each checker calls the student's function on small cases, compares with a private
reference, prints one verdict line (see :func:`rnnbook.checks.report`) and returns a
bool.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from rnnbook.checks import Hint, case_seed, expect_close, expect_shape, report


def _expect_number(name: str, got: float, want: float, rtol: float) -> None:
    """Raise :class:`Hint` unless ``got`` is close to ``want``; says only "too high" or
    "too low" (a difference from the student's own number would give the answer
    away)."""
    if not math.isfinite(got):
        raise Hint(f"{name} is {got}: look for a log of zero or a division by zero")
    if not math.isclose(got, want, rel_tol=rtol, abs_tol=1e-9):
        raise Hint(f"{name} is not right (too {'high' if got > want else 'low'})")


# --- Exercise 11.3: top-k sampling distribution ---------------------------------------


def _top_k_probs(
    logits: torch.Tensor, k: int, temperature: float = 1.0
) -> torch.Tensor:
    kept = torch.topk(logits, k, dim=-1)
    masked = torch.full_like(logits, -math.inf).scatter(-1, kept.indices, kept.values)
    return torch.softmax(masked / temperature, dim=-1)


def check_top_k_probs(fn) -> bool:
    """Exercise 11.3: ``fn(logits, k, temperature=1.0)`` keeps the ``k`` largest logits
    of the last dimension, divides by the temperature and renormalises; the others get
    probability 0."""

    def check():
        gen = torch.Generator().manual_seed(case_seed(11))
        logits = torch.tensor([0.5, 3.0, -1.0, 2.0, 1.0])
        out = fn(logits, 2)
        expect_shape("top_k_probs(logits of shape (5,), k=2)", out, (5,))
        out = torch.as_tensor(out, dtype=torch.float32)
        if int((out > 0).sum()) != 2:
            raise Hint(
                "with k=2 exactly two characters should keep a non-zero probability, "
                f"got {int((out > 0).sum())}"
            )
        if torch.allclose(out[[1, 3]], torch.softmax(logits, -1)[[1, 3]], atol=1e-4):
            raise Hint(
                "you kept the right characters but did not renormalise their "
                "probabilities"
            )
        if not torch.isclose(out.sum(), torch.tensor(1.0), atol=1e-5):
            raise Hint(
                "the probabilities should sum to 1 after keeping the top k, got "
                f"{float(out.sum()):.4f}"
            )
        expect_close(
            "top_k_probs([0.5, 3, -1, 2, 1], k=2)",
            out,
            _top_k_probs(logits, 2),
            atol=1e-6,
        )
        full = fn(logits, 5)
        expect_close(
            "with k equal to the vocabulary size, the result",
            full,
            torch.softmax(logits, -1),
            atol=1e-6,
        )
        for shape, k, T in [
            ((75,), 5, 1.0),
            ((3, 75), 10, 0.5),
            ((2, 4, 30), 1, 1.0),
            ((75,), 20, 2.0),
        ]:
            z = torch.randn(shape, generator=gen) * 3
            out = fn(z, k, T) if T != 1.0 else fn(z, k)
            expect_shape(f"top_k_probs for logits of shape {shape}", out, shape)
            want = _top_k_probs(z, k, T)
            got = torch.as_tensor(out, dtype=torch.float32)
            if T != 1.0 and torch.allclose(got, _top_k_probs(z, k, 1.0), atol=1e-5):
                raise Hint(
                    f"with temperature={T} the kept logits must be divided by the "
                    "temperature"
                )
            expect_close(
                f"top_k_probs for logits of shape {shape}, k={k}, temperature={T}",
                got,
                want,
                atol=1e-5,
            )

    return report("11.3", check)


# --- Exercise 11.4: smoothed n-gram cross-entropy -------------------------------------


def _ngram_cross_entropy(
    train_ids, test_ids, order: int, vocab_size: int, alpha: float = 1.0
) -> float:
    train = np.asarray(train_ids, dtype=np.int64)
    test = np.asarray(test_ids, dtype=np.int64)
    K, n = vocab_size, order

    def codes(ids):  # (len - n + 1,) context-and-next codes, and context codes
        ctx = np.zeros(len(ids) - n + 1, dtype=np.int64)
        for j in range(n - 1):
            ctx = ctx * K + ids[j : len(ids) - n + 1 + j]
        return ctx * K + ids[n - 1 :], ctx

    full_tr, ctx_tr = codes(train)
    full_te, ctx_te = codes(test)

    def count(keys, table):
        uniq, cnt = table
        pos = np.clip(np.searchsorted(uniq, keys), 0, len(uniq) - 1)
        return np.where(uniq[pos] == keys, cnt[pos], 0)

    joint = count(full_te, np.unique(full_tr, return_counts=True))
    context = count(ctx_te, np.unique(ctx_tr, return_counts=True))
    p = (joint + alpha) / (context + alpha * K)
    return float(-np.log(p).mean())


def check_ngram_cross_entropy(fn) -> bool:
    """Exercise 11.4: ``fn(train_ids, test_ids, order, vocab_size, alpha=1.0)`` is the
    mean negative log-probability (nats) of the test characters under an add-alpha
    n-gram model."""

    def check():
        rng = np.random.default_rng(case_seed(4))
        train = np.array([0, 1, 2, 0, 1, 2, 0, 1, 1, 2])
        test = np.array([0, 1, 2, 2, 0])
        got = fn(train, test, 1, 3)
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise Hint(
                f"expected a number (nats per character), got {type(got).__name__}"
            ) from None
        want = _ngram_cross_entropy(train, test, 1, 3)
        if math.isclose(got, want / math.log(2), rel_tol=1e-6):
            raise Hint("your answer is in bits: use the natural logarithm (nats)")
        if math.isclose(got, -want, rel_tol=1e-6):
            raise Hint(
                "the cross-entropy is the mean of the *negative* log-probabilities"
            )
        _expect_number(
            "the unigram cross-entropy (alpha=1) of a small example",
            got,
            want,
            rtol=1e-6,
        )
        for order, K, alpha in [
            (2, 3, 1.0),
            (2, 5, 0.5),
            (3, 4, 0.1),
            (1, 6, 2.0),
            (4, 5, 1.0),
        ]:
            tr, te = rng.integers(0, K, 300), rng.integers(0, K, 60)
            tr[:40] = np.tile(np.arange(K), 40)[:40]
            got = float(
                fn(tr, te, order, K, alpha) if alpha != 1.0 else fn(tr, te, order, K)
            )
            want = _ngram_cross_entropy(tr, te, order, K, alpha)
            if order > 1 and math.isclose(
                got, _ngram_cross_entropy(tr, te, 1, K, alpha), rel_tol=1e-6
            ):
                raise Hint(
                    f"with order={order} the probability must depend on the previous "
                    f"{order - 1} character(s)"
                )
            _expect_number(
                f"the cross-entropy for order={order}, vocab_size={K}, alpha={alpha}",
                got,
                want,
                rtol=1e-6,
            )

    return report("11.4", check)


# --- Exercise 11.5: held-out loss without carrying the state --------------------------


def _loss_without_carry(model, ids: torch.Tensor, seq_len: int) -> float:
    total, count = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(ids) - 1, seq_len):
            y = ids[s + 1 : s + seq_len + 1]
            # a fresh zero state for every chunk
            logits, _ = model(ids[None, s : s + len(y)])
            total += float(
                torch.nn.functional.cross_entropy(logits[0], y, reduction="sum")
            )
            count += len(y)
    return total / count


def check_loss_without_carry(fn) -> bool:
    """Exercise 11.5: ``fn(model, ids, seq_len)`` is the mean cross-entropy (nats per
    character) over one stream cut into chunks of ``seq_len``, each read from a zero
    state."""

    def check():
        from rnnbook.charlm import CharLM, evaluate_loss

        torch.manual_seed(case_seed(5))
        model = CharLM(12, embed_size=6, hidden_size=10).eval()
        ids = torch.randint(0, 12, (97,))
        for seq_len in (10, 7, 96, 200):
            got = fn(model, ids, seq_len)
            try:
                got = float(got)
            except (TypeError, ValueError):
                raise Hint(
                    f"expected a number (nats per character), got {type(got).__name__}"
                ) from None
            want = _loss_without_carry(model, ids, seq_len)
            carried = evaluate_loss(model, ids, batch_size=1, seq_len=seq_len)
            if seq_len < 96 and math.isclose(got, carried, rel_tol=1e-6):
                raise Hint(
                    f"with seq_len={seq_len} your loss equals the one with the state "
                    "carried: "
                    "start every chunk from a zero state"
                )
            _expect_number(
                f"the loss for 97 ids and seq_len={seq_len}", got, want, rtol=1e-5
            )
        if model.training:
            raise Hint("leave the model in the mode you found it")

    return report("11.5", check)
