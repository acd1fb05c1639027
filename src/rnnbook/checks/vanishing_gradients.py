"""Self-checks for the exercises of the chapter "Vanishing and exploding gradients".

Each checker calls the student's function on fresh random inputs, compares the result
with an answer computed here in another way (autograd, the defining property, PyTorch's
own clipping), prints one line and returns ``True`` or ``False``. It never prints the
answer.
"""

from __future__ import annotations

from typing import Callable

import torch

from rnnbook.checks import Hint, case_seed, expect_close, expect_shape, report

__all__ = [
    "check_jacobian_product",
    "check_scaled_orthogonal",
    "check_clip_per_parameter",
]


def _elman_states(W_ih, W_hh, b, x, nonlinearity):
    """h_0 = 0, h_t = f(x_t W_ih^T + h_{t-1} W_hh^T + b); returns the (L+1, H) stack."""
    f = torch.tanh if nonlinearity == "tanh" else torch.relu
    hs = [torch.zeros(W_hh.shape[0], dtype=W_hh.dtype)]
    for x_t in x:
        hs.append(f(x_t @ W_ih.T + hs[-1] @ W_hh.T + b))
    return torch.stack(hs)


def check_jacobian_product(jacobian_product: Callable) -> bool:
    """Exercise 4.3: ``jacobian_product(W_hh, hs, nonlinearity)`` returns dh_L/dh_0,
    shape (H, H).
    """

    def check():
        g = torch.Generator().manual_seed(case_seed(43))
        for nonlinearity, (H, L) in (
            ("tanh", (5, 6)),
            ("relu", (4, 7)),
            ("tanh", (3, 1)),
        ):
            W_ih = torch.randn(H, 2, generator=g, dtype=torch.float64)
            W_hh = 0.9 * torch.randn(H, H, generator=g, dtype=torch.float64) / H**0.5
            b = 0.5 * torch.rand(H, generator=g, dtype=torch.float64)
            x = torch.randn(L, 2, generator=g, dtype=torch.float64)
            hs = _elman_states(W_ih, W_hh, b, x, nonlinearity)

            def h_L_of_h_0(h0):  # the same recurrence started from h0
                f = torch.tanh if nonlinearity == "tanh" else torch.relu
                h = h0
                for x_t in x:
                    h = f(x_t @ W_ih.T + h @ W_hh.T + b)
                return h

            target = torch.autograd.functional.jacobian(h_L_of_h_0, hs[0])  # (H, H)
            got = jacobian_product(W_hh.clone(), hs.clone(), nonlinearity)
            got = torch.as_tensor(got, dtype=torch.float64)
            expect_shape(f"the Jacobian for H={H}", got, (H, H))
            if not torch.allclose(got, target, rtol=1e-6, atol=1e-9):
                if torch.allclose(got.T, target, rtol=1e-6, atol=1e-9):
                    raise Hint(
                        "you returned the transpose: entry [i, j] should be d h_L[i] / "
                        "d h_0[j]"
                    )
                raise Hint(
                    f"wrong values for nonlinearity={nonlinearity!r}, L={L}: check the "
                    "order of the "
                    "product (the latest step's Jacobian goes on the left) and the "
                    "derivative of f"
                )

    return report("4.3", check)


def check_scaled_orthogonal(scaled_orthogonal: Callable) -> bool:
    """Exercise 4.4: ``scaled_orthogonal(H, rho, seed)`` returns rho * Q with Q random
    orthogonal.
    """

    def check():
        g = torch.Generator().manual_seed(case_seed(44))
        drawn = (  # a size and a radius no one can know in advance
            int(torch.randint(2, 12, (), generator=g)),
            round(0.5 + float(torch.rand((), generator=g)), 3),
        )
        for H, rho in ((1, 0.7), (6, 1.3), (20, 0.9), drawn):
            W = scaled_orthogonal(H, rho, 0)
            if not isinstance(W, torch.Tensor):
                raise Hint(f"return a torch.Tensor, got {type(W).__name__}")
            expect_shape(f"scaled_orthogonal({H}, {rho}, 0)", W, (H, H))
            W = W.double()
            expect_close(
                f"W @ W.T for H={H} (should be rho^2 times the identity)",
                W @ W.T,
                rho**2 * torch.eye(H, dtype=torch.float64),
                rtol=1e-5,
                atol=1e-5,
            )
            radius = float(torch.linalg.eigvals(W).abs().max())
            if abs(radius - rho) > 1e-5 * max(1.0, rho):
                raise Hint(f"the spectral radius should be rho={rho}, got {radius:.4f}")
        A, B, C = (scaled_orthogonal(8, 1.0, s) for s in (0, 0, 1))
        if not torch.equal(A, B):
            raise Hint(
                "the same seed should give the same matrix: use a torch.Generator "
                "seeded with `seed`"
            )
        if torch.allclose(A.double(), C.double()):
            raise Hint("different seeds should give different random matrices")
        if torch.allclose(A.double().abs(), torch.eye(8, dtype=torch.float64)):
            raise Hint(
                "the matrix should be a random orthogonal matrix, not (plus or minus) "
                "the identity"
            )

    return report("4.4", check)


def check_clip_per_parameter(clip_per_parameter: Callable) -> bool:
    """Exercise 4.5: ``clip_per_parameter(grads, max_norm)`` clips each tensor by its
    own norm.
    """

    def check():
        g = torch.Generator().manual_seed(case_seed(45))
        grads = [
            torch.randn(3, 4, generator=g) * 10,
            torch.randn(5, generator=g) * 0.01,
            torch.randn(2, 2, 2, generator=g) * 3,
        ]
        originals = [gr.clone() for gr in grads]
        M = 1.5
        got = clip_per_parameter(grads, M)
        if not isinstance(got, (list, tuple)) or len(got) != len(grads):
            raise Hint(f"return a list of {len(grads)} tensors, one per gradient")
        for k, (gr, orig) in enumerate(zip(grads, originals)):
            if not torch.equal(gr, orig):
                raise Hint(
                    f"gradient {k} was modified in place: return new tensors and leave "
                    "the inputs alone"
                )
        for k, (out, orig) in enumerate(zip(got, originals)):
            expect_shape(f"clipped gradient {k}", out, tuple(orig.shape))
        total = torch.sqrt(sum((o**2).sum() for o in originals))
        global_clip = [o * min(1.0, M / float(total)) for o in originals]
        if all(
            torch.allclose(torch.as_tensor(a).float(), b, rtol=1e-4)
            for a, b in zip(got, global_clip)
        ):
            raise Hint(
                "that is clipping by the global norm of all gradients: clip each "
                "tensor by its own norm"
            )
        small = torch.as_tensor(got[1]).float()
        if not torch.allclose(small, originals[1], rtol=1e-5, atol=1e-9):
            raise Hint(
                "a gradient whose norm is already below max_norm must come back "
                "unchanged"
            )
        for k, (out, orig) in enumerate(zip(got, originals)):
            target = orig * min(1.0, M / float(orig.norm()))
            expect_close(f"clipped gradient {k}", out, target, rtol=1e-4, atol=1e-6)

    return report("4.5", check)
