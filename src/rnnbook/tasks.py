"""Synthetic sequence tasks whose answer is known exactly, for experiments that need
one.

- :func:`offset_tagging`: tag every token from itself and the token a fixed number of
  steps later (or earlier). Introduced in the Bidirectional RNNs chapter, section "A
  task where reading backwards helps"; reused wherever a tagging (many-to-many) task is
  needed.

Shapes follow the book's notation: ``N`` sequences of ``L`` steps. Tokens and tags are
integer ids, ready for ``torch.nn.Embedding`` and ``torch.nn.functional.cross_entropy``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class TaggedSequences(NamedTuple):
    """A tagging data set: ``tokens, tags = data``.

    ``tokens`` and ``tags`` are ``int64`` arrays of shape ``(N, L)``; ``tags[n, t]`` is
    the tag of ``tokens[n, t]``. ``has_partner`` is a ``bool`` array of shape ``(L,)``:
    whether the partner position ``t + offset`` lies inside the sequence (the same for
    every sequence).
    """

    tokens: np.ndarray
    tags: np.ndarray
    has_partner: np.ndarray


def _positive_int(value, name: str, minimum: int = 1) -> int:
    if (
        not isinstance(value, (int, np.integer))
        or isinstance(value, bool)
        or value < minimum
    ):
        raise ValueError(
            f"expected {name} to be an integer >= {minimum}, got {value!r}"
        )
    return int(value)


def _generator(rng) -> np.random.Generator:
    if rng is None or (
        isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0
    ):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(
        "expected rng to be None, a non-negative int seed or a "
        f"numpy.random.Generator, got {rng!r}"
    )


def offset_tagging(
    n: int, length: int, *, vocab_size: int = 4, offset: int = 3, rng=None
) -> TaggedSequences:
    """``n`` random token sequences of ``length`` steps, each token tagged by a later
    (or earlier) one.

    Tokens ``x_t`` are drawn uniformly from ``{0, ..., V - 1}`` (``V = vocab_size``),
    and, with ``k = offset`` and the convention that positions outside the sequence hold
    token 0,

        y_t = (x_t + x_{t+k}) mod V,        t = 1, ..., L.

    With ``k > 0`` the tag of a token depends on the token ``k`` steps *later*: a model
    that reads left to right cannot know it when it must tag ``x_t``, so on the
    positions where ``t + k <= L`` it can do no better than chance, ``1 / V``. With ``k
    < 0`` the partner is ``|k|`` steps *earlier*, and a left-to-right model can learn
    the task exactly. On the positions without a partner (``has_partner`` False) the tag
    is ``x_t`` itself.

    ``rng`` is a seed, a ``numpy.random.Generator`` or ``None`` (fresh entropy).
    Returns a :class:`TaggedSequences` with ``tokens`` and ``tags`` of shape ``(N, L)``.
    """
    n = _positive_int(n, "n")
    length = _positive_int(length, "length")
    vocab_size = _positive_int(vocab_size, "vocab_size", minimum=2)
    if (
        not isinstance(offset, (int, np.integer))
        or isinstance(offset, bool)
        or offset == 0
    ):
        raise ValueError(f"expected offset to be a non-zero integer, got {offset!r}")
    k = int(offset)
    if abs(k) >= length:
        raise ValueError(
            f"expected |offset| < length so that some token has a partner, "
            f"got offset {k} with length {length}"
        )
    # (N, L)
    tokens = _generator(rng).integers(0, vocab_size, size=(n, length), dtype=np.int64)
    # token 0 outside the sequence
    padded = np.zeros((n, length + abs(k)), dtype=np.int64)
    start = 0 if k > 0 else abs(k)
    padded[:, start : start + length] = tokens  # (N, L + |k|)
    t = np.arange(length)
    # (N, L): x_{t+k}, or 0 outside
    partner = padded[:, t + k + start]
    tags = (tokens + partner) % vocab_size  # (N, L)
    has_partner = (t + k >= 0) & (t + k < length)  # (L,)
    return TaggedSequences(tokens, tags, has_partner)
