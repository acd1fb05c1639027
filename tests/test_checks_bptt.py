"""The BPTT chapter's self-checks: each passes the reference solution, fails a wrong
answer with a hint (never the answer), and reports a NotImplementedError stub as not
attempted."""

from __future__ import annotations

import numpy as np
from checktools import common_checker_tests, verdict

from rnnbook.checks import bptt as checks

# --- reference solutions (the same as in chapters/03-bptt.ipynb) ----------------------


def softmax_cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    M = logits.shape[0]
    loss = -logp[np.arange(M), targets].sum()
    dlogits = np.exp(logp)
    dlogits[np.arange(M), targets] -= 1.0
    return float(loss), dlogits


def many_to_one_grads(x, y, params, *, steps_back=None):
    W_ih, W_hh, W_hy = params["weight_ih"], params["weight_hh"], params["weight_hy"]
    N, L, _ = x.shape
    hs = [np.zeros((N, W_hh.shape[0]))]
    for t in range(L):
        hs.append(
            np.tanh(
                x[:, t] @ W_ih.T
                + params["bias_ih"]
                + hs[-1] @ W_hh.T
                + params["bias_hh"]
            )
        )
    _, dlogits = softmax_cross_entropy(hs[-1] @ W_hy.T + params["bias_y"], y)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    grads["weight_hy"], grads["bias_y"] = dlogits.T @ hs[-1], dlogits.sum(axis=0)
    dh = dlogits @ W_hy
    for t in range(L, 0 if steps_back is None else max(L - steps_back, 0), -1):
        da = dh * (1.0 - hs[t] ** 2)
        grads["weight_ih"] += da.T @ x[:, t - 1]
        grads["weight_hh"] += da.T @ hs[t - 1]
        grads["bias_ih"] += da.sum(axis=0)
        grads["bias_hh"] += da.sum(axis=0)
        dh = da @ W_hh
    return grads


def tbptt_kept_terms(L, T):
    chunk = np.arange(L) // T
    t, k = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
    return (k <= t) & (chunk[k] == chunk[t])


CHECKERS = {
    "3.2": (checks.check_softmax_cross_entropy, softmax_cross_entropy),
    "3.4": (checks.check_many_to_one_grads, many_to_one_grads),
    "3.5": (checks.check_tbptt_kept_terms, tbptt_kept_terms),
}


test_reference_solution_passes, test_stub_is_not_attempted = common_checker_tests(
    CHECKERS
)


def test_reference_kept_terms_match_a_pytorch_detach():
    """The oracle of 3.5 is what PyTorch computes: with chunks detached, the
    W_hh-gradient of the loss at step t through step k survives exactly where the
    kept-terms mask says."""
    import torch

    L, T, H = 7, 3, 3
    torch.manual_seed(0)
    W = torch.randn(H, H, dtype=torch.float64) * 0.5
    x = torch.randn(L, H, dtype=torch.float64)
    # nonzero, else the k = 1 term of W_hh is 0 * h_0
    h0 = torch.randn(H, dtype=torch.float64)
    kept = np.zeros((L, L), dtype=bool)
    for t in range(L):
        for k in range(L):
            copies = [W.clone().requires_grad_(True) for _ in range(L)]
            h = h0
            for s in range(t + 1):
                if s % T == 0:
                    h = h.detach()
                h = torch.tanh(x[s] + h @ copies[s].T)
            g = torch.autograd.grad(h.sum(), copies[k], allow_unused=True)[0]
            kept[t, k] = g is not None and bool(g.abs().sum() > 0)
    assert np.array_equal(kept, checks._kept_terms(L, T))


# --- wrong answers get a hint ---------------------------------------------------------


def test_softmax_ce_mean_instead_of_sum_fails(capsys):
    def wrong(logits, targets):
        loss, d = softmax_cross_entropy(logits, targets)
        return loss / len(targets), d / len(targets)

    line = verdict(capsys, checks.check_softmax_cross_entropy(wrong), "❌")
    assert "averaged" in line


def test_softmax_ce_without_onehot_fails(capsys):
    def wrong(logits, targets):
        loss, d = softmax_cross_entropy(logits, targets)
        d[np.arange(len(targets)), targets] += 1.0  # p instead of p - y
        return loss, d

    line = verdict(capsys, checks.check_softmax_cross_entropy(wrong), "❌")
    assert "sum to zero" in line


def test_softmax_ce_wrong_sign_fails(capsys):
    def wrong(logits, targets):
        loss, d = softmax_cross_entropy(logits, targets)
        return loss, -d

    line = verdict(capsys, checks.check_softmax_cross_entropy(wrong), "❌")
    assert "sign" in line


def test_softmax_ce_unstable_fails(capsys):
    def naive(logits, targets):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            M = len(targets)
            loss = -np.log(p[np.arange(M), targets]).sum()
        d = p.copy()
        d[np.arange(M), targets] -= 1.0
        return float(loss), d

    line = verdict(capsys, checks.check_softmax_cross_entropy(naive), "❌")
    assert "maximum" in line


def test_softmax_ce_wrong_shape_fails(capsys):
    line = verdict(
        capsys,
        checks.check_softmax_cross_entropy(
            lambda z, y: (
                softmax_cross_entropy(z, y)[0],
                softmax_cross_entropy(z, y)[1].T,
            )
        ),
        "❌",
    )
    assert "shape" in line


def test_many_to_one_last_step_only_fails(capsys):
    line = verdict(
        capsys,
        checks.check_many_to_one_grads(
            lambda x, y, p: many_to_one_grads(x, y, p, steps_back=1)
        ),
        "❌",
    )
    assert "only count the last step" in line


def test_many_to_one_truncated_two_steps_fails(capsys):
    line = verdict(
        capsys,
        checks.check_many_to_one_grads(
            lambda x, y, p: many_to_one_grads(x, y, p, steps_back=2)
        ),
        "❌",
    )
    assert "is off" in line


def test_many_to_one_missing_key_fails(capsys):
    def wrong(x, y, p):
        g = many_to_one_grads(x, y, p)
        del g["bias_hh"]
        return g

    line = verdict(capsys, checks.check_many_to_one_grads(wrong), "❌")
    assert "missing" in line and "bias_hh" in line


def test_many_to_one_wrong_output_layer_fails(capsys):
    def wrong(x, y, p):
        g = many_to_one_grads(x, y, p)
        g["weight_hy"] = g["weight_hy"] * 2.0
        return g

    line = verdict(capsys, checks.check_many_to_one_grads(wrong), "❌")
    assert "output layer" in line


def test_many_to_one_transposed_weight_fails(capsys):
    def wrong(x, y, p):
        g = many_to_one_grads(x, y, p)
        g["weight_ih"] = g["weight_ih"].T
        return g

    line = verdict(capsys, checks.check_many_to_one_grads(wrong), "❌")
    assert "shape" in line


def test_kept_terms_full_lower_triangle_fails(capsys):
    line = verdict(
        capsys,
        checks.check_tbptt_kept_terms(
            lambda L, T: np.tril(np.ones((L, L), dtype=bool))
        ),
        "❌",
    )
    assert "same chunk" in line


def test_kept_terms_upper_triangle_fails(capsys):
    def wrong(L, T):
        return tbptt_kept_terms(L, T).T

    line = verdict(capsys, checks.check_tbptt_kept_terms(wrong), "❌")
    assert "k > t" in line


def test_kept_terms_sliding_window_fails(capsys):
    """A window of the last T steps before each loss is a different truncation than
    chunks.
    """

    def wrong(L, T):
        t, k = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
        return (k <= t) & (t - k < T)

    line = verdict(capsys, checks.check_tbptt_kept_terms(wrong), "❌")
    assert "chunk" in line


def test_kept_terms_int_dtype_fails(capsys):
    line = verdict(
        capsys,
        checks.check_tbptt_kept_terms(lambda L, T: tbptt_kept_terms(L, T).astype(int)),
        "❌",
    )
    assert "bool" in line


def test_hints_never_print_expected_values(capsys):
    """A wrong loss's hint says what is off, never the value it should have."""
    rng = np.random.default_rng(31)
    logits, targets = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    want = softmax_cross_entropy(logits, targets)[0]
    checks.check_softmax_cross_entropy(
        lambda z, y: (
            softmax_cross_entropy(z, y)[0] + 1.0,
            softmax_cross_entropy(z, y)[1],
        )
    )
    line = capsys.readouterr().out
    assert (
        line.startswith("❌")
        and f"{want:.3f}" not in line
        and f"{want:.2f}" not in line
    )
