"""Self-checks for the exercises of the chapter "Task types".

Each checker calls the student's function on small cases, compares with a private
reference, prints one verdict line (see :func:`rnnbook.checks.report`) and returns a
bool. Shapes follow the book's notation: N sequences, L steps (the padded length), H
features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from rnnbook.checks import Hint, case_seed, expect_close, expect_shape, report


def _as_tensor(name: str, value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise Hint(f"{name} should be a torch.Tensor, got {type(value).__name__}")
    return value


# --- Exercise 10.2: a mask from lengths -----------------------------------------------


def check_lengths_to_mask(fn) -> bool:
    """Exercise 10.2: ``fn(lengths, L)`` returns a bool tensor (N, L), True on the real
    steps.
    """

    def check():
        cases = [
            (torch.tensor([3, 1, 2]), 3),
            (torch.tensor([2, 5]), 6),
            (torch.tensor([4]), 4),
            (torch.tensor([1, 7, 3, 7]), 7),
        ]
        g = torch.Generator().manual_seed(case_seed(102))  # and one no one can predict
        L = int(torch.randint(3, 12, (), generator=g))
        cases.append((torch.randint(1, L + 1, (5,), generator=g), L))
        for lengths, L in cases:
            mask = _as_tensor(
                f"lengths_to_mask({lengths.tolist()}, {L})", fn(lengths, L)
            )
            expect_shape(
                f"lengths_to_mask({lengths.tolist()}, {L})", mask, (len(lengths), L)
            )
            if mask.dtype != torch.bool:
                raise Hint(f"the mask should have dtype torch.bool, got {mask.dtype}")
            want = torch.arange(L) < lengths[:, None]
            if torch.equal(mask, want):
                continue
            if torch.equal(mask, ~want):
                raise Hint(
                    "your mask is inverted: it should be True on the real steps, False "
                    "on the padding"
                )
            if torch.equal(mask, torch.arange(L) <= lengths[:, None]):
                raise Hint(
                    "off by one: a sequence of length l has real steps 0 .. l - 1"
                )
            raise Hint(
                f"lengths_to_mask({lengths.tolist()}, {L}) has the right shape but "
                "wrong entries"
            )

    return report("10.2", check)


# --- Exercise 10.3: cross-entropy over the real steps only ----------------------------


def check_masked_cross_entropy(fn) -> bool:
    """Exercise 10.3: ``fn(logits (N, L, K), targets (N, L), lengths (N,))`` is the mean
    over real steps.
    """

    def check():
        gen = torch.Generator().manual_seed(case_seed(10))
        for N, L, K in [(3, 5, 4), (2, 7, 3), (4, 4, 6)]:
            lengths = torch.randint(1, L + 1, (N,), generator=gen)
            lengths[0] = L
            logits = torch.randn(N, L, K, generator=gen, dtype=torch.float64)
            targets = torch.randint(0, K, (N, L), generator=gen)
            mask = torch.arange(L) < lengths[:, None]
            got = _as_tensor("masked_cross_entropy(...)", fn(logits, targets, lengths))
            if got.dim() != 0:
                raise Hint(
                    "the loss should be one number (a 0-D tensor), got shape "
                    f"{tuple(got.shape)}"
                )
            want = F.cross_entropy(logits[mask], targets[mask])
            everything = F.cross_entropy(logits.reshape(-1, K), targets.reshape(-1))
            per_seq = torch.stack(
                [
                    F.cross_entropy(logits[n, : lengths[n]], targets[n, : lengths[n]])
                    for n in range(N)
                ]
            ).mean()
            if (lengths < L).any():
                if torch.isclose(got, everything):
                    raise Hint("your loss still averages over the padded steps")
                summed = F.cross_entropy(logits[mask], targets[mask], reduction="sum")
                if torch.isclose(got, summed / (N * L)):
                    raise Hint(
                        "you zeroed the padded steps but divided by N * L; divide by "
                        "the number of real steps"
                    )
                if torch.isclose(got, per_seq) and not torch.isclose(want, per_seq):
                    raise Hint(
                        "you averaged each sequence first and then the sequences; "
                        "average over all real steps together"
                    )
            expect_close(
                f"the loss for logits of shape {(N, L, K)}", got, want, rtol=1e-6
            )
            # whatever sits in the padded positions must not matter
            noisy = logits.clone()
            noisy[~mask] = 100 * torch.randn(
                int((~mask).sum()), K, generator=gen, dtype=torch.float64
            )
            again = fn(
                noisy, torch.where(mask, targets, torch.zeros_like(targets)), lengths
            )
            expect_close(
                "the loss after changing the logits at the padded steps",
                again,
                want,
                rtol=1e-6,
            )

    return report("10.3", check)


# --- Exercise 10.4: the output at the last real step ----------------------------------


def check_last_step(fn) -> bool:
    """Exercise 10.4: ``fn(out (N, L, H), lengths (N,))`` returns ``out[n, lengths[n] -
    1]``, shape (N, H).
    """

    def check():
        gen = torch.Generator().manual_seed(case_seed(11))
        for N, L, H in [(3, 5, 2), (1, 4, 3), (5, 6, 4)]:
            out = torch.randn(N, L, H, generator=gen)
            lengths = torch.randint(1, L + 1, (N,), generator=gen)
            if N > 1:
                lengths[0], lengths[1] = L, 1
            got = _as_tensor("last_step(out, lengths)", fn(out, lengths))
            expect_shape(
                f"last_step(out, lengths) for out of shape {(N, L, H)}", got, (N, H)
            )
            want = out[torch.arange(N), lengths - 1]
            if (
                N > 1
                and torch.allclose(got, out[:, -1])
                and not torch.allclose(want, out[:, -1])
            ):
                raise Hint(
                    "you took the last padded step, out[:, -1]; take each sequence's "
                    "own last step"
                )
            if (
                N > 1
                and (lengths < L).any()
                and torch.allclose(
                    got, out[torch.arange(N), torch.clamp(lengths, max=L - 1)]
                )
            ):
                raise Hint(
                    "off by one: the last real step of a sequence of length l is at "
                    "index l - 1"
                )
            expect_close(
                f"last_step(out, lengths) for out of shape {(N, L, H)}", got, want
            )

    return report("10.4", check)


# --- Exercise 10.6: hashed bigram counts ---------------------------------------------


def _bigrams(ids: torch.Tensor, V: int, buckets: int) -> torch.Tensor:
    want = torch.zeros(ids.shape[0], buckets, dtype=torch.float64)
    for n, row in enumerate(ids.tolist()):
        for a, b in zip(row, row[1:]):
            if a != 0 and b != 0:
                want[n, (a * V + b) % buckets] += 1
    return want


def check_bigram_counts(fn) -> bool:
    """Exercise 10.6: ``fn(ids (N, L), V, buckets)`` counts the consecutive pairs of
    non-padding ids, pair ``(a, b)`` in bucket ``(a * V + b) % buckets``: shape (N, B).
    """

    def check():
        ids = torch.tensor([[2, 3, 2, 0, 0], [4, 0, 0, 0, 0], [1, 1, 1, 2, 5]])
        got = _as_tensor("bigram_counts(ids, 6, 7)", fn(ids, 6, 7))
        expect_shape("bigram_counts(ids, 6, 7) for ids of shape (3, 5)", got, (3, 7))
        got_f = got.to(torch.float64)
        if got_f[1].sum() > 0:
            raise Hint(
                "a sequence with one real token has no bigram: pairs that touch the "
                "padding (id 0) must not be counted"
            )
        want = _bigrams(ids, 6, 7)
        presence = want.clamp(max=1)
        if torch.equal(got_f, presence) and not torch.equal(got_f, want):
            raise Hint("you marked presence (0 or 1); the exercise asks for counts")
        if got_f.sum() != want.sum():
            raise Hint(
                f"bigram_counts(ids, 6, 7) counts {got_f.sum():.0f} pairs in all; "
                "every pair of consecutive non-padding ids counts once"
            )
        expect_close("bigram_counts(ids, 6, 7)", got_f, want)
        gen = torch.Generator().manual_seed(case_seed(12))
        ids = torch.randint(0, 9, (7, 11), generator=gen)
        expect_close(
            "bigram_counts for a random batch of shape (7, 11), V = 9, B = 16",
            _as_tensor("bigram_counts(ids, 9, 16)", fn(ids, 9, 16)).to(torch.float64),
            _bigrams(ids, 9, 16),
        )

    return report("10.6", check)
