"""rnnbook.tasks: the synthetic tagging task is what its docstring says, and bad input
is refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnbook.tasks import TaggedSequences, offset_tagging


def reference_tags(tokens, offset, vocab_size):
    """The rule as a loop: y_t = (x_t + x_{t+k}) mod V, token 0 outside."""
    N, L = tokens.shape
    tags = np.empty_like(tokens)
    for n in range(N):
        for t in range(L):
            s = t + offset
            partner = tokens[n, s] if 0 <= s < L else 0
            tags[n, t] = (tokens[n, t] + partner) % vocab_size
    return tags


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 5),
    length=st.integers(2, 12),
    vocab=st.integers(2, 7),
    data=st.data(),
    seed=st.integers(0, 2**16),
)
def test_tags_follow_the_rule(n, length, vocab, data, seed):
    offset = data.draw(st.integers(-(length - 1), length - 1).filter(lambda k: k != 0))
    out = offset_tagging(n, length, vocab_size=vocab, offset=offset, rng=seed)
    assert isinstance(out, TaggedSequences)
    assert out.tokens.shape == out.tags.shape == (n, length)
    assert out.tokens.dtype == out.tags.dtype == np.int64
    assert out.tokens.min() >= 0 and out.tokens.max() < vocab
    np.testing.assert_array_equal(out.tags, reference_tags(out.tokens, offset, vocab))
    t = np.arange(length)
    np.testing.assert_array_equal(
        out.has_partner, (t + offset >= 0) & (t + offset < length)
    )
    # without a partner, the tag is the token itself
    np.testing.assert_array_equal(
        out.tags[:, ~out.has_partner], out.tokens[:, ~out.has_partner]
    )


def test_seed_reproduces_and_generators_work():
    a = offset_tagging(20, 10, rng=3)
    b = offset_tagging(20, 10, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.tokens, b.tokens)
    np.testing.assert_array_equal(a.tags, b.tags)
    assert not np.array_equal(a.tokens, offset_tagging(20, 10, rng=4).tokens)


def test_a_left_to_right_reader_cannot_beat_chance_on_look_ahead_positions():
    """Given x_1..x_t only, the tag at a position with a later partner is uniform: for
    every value of the current token, all V tags are about equally frequent."""
    data = offset_tagging(20000, 6, vocab_size=4, offset=2, rng=0)
    x, y = data.tokens[:, 0], data.tags[:, 0]
    for v in range(4):
        freq = np.bincount(y[x == v], minlength=4) / np.sum(x == v)
        assert np.all(np.abs(freq - 0.25) < 0.03), freq


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n=0, length=5), "n to be an integer >= 1, got 0"),
        (dict(n=2, length=1.5), "length to be an integer"),
        (dict(n=2, length=5, vocab_size=1), "vocab_size to be an integer >= 2, got 1"),
        (dict(n=2, length=5, offset=0), "offset to be a non-zero integer, got 0"),
        (dict(n=2, length=5, offset=True), "non-zero integer, got True"),
        (dict(n=2, length=5, offset=5), r"\|offset\| < length.*offset 5 with length 5"),
        (dict(n=2, length=5, offset=-7), r"\|offset\| < length"),
    ],
)
def test_bad_arguments_are_refused_clearly(kwargs, match):
    with pytest.raises(ValueError, match=match):
        offset_tagging(**kwargs)


def test_bad_rng_is_refused():
    with pytest.raises(
        TypeError, match="expected rng to be None, a non-negative int seed"
    ):
        offset_tagging(2, 5, rng="seed")
