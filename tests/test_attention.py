"""rnnbook.attention: the equations, the masking, the gradients, and the scaled
dot-product attention against torch.nn.functional.scaled_dot_product_attention."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from rnnbook import attention as attn


def _batch(N=3, L=5, H_q=4, H_k=6, H_v=7, L_q=None, seed=0):
    gen = torch.Generator().manual_seed(seed)
    shape_q = (N, H_q) if L_q is None else (N, L_q, H_q)
    q = torch.randn(*shape_q, generator=gen, dtype=torch.float64)
    k = torch.randn(N, L, H_k, generator=gen, dtype=torch.float64)
    v = torch.randn(N, L, H_v, generator=gen, dtype=torch.float64)
    lengths = torch.tensor([L, 2, 1] + [L] * (N - 3))[:N]
    mask = torch.arange(L) < lengths[:, None]  # (N, L)
    return q, k, v, mask


def _modules():
    torch.manual_seed(0)
    return {
        "additive": attn.AdditiveAttention(4, 6, 5).double(),
        "multiplicative": attn.MultiplicativeAttention(4, 6).double(),
    }


def test_additive_attention_follows_its_equations():
    q, k, v, mask = _batch()
    module = _modules()["additive"]
    context, alpha = module(q, k, v, mask)
    W_q, W_k = module.query_proj.weight, module.key_proj.weight
    b_k, w_a = module.key_proj.bias, module.score_proj.weight[0]
    for n in range(q.shape[0]):
        e = torch.stack(
            [torch.tanh(q[n] @ W_q.T + k[n, j] @ W_k.T + b_k) @ w_a for j in range(5)]
        )  # (L,): e_j
        real = mask[n]
        want = torch.zeros(5, dtype=torch.float64)
        want[real] = torch.softmax(e[real], dim=0)
        torch.testing.assert_close(alpha[n], want)
        torch.testing.assert_close(context[n], want @ v[n])


def test_multiplicative_attention_follows_its_equation():
    q, k, v, mask = _batch()
    module = _modules()["multiplicative"]
    context, alpha = module(q, k, v, mask)
    W_a = module.key_proj.weight  # (H_q, H_k): e_j = q W_a k_j^T
    e = torch.einsum("nq,qk,nlk->nl", q, W_a, k)
    want = torch.softmax(e.masked_fill(~mask, -math.inf), dim=-1)
    torch.testing.assert_close(alpha, want)
    torch.testing.assert_close(context, torch.einsum("nl,nlv->nv", want, v))


@pytest.mark.parametrize("name", ["additive", "multiplicative"])
def test_padded_positions_get_zero_weight_and_do_not_matter(name):
    q, k, v, mask = _batch()
    module = _modules()[name]
    context, alpha = module(q, k, v, mask)
    assert (alpha[~mask] == 0).all()  # exactly zero, not just small
    torch.testing.assert_close(alpha.sum(-1), torch.ones(3, dtype=torch.float64))
    noisy_k, noisy_v = k.clone(), v.clone()
    noisy_k[~mask] = 1e3 * torch.randn(int((~mask).sum()), 6, dtype=torch.float64)
    noisy_v[~mask] = 1e3
    context2, alpha2 = module(q, noisy_k, noisy_v, mask)
    torch.testing.assert_close(context2, context)
    torch.testing.assert_close(alpha2, alpha)


@pytest.mark.parametrize("name", ["additive", "multiplicative"])
def test_several_queries_at_once_equal_one_at_a_time(name):
    q, k, v, mask = _batch(L_q=3)
    module = _modules()[name]
    context, alpha = module(q, k, v, mask)
    assert context.shape == (3, 3, 7) and alpha.shape == (3, 3, 5)
    for i in range(3):
        c_i, a_i = module(q[:, i], k, v, mask)
        torch.testing.assert_close(context[:, i], c_i)
        torch.testing.assert_close(alpha[:, i], a_i)


@pytest.mark.parametrize("name", ["additive", "multiplicative"])
def test_gradients_by_gradcheck(name):
    q, k, v, mask = _batch(N=3, L=4, H_q=4, H_k=6, H_v=3)
    module = _modules()[name]
    names, params = zip(*module.named_parameters())

    def f(q, k, v, *weights):  # the module as a function of inputs and parameters
        return torch.func.functional_call(
            module, dict(zip(names, weights)), (q, k, v, mask)
        )

    inputs = [t.detach().clone().requires_grad_() for t in (q, k, v, *params)]
    assert torch.autograd.gradcheck(f, inputs)


def test_values_default_to_the_keys():
    q, k, _, mask = _batch(H_q=6)
    module = attn.DotProductAttention()
    c1, a1 = module(q, k, None, mask)
    c2, a2 = module(q, k, k, mask)
    torch.testing.assert_close(c1, c2)
    torch.testing.assert_close(a1, a2)


def test_dot_product_attention_scales_by_sqrt_d():
    q, k, v, mask = _batch(H_q=6)
    for scaled, s in ((True, 1 / math.sqrt(6)), (False, 1.0)):
        context, alpha = attn.DotProductAttention(scaled)(q, k, v, mask)
        want = F.scaled_dot_product_attention(
            q[:, None], k, v, attn_mask=mask[:, None], scale=s
        )[:, 0]
        torch.testing.assert_close(context, want)


def test_masked_softmax_of_an_empty_row_is_zero_without_nan_gradients():
    scores = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True, False, True, False], [False] * 4])
    w = attn.masked_softmax(scores, mask)
    assert (w[1] == 0).all() and torch.isclose(w[0].sum(), torch.tensor(1.0).double())
    (w * torch.randn(2, 4, dtype=torch.float64)).sum().backward()
    assert torch.isfinite(scores.grad).all() and (scores.grad[1] == 0).all()


# ------------------------------------------------ scaled dot-product attention vs torch
def _qkv(batch, L_q, L, d, d_v, seed):
    gen = torch.Generator().manual_seed(seed)
    return [
        torch.randn(*batch, n, m, generator=gen, dtype=torch.float64)
        for n, m in ((L_q, d), (L, d), (L, d_v))
    ]


def _masks(batch, L_q, L, seed):
    gen = torch.Generator().manual_seed(seed)
    bool_full = torch.rand(*batch, L_q, L, generator=gen) > 0.4
    bool_full[..., 0, :] = False  # a query that may attend to nothing
    pad = torch.arange(L) < torch.randint(1, L + 1, (batch[0],), generator=gen)[:, None]
    pad = pad.view(batch[0], *([1] * (len(batch) - 1)), 1, L)  # (N, 1.., 1, L)
    additive = torch.randn(L_q, L, generator=gen, dtype=torch.float64)
    additive[0, 1] = -math.inf
    return {
        "none": None,
        "bool": bool_full,
        "padding": pad,
        "bool_2d": torch.rand(L_q, L, generator=gen) > 0.3,
        "float": additive,
    }


CONFIGS = [
    ((2,), 3, 5, 4, 6),
    ((2, 3), 4, 4, 8, 2),
    ((3, 2), 5, 3, 2, 3),
    ((1,), 1, 7, 5, 5),
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("mask", ["none", "bool", "padding", "bool_2d", "float"])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_equals_torch_scaled_dot_product_attention(config, mask, scale):
    batch, L_q, L, d, d_v = config
    q, k, v = _qkv(batch, L_q, L, d, d_v, seed=L_q + L)
    m = _masks(batch, L_q, L, seed=d)[mask]
    ours_in = [t.clone().requires_grad_() for t in (q, k, v)]
    theirs_in = [t.clone().requires_grad_() for t in (q, k, v)]
    ours = attn.scaled_dot_product_attention(*ours_in, attn_mask=m, scale=scale)
    theirs = F.scaled_dot_product_attention(*theirs_in, attn_mask=m, scale=scale)
    torch.testing.assert_close(ours, theirs)
    g = torch.randn_like(ours)
    (ours * g).sum().backward()
    (theirs * g).sum().backward()
    for a, b in zip(ours_in, theirs_in):
        torch.testing.assert_close(a.grad, b.grad)


@pytest.mark.parametrize("L_q, L", [(4, 4), (3, 5), (5, 3)])
def test_equals_torch_with_is_causal(L_q, L):
    q, k, v = _qkv((2, 2), L_q, L, 4, 3, seed=1)
    ours = attn.scaled_dot_product_attention(q, k, v, is_causal=True)
    theirs = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(ours, theirs)
    weights = attn.attention_weights(q, k, is_causal=True)
    assert (weights.triu(diagonal=1) == 0).all()  # no query sees a later key


def test_scaled_dot_product_attention_gradcheck():
    q, k, v = _qkv((2,), 3, 4, 5, 2, seed=3)
    mask = torch.tensor([True, True, False, True])

    def f(q, k, v):
        return attn.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    assert torch.autograd.gradcheck(f, [t.requires_grad_() for t in (q, k, v)])


def test_bad_input_gets_a_clear_error():
    q, k, v, mask = _batch()
    module = _modules()["additive"]
    with pytest.raises(ValueError, match=r"expected query of shape \(3, H_q\)"):
        module(q[:2], k, v, mask)
    with pytest.raises(ValueError, match=r"expected values of shape \(3, 5, H_v\)"):
        module(q, k, v[:, :4], mask)
    with pytest.raises(ValueError, match=r"expected mask of shape \(3, 5\)"):
        module(q, k, v, mask[:, :4])
    with pytest.raises(TypeError, match="torch.bool mask"):
        module(q, k, v, mask.long())
    with pytest.raises(ValueError, match="the same size"):
        attn.DotProductAttention()(q, k, v, mask)
    Q, K, V = _qkv((2,), 3, 4, 5, 2, seed=0)
    with pytest.raises(NotImplementedError, match="dropout"):
        attn.scaled_dot_product_attention(Q, K, V, dropout_p=0.1)
    with pytest.raises(ValueError, match="not both"):
        attn.scaled_dot_product_attention(
            Q, K, V, attn_mask=torch.ones(3, 4).bool(), is_causal=True
        )
    with pytest.raises(ValueError, match="broadcastable"):
        attn.scaled_dot_product_attention(Q, K, V, attn_mask=torch.ones(3, 5).bool())
    with pytest.raises(ValueError, match="same d"):
        attn.scaled_dot_product_attention(Q, K[..., :4], V)
