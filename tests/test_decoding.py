"""rnnbook.decoding: greedy decoding and beam search, on toy models whose best output
is known and on random encoder-decoders against an exhaustive search."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from rnnbook import decoding
from rnnbook.seq2seq import Seq2Seq
from rnnbook.transduction import END, START

# A toy "model" over the tokens {pad 0, <s> 1, </s> 2, a 3, b 4}: after <s>, a has
# probability 0.6 and b 0.4; after a, </s> 0.4 and a, b 0.3 each; after b, </s> 1.
# Greedy takes a (0.6), then </s>: p = 0.6 * 0.4 = 0.24. The sequence b </s> has
# p = 0.4 * 1 = 0.4, the most probable of all, and a beam of two keeps it.
A, B = 3, 4
TABLE = {
    START: {A: 0.6, B: 0.4},
    A: {END: 0.4, A: 0.3, B: 0.3},
    B: {END: 1.0},
    END: {END: 1.0},
}


def toy_step(tokens, state):
    """The step function of the toy model; its state is a counter of steps, (N,)."""
    logits = torch.full((len(tokens), 5), -math.inf)
    for n, t in enumerate(tokens.tolist()):
        for nxt, p in TABLE[t].items():
            logits[n, nxt] = math.log(p)
    return logits, state + 1


def test_greedy_is_provably_worse_than_beam_search_on_the_toy_model():
    state = torch.zeros(2)
    greedy = decoding.greedy(toy_step, state, start=START, end=END, max_len=5)
    beam = decoding.beam_search(
        toy_step, state, start=START, end=END, max_len=5, beam_size=2
    )
    assert greedy.tokens.tolist() == [[A, END]] * 2
    assert beam.tokens.tolist() == [[B, END]] * 2
    torch.testing.assert_close(greedy.scores, torch.full((2,), math.log(0.24)))
    torch.testing.assert_close(beam.scores, torch.full((2,), math.log(0.4)))


def _random_model(attention, seed=0):
    torch.manual_seed(seed)
    model = Seq2Seq(vocab_size=6, embed_size=5, hidden_size=8, attention=attention)
    with torch.no_grad():  # sharper distributions, so that greedy and beam differ
        model.fc.weight.mul_(6)
        model.fc.bias[:2] = -100.0  # never the padding or <s>, as after training
    return model.eval()


def _source(seed=0, N=4, L=3):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(3, 6, (N, L), generator=gen)
    lengths = torch.tensor([L, 1, 2, L])[:N]
    return x * (torch.arange(L) < lengths[:, None]), lengths


def _log_prob(model, x, lengths, tokens):
    """log p(tokens | x) by teacher forcing, up to and including the first </s>."""
    dec_in = torch.cat([torch.full((len(x), 1), START), tokens[:, :-1]], dim=1)
    with torch.no_grad():
        logp = torch.log_softmax(model(x, lengths, dec_in), dim=-1)
    picked = logp.gather(2, tokens[:, :, None])[:, :, 0]  # (N, T)
    ended = (tokens == END).long().cumsum(1) - (tokens == END).long() > 0
    return picked.masked_fill(ended | (tokens == 0), 0.0).sum(1)


def _exhaustive(model, x, lengths, max_len, K):
    """The most probable sequence of at most max_len tokens, by enumeration."""
    best = []
    for n in range(len(x)):
        top, arg = -math.inf, None
        for T in range(1, max_len + 1):
            for body in itertools.product(range(3, K), repeat=T - 1):
                for last in [*range(3, K), END] if T == max_len else [END]:
                    seq = torch.tensor([[*body, last]])
                    lp = _log_prob(model, x[n : n + 1], lengths[n : n + 1], seq).item()
                    if lp > top:
                        top, arg = lp, seq[0].tolist()
        best.append((top, arg))
    return best


@pytest.mark.parametrize("attention", [None, "additive"])
def test_beam_of_one_is_greedy(attention):
    model = _random_model(attention)
    x, lengths = _source()
    kw = dict(start=START, end=END, max_len=5)
    greedy = decoding.greedy(model.step, model.start(x, lengths), **kw)
    beam = decoding.beam_search(model.step, model.start(x, lengths), beam_size=1, **kw)
    torch.testing.assert_close(beam.tokens, greedy.tokens)
    torch.testing.assert_close(beam.scores, greedy.scores)


@pytest.mark.parametrize("attention", [None, "additive"])
def test_scores_are_the_log_probabilities_of_the_tokens(attention):
    model = _random_model(attention, seed=1)
    x, lengths = _source(1)
    kw = dict(start=START, end=END, max_len=4)
    for out in (
        decoding.greedy(model.step, model.start(x, lengths), **kw),
        decoding.beam_search(model.step, model.start(x, lengths), beam_size=3, **kw),
    ):
        torch.testing.assert_close(
            out.scores, _log_prob(model, x, lengths, out.tokens), atol=1e-5, rtol=0
        )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_beam_holding_every_prefix_finds_the_most_probable_sequence(seed):
    model = _random_model("additive", seed)
    x, lengths = _source(seed)
    max_len, K = 3, 6
    beam = decoding.beam_search(
        model.step,
        model.start(x, lengths),
        start=START,
        end=END,
        max_len=max_len,
        beam_size=K**max_len,
    )
    greedy = decoding.greedy(
        model.step, model.start(x, lengths), start=START, end=END, max_len=max_len
    )
    for n, (top, arg) in enumerate(_exhaustive(model, x, lengths, max_len, K)):
        assert beam.scores[n].item() == pytest.approx(top, abs=1e-5)
        got = [t for t in beam.tokens[n].tolist() if t != 0]
        assert got == arg
        assert greedy.scores[n] <= beam.scores[n] + 1e-6


def test_padding_after_the_end_token_and_early_stop():
    state = torch.zeros(3)
    out = decoding.beam_search(
        toy_step, state, start=START, end=END, max_len=6, beam_size=3
    )
    assert out.tokens.shape == (3, 2)  # all finished after two steps
    greedy = decoding.greedy(
        toy_step, state, start=START, end=END, max_len=6, keep_states=True
    )
    assert len(greedy.states) == greedy.tokens.shape[1] == 2
    assert greedy.states[-1].tolist() == [2.0] * 3


def test_bad_arguments():
    with pytest.raises(ValueError, match="beam_size"):
        decoding.beam_search(
            toy_step, torch.zeros(1), start=START, end=END, max_len=3, beam_size=0
        )
    with pytest.raises(ValueError, match="max_len"):
        decoding.greedy(toy_step, torch.zeros(1), start=START, end=END, max_len=0)
    with pytest.raises(TypeError, match="decoder state"):
        decoding.beam_search(
            toy_step, [torch.zeros(1)], start=START, end=END, max_len=3, beam_size=2
        )
