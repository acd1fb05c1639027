"""Self-checks for the exercises of the chapter "Attention".

Each checker calls the student's function on small cases, compares with a private
reference, prints one verdict line (see :func:`rnnbook.checks.report`) and returns a
bool. Shapes follow the book's notation: N sequences, L source positions, L' output
steps, K tokens, B beams, E features.
"""

from __future__ import annotations

import math

import torch

from rnnbook.checks import Hint, case_seed, expect_close, expect_shape, report


def _as_tensor(name: str, value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise Hint(f"{name} should be a torch.Tensor, got {type(value).__name__}")
    return value


def _pair(name: str, value) -> tuple:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise Hint(f"{name} should return a pair (context, weights)")
    return value


# --- Exercise 12.1: attention weights over the real positions -------------------------


def check_masked_weights(fn) -> bool:
    """Exercise 12.1: ``fn(scores (N, L), lengths (N,))`` is the softmax over the first
    ``lengths[n]`` positions of each row, exactly 0 after them."""

    def check():
        gen = torch.Generator().manual_seed(case_seed(121))
        for N, L in [(3, 5), (1, 4), (4, 7)]:
            scores = 3 * torch.randn(N, L, generator=gen, dtype=torch.float64)
            lengths = torch.randint(1, L + 1, (N,), generator=gen)
            lengths[0] = L
            if N > 1:
                lengths[1] = 1
            got = _as_tensor("masked_weights(scores, lengths)", fn(scores, lengths))
            name = f"masked_weights for scores of shape {(N, L)}"
            expect_shape(name, got, (N, L))
            mask = torch.arange(L) < lengths[:, None]
            want = torch.softmax(scores.masked_fill(~mask, -math.inf), dim=-1)
            if (got[~mask] != 0).any():
                raise Hint("the padded positions should get a weight of exactly 0")
            got64 = got.to(torch.float64)
            if not torch.allclose(got64.sum(-1), torch.ones(N, dtype=torch.float64)):
                raise Hint(
                    "each row should sum to 1 over its real positions; did you "
                    "zero the padding after a softmax over all positions?"
                )
            expect_close(name, got64, want, rtol=1e-5, atol=1e-8)
            shifted = fn(scores + 1000 * (~mask), lengths)  # padding scores huge
            expect_close(
                "the weights after changing the scores of the padded positions",
                shifted.to(torch.float64),
                want,
                rtol=1e-5,
                atol=1e-8,
            )

    return report("12.1", check)


# --- Exercise 12.3: Luong's general attention -----------------------------------------


def check_general_attention(fn) -> bool:
    """Exercise 12.3: ``fn(s (N, H_q), h (N, L, H_k), W (H_q, H_k), mask (N, L))``
    returns ``(context (N, H_k), alpha (N, L))`` with ``e_j = s W h_j^T``."""

    def check():
        gen = torch.Generator().manual_seed(case_seed(123))
        for N, L, H_q, H_k in [(2, 4, 3, 5), (3, 6, 4, 4), (1, 1, 2, 3)]:
            s = torch.randn(N, H_q, generator=gen, dtype=torch.float64)
            h = torch.randn(N, L, H_k, generator=gen, dtype=torch.float64)
            W = torch.randn(H_q, H_k, generator=gen, dtype=torch.float64)
            lengths = torch.randint(1, L + 1, (N,), generator=gen)
            lengths[0] = L
            mask = torch.arange(L) < lengths[:, None]
            context, alpha = _pair("general_attention", fn(s, h, W, mask))
            context = _as_tensor("context", context)
            alpha = _as_tensor("alpha", alpha)
            expect_shape(f"alpha for h of shape {(N, L, H_k)}", alpha, (N, L))
            expect_shape(f"context for h of shape {(N, L, H_k)}", context, (N, H_k))
            e = torch.einsum("nq,qk,nlk->nl", s, W, h)
            want = torch.softmax(e.masked_fill(~mask, -math.inf), -1)
            if (alpha[~mask] != 0).any():
                raise Hint("the padded positions should get a weight of exactly 0")
            if H_q == H_k and L > 1:
                e_t = torch.einsum("nq,kq,nlk->nl", s, W, h)  # s W^T h_j^T
                if torch.allclose(
                    alpha.double(), torch.softmax(e_t.masked_fill(~mask, -math.inf), -1)
                ):
                    raise Hint("W is used transposed: the score is s W h_j^T")
            scaled = torch.softmax(
                (e / math.sqrt(H_k)).masked_fill(~mask, -math.inf), -1
            )
            if (
                L > 1
                and torch.allclose(alpha.double(), scaled)
                and not torch.allclose(scaled, want)
            ):
                raise Hint(
                    "the general score is s W h_j^T, without the 1/sqrt(d) scale"
                )
            expect_close(f"alpha for h of shape {(N, L, H_k)}", alpha.double(), want)
            expect_close(
                f"context for h of shape {(N, L, H_k)}",
                context.double(),
                torch.einsum("nl,nlk->nk", want, h),
            )

    return report("12.3", check)


# --- Exercise 12.4: the log-probability of a sequence ---------------------------------


def check_sequence_log_prob(fn) -> bool:
    """Exercise 12.4: ``fn(logits (N, L', K), targets (N, L'))`` is the sum over the
    real steps (target != 0) of log softmax(logits)[target], shape (N,)."""

    def check():
        gen = torch.Generator().manual_seed(case_seed(124))
        for N, T, K in [(3, 5, 6), (1, 3, 4), (4, 6, 13)]:
            logits = torch.randn(N, T, K, generator=gen, dtype=torch.float64)
            targets = torch.randint(1, K, (N, T), generator=gen)
            lengths = torch.randint(1, T + 1, (N,), generator=gen)
            lengths[0] = T
            mask = torch.arange(T) < lengths[:, None]
            targets = targets * mask
            got = _as_tensor("sequence_log_prob", fn(logits, targets))
            name = f"sequence_log_prob for logits of shape {(N, T, K)}"
            expect_shape(name, got, (N,))
            logp = torch.log_softmax(logits, -1).gather(2, targets[..., None])[..., 0]
            want = (logp * mask).sum(1)
            if (got.double() > 1e-9).any():
                raise Hint("a log-probability is never positive")
            if (lengths < T).any() and torch.allclose(got.double(), logp.sum(1)):
                raise Hint("the padded steps (target 0) should not count")
            picked = logits.gather(2, targets[..., None])[..., 0]
            if torch.allclose(got.double(), (picked * mask).sum(1)):
                raise Hint("the logits are not log-probabilities: take a log-softmax")
            if torch.allclose(got.double(), want / lengths):
                raise Hint("sum over the steps; do not average")
            expect_close(name, got.double(), want)

    return report("12.4", check)


# --- Exercise 12.5: one step of beam search -------------------------------------------


def _beam_reference(scores, logp, B):
    N, B0, K = logp.shape
    best, idx = (scores[:, :, None] + logp).view(N, B0 * K).topk(B, dim=1)
    return best, idx // K, idx % K


def check_beam_step(fn) -> bool:
    """Exercise 12.5: ``fn(scores (N, B), logp (N, B, K), B)`` returns the B best
    extensions ``(scores (N, B), origin (N, B), tokens (N, B))``, best first."""

    def check():
        gen = torch.Generator().manual_seed(case_seed(125))
        for N, B, K in [(2, 3, 5), (1, 1, 4), (3, 4, 6)]:
            scores = -torch.rand(N, B, generator=gen, dtype=torch.float64) * 3
            logp = torch.log_softmax(
                2 * torch.randn(N, B, K, generator=gen, dtype=torch.float64), -1
            )
            out = fn(scores, logp, B)
            if not isinstance(out, (tuple, list)) or len(out) != 3:
                raise Hint(
                    "beam_step should return three tensors: scores, origin, tokens"
                )
            got_s, origin, tokens = (
                _as_tensor(n, v) for n, v in zip(("scores", "origin", "tokens"), out)
            )
            for name, t in (("scores", got_s), ("origin", origin), ("tokens", tokens)):
                expect_shape(f"{name} for N, B, K = {N, B, K}", t, (N, B))
            want_s, _, _ = _beam_reference(scores, logp, B)
            if B > 1 and torch.allclose(
                got_s.double(), (scores.max(1, keepdim=True).values + 0 * scores)
            ):
                raise Hint("every beam should be extended, not only the best one")
            if not torch.allclose(got_s.double(), want_s):
                own = (
                    (scores[:, :, None] + logp).max(-1).values.sort(1, descending=True)
                )
                if torch.allclose(got_s.double(), own.values):
                    raise Hint(
                        "you kept the best token of each beam; keep the B best of all "
                        "B K extensions, which may come from the same beam"
                    )
                if torch.allclose(got_s.double(), logp.view(N, -1).topk(B, 1).values):
                    raise Hint("add each beam's score to the log-probabilities")
                raise Hint(
                    f"the scores for N, B, K = {N, B, K} are off (are they sorted, "
                    "best first?)"
                )
            if (
                not ((origin >= 0) & (origin < B)).all()
                or not ((tokens >= 0) & (tokens < K)).all()
            ):
                raise Hint(
                    "origin should hold beam indices (0 .. B-1) and tokens token ids "
                    "(0 .. K-1); these do not point to the extensions"
                )
            rebuilt = (
                scores.gather(1, origin.long())
                + logp[torch.arange(N)[:, None], origin.long(), tokens.long()]
            )
            if not torch.allclose(rebuilt, want_s):
                raise Hint(
                    "origin and tokens do not point to the extensions whose scores "
                    "you returned"
                )

    return report("12.5", check)


# --- Exercise 12.6: sinusoidal position encodings -------------------------------------


def check_sinusoidal_positions(fn) -> bool:
    """Exercise 12.6: ``fn(L, E)`` returns P (L, E) with
    P[t, 2i] = sin(t / 10000^(2i/E)) and P[t, 2i+1] = cos(...), for t = 0 .. L-1."""

    def check():
        g = torch.Generator().manual_seed(case_seed(126))  # a size no one can predict
        drawn = (
            int(torch.randint(2, 40, (), generator=g)),
            2 * int(torch.randint(1, 12, (), generator=g)),
        )
        for L, E in [(5, 4), (12, 8), (1, 6), (30, 16), drawn]:
            got = _as_tensor(f"sinusoidal_positions({L}, {E})", fn(L, E))
            expect_shape(f"sinusoidal_positions({L}, {E})", got, (L, E))
            t = torch.arange(L, dtype=torch.float64)[:, None]
            freq = 10000 ** (-torch.arange(0, E, 2, dtype=torch.float64) / E)
            want = torch.zeros(L, E, dtype=torch.float64)
            want[:, 0::2], want[:, 1::2] = torch.sin(t * freq), torch.cos(t * freq)
            got = got.double()
            swapped = want.clone()
            swapped[:, 0::2], swapped[:, 1::2] = want[:, 1::2], want[:, 0::2]
            if L > 1 and torch.allclose(got, swapped, atol=1e-5):
                raise Hint("sine on the even columns, cosine on the odd ones")
            shifted = torch.zeros_like(want)
            shifted[:, 0::2], shifted[:, 1::2] = (
                torch.sin((t + 1) * freq),
                torch.cos((t + 1) * freq),
            )
            if torch.allclose(got, shifted, atol=1e-5):
                raise Hint("count the positions from 0")
            expect_close(f"sinusoidal_positions({L}, {E})", got, want, atol=1e-5)

    return report("12.6", check)
