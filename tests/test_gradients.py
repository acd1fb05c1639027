"""Tests for rnnbook.gradients: spectral radius, gradient norms through time, clipping
by norm.
"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnbook.gradients import (
    clip_grad_norm,
    hidden_state_grad_norms,
    scale_to_spectral_radius,
    spectral_radius,
)


@settings(max_examples=15, deadline=None)
@given(H=st.integers(1, 12), rho=st.floats(0.05, 3.0), seed=st.integers(0, 10_000))
def test_scale_to_spectral_radius_is_exact(H, rho, seed):
    W = torch.randn(
        H, H, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )
    W2 = scale_to_spectral_radius(W, rho)
    assert spectral_radius(W2) == pytest.approx(rho, rel=1e-9)
    # same eigenvectors: W2 is a multiple of W, and W itself is untouched
    assert torch.allclose(W2 * spectral_radius(W), W * rho)


def test_spectral_radius_of_known_matrices():
    assert spectral_radius(torch.diag(torch.tensor([0.5, -2.0, 1.0]))) == pytest.approx(
        2.0
    )
    rotation = torch.tensor([[0.0, -1.0], [1.0, 0.0]])  # eigenvalues +-i
    assert spectral_radius(3 * rotation) == pytest.approx(3.0)


@pytest.mark.parametrize(
    "bad, err",
    [
        (torch.ones(2, 3), ValueError),
        (torch.ones(3), ValueError),
        ([[1.0]], TypeError),
        (torch.ones(2, 2, dtype=torch.int64), TypeError),
    ],
)
def test_bad_matrices_are_rejected(bad, err):
    with pytest.raises(err, match="expected W"):
        spectral_radius(bad)


def test_scale_rejects_bad_radius_and_nilpotent():
    with pytest.raises(ValueError, match="positive spectral radius"):
        scale_to_spectral_radius(torch.eye(2), -1.0)
    with pytest.raises(ValueError, match="nilpotent"):
        scale_to_spectral_radius(torch.tensor([[0.0, 1.0], [0.0, 0.0]]), 1.0)


def _autograd_norms(rnn, x, v):
    """Oracle: add a zero tensor to each h_t and differentiate nn.RNN piecewise."""
    N, L, _ = x.shape
    norms = []
    for t in range(L + 1):
        h0 = torch.zeros(1, N, rnn.hidden_size, dtype=x.dtype)
        if t == 0:
            h = h0.requires_grad_(True)
            out, hn = rnn(x, h)
        else:
            _, h_t = rnn(x[:, :t], h0)
            h = h_t.detach().requires_grad_(True)
            _, hn = rnn(x[:, t:], h) if t < L else (None, h)
        (g,) = torch.autograd.grad((hn[0] @ v).sum(), h)
        norms.append(g[0].norm(dim=1).mean())
    return torch.stack(norms).flip(0)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_grad_norms_match_autograd_through_nn_rnn(nonlinearity):
    torch.manual_seed(0)
    rnn = torch.nn.RNN(3, 5, nonlinearity=nonlinearity, batch_first=True).double()
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    v = torch.randn(5, dtype=torch.float64)
    ours = hidden_state_grad_norms(rnn, x, loss_fn=lambda h: (h @ v).sum())
    assert ours.shape == (8,)
    assert torch.allclose(ours, _autograd_norms(rnn, x, v), rtol=1e-10, atol=1e-12)


def test_linear_regime_follows_rho_to_the_k():
    """Orthogonal W_hh scaled to rho, tiny inputs, tanh ~ identity: ||dL/dh_{T-k}|| ~
    rho^k.
    """
    H, L, rho = 16, 30, 0.8
    Q, _ = torch.linalg.qr(
        torch.randn(
            H, H, generator=torch.Generator().manual_seed(1), dtype=torch.float64
        )
    )
    rnn = torch.nn.RNN(1, H, batch_first=True, bias=False).double()
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(rho * Q)
        rnn.weight_ih_l0.mul_(1e-6)
    v = torch.randn(H, dtype=torch.float64)
    norms = hidden_state_grad_norms(
        rnn, torch.randn(2, L, 1, dtype=torch.float64), loss_fn=lambda h: (h @ v).sum()
    )
    expected = v.norm() * rho ** torch.arange(L + 1, dtype=torch.float64)
    assert torch.allclose(norms, expected, rtol=1e-6)


def test_grad_norms_reject_bad_input():
    rnn = torch.nn.RNN(2, 3, batch_first=True)
    with pytest.raises(
        ValueError, match=r"expected x of shape \(N, L, 2\), got \(4, 5, 3\)"
    ):
        hidden_state_grad_norms(rnn, torch.randn(4, 5, 3))
    with pytest.raises(ValueError, match="batch_first=True"):
        hidden_state_grad_norms(torch.nn.RNN(2, 3), torch.randn(4, 5, 2))
    with pytest.raises(ValueError, match="num_layers=1"):
        hidden_state_grad_norms(
            torch.nn.RNN(2, 3, num_layers=2, batch_first=True), torch.randn(4, 5, 2)
        )
    with pytest.raises(ValueError, match=r"expected h0 of shape \(4, 3\)"):
        hidden_state_grad_norms(rnn, torch.randn(4, 5, 2), h0=torch.zeros(1, 4, 3))
    with pytest.raises(ValueError, match="scalar"):
        hidden_state_grad_norms(rnn, torch.randn(4, 5, 2), loss_fn=lambda h: h)


@settings(max_examples=20, deadline=None)
@given(
    scale=st.floats(1e-3, 1e3),
    max_norm=st.floats(0.1, 10.0),
    seed=st.integers(0, 10_000),
)
def test_clip_grad_norm_equals_torch(scale, max_norm, seed):
    g = torch.Generator().manual_seed(seed)
    grads = [
        scale * torch.randn(*shape, generator=g) for shape in [(3, 4), (4,), (2, 2, 2)]
    ]
    ours = [torch.zeros_like(gr, requires_grad=True) for gr in grads]
    ref = [torch.zeros_like(gr, requires_grad=True) for gr in grads]
    for p, q, gr in zip(ours, ref, grads):
        p.grad, q.grad = gr.clone(), gr.clone()
    n1 = clip_grad_norm(ours, max_norm)
    n2 = torch.nn.utils.clip_grad_norm_(ref, max_norm)
    assert float(n1) == pytest.approx(float(n2), rel=1e-5)
    for p, q in zip(ours, ref):
        assert torch.allclose(p.grad, q.grad, rtol=1e-5, atol=1e-7)
    # the clipped gradient never exceeds max_norm and keeps its direction
    total = math.sqrt(sum(float((p.grad**2).sum()) for p in ours))
    assert total <= max_norm * (1 + 1e-5)
    cos = sum(float((p.grad * gr).sum()) for p, gr in zip(ours, grads)) / (
        total * float(n1)
    )
    assert cos == pytest.approx(1.0, abs=1e-5)


def test_clip_leaves_short_gradients_alone_and_skips_missing():
    p = torch.zeros(3, requires_grad=True)
    q = torch.zeros(2, requires_grad=True)  # no gradient: skipped
    p.grad = torch.tensor([0.3, 0.0, 0.4])
    assert float(clip_grad_norm([p, q], 1.0)) == pytest.approx(0.5)
    assert torch.equal(p.grad, torch.tensor([0.3, 0.0, 0.4]))
    assert float(clip_grad_norm([q], 1.0)) == 0.0
    with pytest.raises(ValueError, match="positive max_norm"):
        clip_grad_norm([p], 0)
