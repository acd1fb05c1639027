"""Sequence-to-sequence data: the reversal task, its token ids, padded batches with
start and end tokens, and the two accuracies of a transduction.

Introduced in the chapter "Attention", section "The task: reversal". The token ids
are those of the encoder-decoder of the chapter "Task types": 0 is the padding, 1 the
start token ``<s>``, 2 the end token ``</s>`` and ``d + 3`` the digit ``d``, so the
vocabulary has ``K = 13`` tokens.

Shapes follow the book's notation: ``N`` sequences, ``L`` input steps (the padded
length), ``L'`` output steps, ``K`` tokens.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

PAD_ID, START, END = 0, 1, 2
#: Number of tokens: padding, start, end and the ten digits.
VOCAB_SIZE = 13


def _int(value, name: str, minimum: int) -> int:
    if (
        not isinstance(value, (int, np.integer))
        or isinstance(value, bool)
        or value < minimum
    ):
        raise ValueError(
            f"expected {name} to be an integer >= {minimum}, got {value!r}"
        )
    return int(value)


def reversal(
    n: int, min_len: int, max_len: int, rng=None
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """``n`` random digit sequences and the same digits in reverse order.

    Each sequence first draws its length uniformly from ``min_len .. max_len``, then
    its digits uniformly and independently from 0 .. 9, with
    ``numpy.random.default_rng(rng)``, so a seed gives the same data on every machine.
    Returns two lists of ``int64`` tensors of token ids (digit ``d`` is id ``d + 3``):
    the sources
    :math:`x_1, \\dots, x_{L_n}` and the targets :math:`x_{L_n}, \\dots, x_1`.
    """
    n = _int(n, "n", 1)
    min_len = _int(min_len, "min_len", 1)
    max_len = _int(max_len, "max_len", min_len)
    gen = np.random.default_rng(rng)
    lengths = gen.integers(min_len, max_len + 1, size=n)
    sources = [torch.from_numpy(gen.integers(0, 10, size=k) + 3) for k in lengths]
    return sources, [s.flip(0) for s in sources]


def aligned_reversal(
    n: int, length: int, rng=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reversal at one fixed ``length``, written as an aligned (tagging) task: digits
    ``x`` (N, L) from 0 .. 9 and targets ``y = x.flip(1)``, so that
    :math:`y_t = x_{L + 1 - t}`. The ids are the digits themselves (no padding, start or
    end token), drawn with ``numpy.random.default_rng(rng)``."""
    n, length = _int(n, "n", 1), _int(length, "length", 1)
    x = torch.from_numpy(np.random.default_rng(rng).integers(0, 10, size=(n, length)))
    return x, x.flip(1)


class Pairs(NamedTuple):
    """A padded batch of (source, target) pairs, ready for teacher forcing.

    ``x`` (N, L) source ids, padded with 0; ``lengths`` (N,) the source lengths;
    ``dec_in`` (N, L' + 1) the decoder's inputs ``<s> y_1 ... y_L'``; ``dec_out``
    (N, L' + 1) its targets ``y_1 ... y_L' </s>``, both padded with 0.
    """

    x: torch.Tensor
    lengths: torch.Tensor
    dec_in: torch.Tensor
    dec_out: torch.Tensor


def encode_pairs(sources, targets) -> Pairs:
    """Pad lists of source and target id tensors into a :class:`Pairs` batch."""
    if len(sources) != len(targets) or not sources:
        raise ValueError(
            "expected two non-empty lists of the same length, got "
            f"{len(sources)} sources and {len(targets)} targets"
        )
    start, end = torch.tensor([START]), torch.tensor([END])
    return Pairs(
        pad_sequence(list(sources), batch_first=True),  # (N, L)
        torch.tensor([len(s) for s in sources]),  # (N,)
        pad_sequence([torch.cat([start, t]) for t in targets], batch_first=True),
        pad_sequence([torch.cat([t, end]) for t in targets], batch_first=True),
    )


def show(ids) -> str:
    """Token ids as text: digits, ``<s>`` and ``</s>``; the padding is left out."""
    names = {START: "<s>", END: "</s>"}
    return " ".join(
        names.get(i, str(i - 3)) for i in torch.as_tensor(ids).tolist() if i != PAD_ID
    )


class Batches:
    """Mini-batches ``((x, lengths, dec_in), dec_out)`` of a :class:`Pairs` batch, the
    form ``rnnbook.train.fit`` expects, each trimmed to its own longest sequence.

    Iterating again gives the next epoch: with ``shuffle`` a new order, drawn from a
    ``torch.Generator`` seeded with ``seed`` plus the number of epochs so far."""

    def __init__(
        self, pairs: Pairs, batch_size: int, *, shuffle: bool = False, seed: int = 0
    ) -> None:
        self.pairs, self.batch_size = pairs, _int(batch_size, "batch_size", 1)
        self.shuffle, self.seed, self.epoch = shuffle, seed, 0

    def __len__(self) -> int:
        return -(-len(self.pairs.x) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[tuple[torch.Tensor, ...], torch.Tensor]]:
        p, N = self.pairs, len(self.pairs.x)
        if self.shuffle:
            gen = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(N, generator=gen)
        else:
            order = torch.arange(N)
        self.epoch += 1
        for i in range(0, N, self.batch_size):
            idx = order[i : i + self.batch_size]
            L = int(p.lengths[idx].max())
            L_out = int((p.dec_out[idx] != PAD_ID).sum(1).max())
            yield (
                (p.x[idx, :L], p.lengths[idx], p.dec_in[idx, :L_out]),
                p.dec_out[idx, :L_out],
            )


def sequence_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the real output steps: logits (N, L', K), targets
    (N, L') with 0 on the padding (the masked loss of the chapter "Task types")."""
    return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=PAD_ID)


def accuracies(pred: torch.Tensor, targets: torch.Tensor) -> tuple[float, float]:
    """Per-token and exact-match accuracy of predictions (N, >= L') against targets
    (N, L') padded with 0.

    A position counts when its target is real (the end token included); a sequence is
    an exact match when every real position is right. Predictions longer than the
    targets are cut to their length."""
    right, real = token_hits(pred, targets)
    return right[real].float().mean().item(), right.all(dim=1).float().mean().item()


def token_hits(pred: torch.Tensor, targets: torch.Tensor):
    """``(right, real)``, two bool tensors (N, L'): whether each position is right (or
    padding), and whether it is a real position."""
    if pred.dim() != 2 or targets.dim() != 2 or pred.shape[0] != targets.shape[0]:
        raise ValueError(
            "expected pred (N, >= L') and targets (N, L'), got "
            f"{tuple(pred.shape)} and {tuple(targets.shape)}"
        )
    L_out = targets.shape[1]
    if pred.shape[1] < L_out:
        pad = pred.new_zeros(pred.shape[0], L_out - pred.shape[1])
        pred = torch.cat([pred, pad], dim=1)
    real = targets != PAD_ID
    return (pred[:, :L_out] == targets) | ~real, real
