"""The self-checks of the chapter "Vanishing and exploding gradients": each passes the
reference solution, fails a wrong answer with a hint (never the answer), and reports a
NotImplementedError stub as not attempted."""

from __future__ import annotations

import pytest
import torch
from checktools import stub, verdict

from rnnbook.checks import vanishing_gradients as checks

# --- reference solutions (the same as in chapters/04-vanishing-gradients.ipynb) -------


def jacobian_product(W_hh, hs, nonlinearity="tanh"):
    H = W_hh.shape[0]
    J = torch.eye(H, dtype=W_hh.dtype)
    for h_t in hs[1:]:
        d = 1.0 - h_t**2 if nonlinearity == "tanh" else (h_t > 0).to(W_hh.dtype)
        J = (d[:, None] * W_hh) @ J
    return J


def scaled_orthogonal(H, rho, seed):
    g = torch.Generator().manual_seed(seed)
    Q, R = torch.linalg.qr(torch.randn(H, H, generator=g, dtype=torch.float64))
    return rho * Q * torch.sign(torch.diagonal(R))


def clip_per_parameter(grads, max_norm):
    return [g * min(1.0, max_norm / (float(g.norm()) + 1e-6)) for g in grads]


# --- each checker: pass, fail with a hint, not attempted ------------------------------


@pytest.mark.parametrize(
    "check, solution",
    [
        (checks.check_jacobian_product, jacobian_product),
        (checks.check_scaled_orthogonal, scaled_orthogonal),
        (checks.check_clip_per_parameter, clip_per_parameter),
    ],
)
def test_reference_passes_and_stub_is_not_attempted(capsys, check, solution):
    verdict(capsys, check(solution), "✅")
    line = verdict(capsys, check(stub), "⏳")
    assert "not attempted" in line


def test_jacobian_wrong_order_transposed_and_wrong_derivative(capsys):
    def left_to_right(W_hh, hs, nonlinearity="tanh"):  # product in the wrong order
        J = torch.eye(W_hh.shape[0], dtype=W_hh.dtype)
        for h_t in hs[1:]:
            d = 1.0 - h_t**2 if nonlinearity == "tanh" else (h_t > 0).to(W_hh.dtype)
            J = J @ (d[:, None] * W_hh)
        return J

    assert "order of the product" in verdict(
        capsys, checks.check_jacobian_product(left_to_right), "❌"
    )
    transposed = lambda W, hs, nl="tanh": jacobian_product(W, hs, nl).T  # noqa: E731
    assert "transpose" in verdict(
        capsys, checks.check_jacobian_product(transposed), "❌"
    )
    tanh_only = lambda W, hs, nl="tanh": jacobian_product(W, hs, "tanh")  # noqa: E731
    assert "relu" in verdict(capsys, checks.check_jacobian_product(tanh_only), "❌")
    just_power = lambda W, hs, nl="tanh": torch.linalg.matrix_power(W, len(hs) - 1)  # noqa: E731
    verdict(capsys, checks.check_jacobian_product(just_power), "❌")
    wrong_shape = lambda W, hs, nl="tanh": jacobian_product(W, hs, nl)[:, :1]  # noqa: E731
    assert "shape" in verdict(capsys, checks.check_jacobian_product(wrong_shape), "❌")


def test_scaled_orthogonal_wrong_answers(capsys):
    def gaussian(H, rho, seed):
        return rho * torch.randn(H, H, generator=torch.Generator().manual_seed(seed))

    assert "W @ W.T" in verdict(capsys, checks.check_scaled_orthogonal(gaussian), "❌")
    unscaled = lambda H, rho, seed: scaled_orthogonal(H, 1.0, seed)  # noqa: E731
    verdict(capsys, checks.check_scaled_orthogonal(unscaled), "❌")
    identity = lambda H, rho, seed: rho * torch.eye(H, dtype=torch.float64)  # noqa: E731
    assert "random" in verdict(capsys, checks.check_scaled_orthogonal(identity), "❌")

    def unseeded(H, rho, seed):
        return scaled_orthogonal(H, rho, int(torch.randint(0, 10**6, ())))

    assert "same seed" in verdict(
        capsys, checks.check_scaled_orthogonal(unseeded), "❌"
    )
    as_list = lambda H, rho, seed: scaled_orthogonal(H, rho, seed).tolist()  # noqa: E731
    assert "torch.Tensor" in verdict(
        capsys, checks.check_scaled_orthogonal(as_list), "❌"
    )


def test_clip_per_parameter_wrong_answers(capsys):
    def global_norm(grads, max_norm):
        total = float(torch.sqrt(sum((g**2).sum() for g in grads)))
        return [g * min(1.0, max_norm / total) for g in grads]

    # max instead of min: short gradients get inflated
    def seed_002_max(grads, max_norm):
        return [g * max(1.0, max_norm / float(g.norm())) for g in grads]

    def in_place(grads, max_norm):
        for g in grads:
            g.mul_(min(1.0, max_norm / float(g.norm())))
        return grads

    def always_rescale(grads, max_norm):  # every gradient set to length max_norm
        return [g * max_norm / float(g.norm()) for g in grads]

    assert "global norm" in verdict(
        capsys, checks.check_clip_per_parameter(global_norm), "❌"
    )
    assert "unchanged" in verdict(
        capsys, checks.check_clip_per_parameter(seed_002_max), "❌"
    )
    assert "in place" in verdict(
        capsys, checks.check_clip_per_parameter(in_place), "❌"
    )
    assert "unchanged" in verdict(
        capsys, checks.check_clip_per_parameter(always_rescale), "❌"
    )
    assert "list" in verdict(
        capsys, checks.check_clip_per_parameter(lambda g, m: g[0]), "❌"
    )


def test_checkers_never_raise_on_crashing_code(capsys):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    for check in (
        checks.check_jacobian_product,
        checks.check_scaled_orthogonal,
        checks.check_clip_per_parameter,
    ):
        assert "RuntimeError" in verdict(capsys, check(crash), "❌")
