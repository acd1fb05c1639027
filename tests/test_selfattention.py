"""rnnbook.selfattention against torch.nn.MultiheadAttention and
torch.nn.TransformerEncoderLayer, and the permutation property of self-attention."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnnbook import selfattention as sa


def _x(N=3, L=5, E=8, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(N, L, E, generator=gen, dtype=torch.float64)


def _padding(N=3, L=5):
    lengths = torch.tensor([L, 3, 1])[:N]
    return torch.arange(L) >= lengths[:, None]  # True on the padding, as in torch.nn


@pytest.mark.parametrize("heads", [1, 2, 4])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("mask", ["none", "padding", "causal", "float", "both"])
def test_multihead_attention_equals_torch(heads, batch_first, mask):
    torch.manual_seed(0)
    theirs = nn.MultiheadAttention(8, heads, batch_first=batch_first).double()
    ours = sa.MultiheadAttention(8, heads, batch_first=batch_first).double()
    ours.load_state_dict(theirs.state_dict())
    q, kv = _x(seed=1), _x(seed=2)
    kw = {}
    if mask in ("padding", "both"):
        kw["key_padding_mask"] = _padding()
    if mask in ("causal", "both"):
        kw["attn_mask"] = torch.ones(5, 5, dtype=torch.bool).triu(1)  # True = blocked
    if mask == "float":
        kw["attn_mask"] = torch.randn(3 * heads, 5, 5, dtype=torch.float64)
    if not batch_first:
        q, kv = q.transpose(0, 1), kv.transpose(0, 1)
    for average in (True, False):
        out, w = ours(q, kv, kv, average_attn_weights=average, **kw)
        out_t, w_t = theirs(q, kv, kv, average_attn_weights=average, **kw)
        torch.testing.assert_close(out, out_t)
        torch.testing.assert_close(w, w_t)
    out.sum().backward()
    out_t.sum().backward()
    torch.testing.assert_close(ours.in_proj_weight.grad, theirs.in_proj_weight.grad)


def test_encoder_layer_equals_torch():
    torch.manual_seed(0)
    theirs = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    theirs = theirs.double()
    ours = sa.EncoderLayer(8, 2, 16).double()
    ours.load_state_dict(theirs.state_dict())
    x, pad = _x(), _padding()
    torch.testing.assert_close(ours(x), theirs(x))
    got = ours(x, src_key_padding_mask=pad)
    want = theirs(x, src_key_padding_mask=pad)
    torch.testing.assert_close(got[~pad], want[~pad])  # torch zeroes the padding rows


def test_self_attention_without_positions_is_permutation_equivariant():
    torch.manual_seed(0)
    plain = sa.SelfAttentionTagger(10, 10, d_model=16, nhead=2, positions=False).eval()
    with_pos = sa.SelfAttentionTagger(10, 10, d_model=16, nhead=2).eval()
    x = torch.randint(0, 10, (4, 7))
    perm = torch.randperm(7)
    with torch.no_grad():
        torch.testing.assert_close(plain(x[:, perm]), plain(x)[:, perm])
        assert not torch.allclose(with_pos(x[:, perm]), with_pos(x)[:, perm])


def test_taggers_have_the_aligned_shape():
    x = torch.randint(0, 10, (4, 7))
    assert sa.SelfAttentionTagger(10, 3, d_model=16, nhead=2)(x).shape == (4, 7, 3)
    assert sa.RecurrentTagger(10, 3, hidden_size=5)(x).shape == (4, 7, 3)


def test_bad_arguments():
    with pytest.raises(ValueError, match="divisible"):
        sa.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="expected query, key and value"):
        sa.MultiheadAttention(8, 2, batch_first=True)(_x(E=6), _x(E=6), _x(E=6))
