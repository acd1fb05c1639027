"""Decoding: turning a model's next-token distributions into an output sequence.

Introduced in the chapter "Attention", section "Decoding". A decoder is given as a
*step function* ``step(tokens, state) -> (logits, state)``: it reads the previous
tokens :math:`y_{i-1}` of a batch, (M,), and returns the logits :math:`\\hat y_i` of
the next ones, (M, K), and its new state, a tensor or a tuple (or NamedTuple) of tensors
whose first dimension is M (``rnnbook.seq2seq.Seq2Seq.step`` is one). Beam search
reorders the state's rows as it keeps and drops prefixes; a state with a method
``select_beams(rows)`` does that itself, which lets it skip what is the same for every
beam of a sequence (rows only ever move between the beams of one sequence). A sequence's
score is its log-probability under the model,

.. math:: \\log p(y_1, \\dots, y_{L'}) = \\sum_{i=1}^{L'} \\log p(y_i \\mid
    y_{<i}, x), \\qquad p(\\cdot \\mid y_{<i}, x) = \\operatorname{softmax}(\\hat y_i),

up to and including the end token.

- :func:`greedy`: take the most probable token at every step;
- :func:`beam_search`: keep the ``beam_size`` most probable prefixes at every step.

Greedy decoding is beam search with ``beam_size=1``. Neither is guaranteed to find the
most probable sequence; beam search finds it when the beam can hold every prefix (the
exhaustive search), and in the chapter a wider beam often finds a more probable one
than greedy decoding. Finished hypotheses (those that produced the end token) stay in
the beam with their score, unnormalised for length: the chapter's task fixes the output
length.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch


class Decoded(NamedTuple):
    """``tokens`` (N, T) the chosen ids, the end token included and padding (0) after
    it; ``scores`` (N,) their log-probabilities; ``states`` the decoder state after
    every step (a list of length T), when asked for, else ``None``."""

    tokens: torch.Tensor
    scores: torch.Tensor
    states: list | None = None


def _select(state, index: torch.Tensor):
    """The rows ``index`` of every tensor in ``state`` (a tensor, tuple or
    NamedTuple)."""
    if isinstance(state, torch.Tensor):
        return state.index_select(0, index)
    if isinstance(state, tuple):
        rows = [_select(s, index) for s in state]
        return type(state)(*rows) if hasattr(state, "_fields") else tuple(rows)
    if state is None:
        return None
    raise TypeError(
        f"expected the decoder state to be a tensor or a tuple of tensors, got "
        f"{type(state).__name__}"
    )


def _rows(state) -> int:
    if isinstance(state, torch.Tensor):
        return state.shape[0]
    return _rows(next(s for s in state if s is not None))


def _check(max_len, beam_size=1) -> None:
    for value, name in ((max_len, "max_len"), (beam_size, "beam_size")):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"expected {name} to be a positive integer, got {value!r}")


@torch.no_grad()
def greedy(
    step: Callable,
    state,
    *,
    start: int,
    end: int,
    max_len: int,
    pad: int = 0,
    keep_states: bool = False,
) -> Decoded:
    """Feed the most probable token back at every step, for at most ``max_len`` steps
    or until every sequence has produced ``end``."""
    _check(max_len)
    N = _rows(state)
    tokens = torch.full((N,), start, dtype=torch.long)
    done = torch.zeros(N, dtype=torch.bool)
    scores = torch.zeros(N)
    out, states = [], []
    for _ in range(max_len):
        logits, state = step(tokens, state)  # (N, K)
        logp = torch.log_softmax(logits.float(), dim=-1)
        tokens = logp.argmax(dim=-1)  # (N,)
        scores += torch.where(done, 0.0, logp.gather(1, tokens[:, None])[:, 0])
        out.append(torch.where(done, pad, tokens))
        if keep_states:
            states.append(state)
        done |= tokens == end
        if done.all():
            break
    return Decoded(torch.stack(out, dim=1), scores, states if keep_states else None)


@torch.no_grad()
def beam_search(
    step: Callable,
    state,
    *,
    start: int,
    end: int,
    max_len: int,
    beam_size: int,
    pad: int = 0,
) -> Decoded:
    """Keep, for each of the N sequences, the ``beam_size`` (B) highest-scoring
    prefixes; return the best finished one (or the best prefix after ``max_len`` steps).

    At each step every prefix is extended by each of the K tokens, the B K candidates
    are scored (prefix score + log-probability of the token) and the best B are kept.
    A prefix that has produced ``end`` is finished: it is kept with its score and only
    "extended" by the end token again at no cost, so it competes with the unfinished
    ones, whose scores can only fall; so the search stops as soon as the best prefix of
    every sequence is finished. All N B prefixes go through ``step`` as one batch.
    """
    _check(max_len, beam_size)
    N, B = _rows(state), beam_size
    state = _select(state, torch.arange(N).repeat_interleave(B))  # (N B, ...)
    tokens = torch.full((N * B,), start, dtype=torch.long)
    # only the first beam of each sequence is alive at the start
    scores = torch.full((N, B), float("-inf"))
    scores[:, 0] = 0.0
    done = torch.zeros(N, B, dtype=torch.bool)
    history = torch.zeros(N, B, 0, dtype=torch.long)
    for _ in range(max_len):
        logits, state = step(tokens, state)  # (N B, K)
        logp = torch.log_softmax(logits.float(), dim=-1).view(N, B, -1)  # (N, B, K)
        K = logp.shape[-1]
        finished = torch.full((K,), float("-inf"))
        finished[end] = 0.0  # a finished prefix can only repeat the end token, free
        logp = torch.where(done[:, :, None], finished, logp)
        candidates = (scores[:, :, None] + logp).view(N, B * K)  # (N, B K)
        scores, best = candidates.topk(B, dim=1)  # (N, B), sorted best first
        origin, tokens = best // K, best % K  # (N, B): which prefix, which token
        history = torch.cat(
            [
                history.gather(1, origin[:, :, None].expand(-1, -1, history.shape[2])),
                tokens[:, :, None],
            ],
            dim=2,
        )  # (N, B, steps)
        done = done.gather(1, origin) | (tokens == end)
        rows = (origin + torch.arange(N)[:, None] * B).view(-1)  # (N B,)
        if hasattr(state, "select_beams"):  # the state knows what changes
            state = state.select_beams(rows)
        else:
            state = _select(state, rows)
        tokens = tokens.view(-1)
        if done[:, 0].all():  # the best prefix has ended: no other can overtake it
            break
    best = history[:, 0]  # (N, T): the beams are sorted, the first is the best
    after_end = (best == end).long().cumsum(dim=1) - (best == end).long() > 0
    return Decoded(best.masked_fill(after_end, pad), scores[:, 0])
