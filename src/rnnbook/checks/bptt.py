"""Self-checks for the exercises of the BPTT chapter (``chapters/03-bptt.ipynb``,
"Unrolling and backpropagation through time").

Each checker calls the student's function on fresh random inputs, compares with
``torch.autograd`` in float64 or with the definition of truncated BPTT (the oracles),
prints one verdict line through :func:`rnnbook.checks.report` and returns a bool. Hints
say what is wrong (a shape, a sign, a missing sum over time), never the answer.

The parameter dicts use the chapter's names (those of ``rnnbook.npnn.SoftmaxRNN``):
``weight_ih`` = W_ih (H, H_in), ``weight_hh`` = W_hh (H, H), ``bias_ih`` (H,),
``bias_hh`` (H,), ``weight_hy`` = W_hy (K, H), ``bias_y`` (K,). Hints use the book's
notation: the pre-activation a_t (h_t = tanh(a_t)), h-bar_t = dL/dh_t and
delta_t = dL/da_t = h-bar_t ⊙ (1 - h_t^2).
"""

from __future__ import annotations

import numbers
from typing import Callable

import numpy as np
import torch

from rnnbook.checks import Hint, case_seed, expect_close, expect_shape, report

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hy", "bias_y")


def _as_array(name: str, value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if not isinstance(value, np.ndarray):
        raise Hint(f"{name} should be a NumPy array, got {type(value).__name__}")
    return value


# --- Exercise 3.2: softmax cross-entropy and its gradient -----------------------------


def _ce_oracle(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(
        z, torch.as_tensor(targets), reduction="sum"
    )
    loss.backward()
    return float(loss.detach()), z.grad.numpy()


def check_softmax_cross_entropy(softmax_cross_entropy: Callable) -> bool:
    """Exercise 3.2: ``softmax_cross_entropy(logits, targets) -> (loss, dlogits)`` for
    logits (M, K) and integer targets (M,): the summed loss Σ_m -log
    softmax(logits_m)[y_m] as a float and its gradient with respect to the logits, shape
    (M, K)."""

    def check():
        rng = np.random.default_rng(case_seed(31))
        cases = [
            (rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)),
            (3.0 * rng.normal(size=(7, 3)), rng.integers(0, 3, size=7)),
            (
                rng.normal(size=(3, 6)) + np.array([[800.0], [-900.0], [0.0]]),
                rng.integers(0, 6, size=3),
            ),
        ]
        for i, (logits, targets) in enumerate(cases):
            result = softmax_cross_entropy(logits.copy(), targets.copy())
            if not isinstance(result, tuple) or len(result) != 2:
                raise Hint("return a tuple (loss, dlogits)")
            loss, dlogits = result
            if isinstance(loss, (np.ndarray, torch.Tensor)) and np.size(loss) == 1:
                loss = float(
                    np.asarray(
                        loss.detach() if isinstance(loss, torch.Tensor) else loss
                    )
                )
            if isinstance(loss, bool) or not isinstance(loss, numbers.Real):
                raise Hint(
                    "the loss should be one number (a float), got "
                    f"{type(loss).__name__}"
                )
            dlogits = _as_array("dlogits", dlogits)
            expect_shape("dlogits", dlogits, logits.shape)
            want_loss, want_grad = _ce_oracle(logits, targets)
            M = logits.shape[0]
            if not (np.isfinite(loss) and np.all(np.isfinite(dlogits))):
                if i == 2:
                    raise Hint(
                        "NaN or inf for logits of size about 1000: e^800 overflows; "
                        "subtract each row's maximum before exponentiating"
                    )
                raise Hint("the loss or dlogits contains NaN or inf")
            if np.isclose(loss, want_loss / M, rtol=1e-6) and not np.isclose(
                loss, want_loss, rtol=1e-6
            ):
                raise Hint(
                    "the loss looks averaged over the rows: this exercise wants the sum"
                )
            if not np.isclose(loss, want_loss, rtol=1e-6, atol=1e-9):
                if np.isclose(loss, -want_loss, rtol=1e-6):
                    raise Hint(
                        "the loss has the wrong sign: it is minus the log-probability "
                        "of the target"
                    )
                raise Hint(
                    "the loss is off: it is Σ_m -log p_m[y_m] with p_m = "
                    "softmax(logits_m)"
                )
            if np.allclose(dlogits, -want_grad, atol=1e-8):
                raise Hint(
                    "dlogits has the wrong sign: increasing the target's logit must "
                    "lower the loss"
                )
            if not np.allclose(dlogits.sum(axis=1), 0.0, atol=1e-8):
                raise Hint(
                    "each row of dlogits should sum to zero (softmax probabilities sum "
                    "to one): did you forget the one-hot target, or add it twice?"
                )
            expect_close("dlogits", dlogits, want_grad, rtol=1e-6, atol=1e-9)

    return report("3.2", check)


# --- Exercise 3.4: BPTT for a many-to-one RNN -----------------------------------------


def _many_to_one_oracle(x, y, params):
    p = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in params.items()
    }
    N, L, _ = x.shape
    xt = torch.as_tensor(x, dtype=torch.float64)
    h = torch.zeros(N, p["weight_hh"].shape[0], dtype=torch.float64)
    for t in range(L):
        h = torch.tanh(
            xt[:, t] @ p["weight_ih"].T
            + p["bias_ih"]
            + h @ p["weight_hh"].T
            + p["bias_hh"]
        )
    logits = h @ p["weight_hy"].T + p["bias_y"]
    loss = torch.nn.functional.cross_entropy(
        logits, torch.as_tensor(y), reduction="sum"
    )
    grads = torch.autograd.grad(loss, [p[k] for k in PARAM_NAMES])
    return {k: g.numpy() for k, g in zip(PARAM_NAMES, grads)}


def _last_step_only(x, y, params):
    """The gradients a student gets when W_ih, W_hh and the biases see only the last
    step."""
    p = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in params.items()
    }
    N, L, _ = x.shape
    xt = torch.as_tensor(x, dtype=torch.float64)
    h = torch.zeros(N, p["weight_hh"].shape[0], dtype=torch.float64)
    for t in range(L):
        h = h.detach()  # cut every path except the last step's
        h = torch.tanh(
            xt[:, t] @ p["weight_ih"].T
            + p["bias_ih"]
            + h @ p["weight_hh"].T
            + p["bias_hh"]
        )
    logits = h @ p["weight_hy"].T + p["bias_y"]
    loss = torch.nn.functional.cross_entropy(
        logits, torch.as_tensor(y), reduction="sum"
    )
    grads = torch.autograd.grad(loss, [p[k] for k in PARAM_NAMES])
    return {k: g.numpy() for k, g in zip(PARAM_NAMES, grads)}


def check_many_to_one_grads(many_to_one_grads: Callable) -> bool:
    """Exercise 3.4: ``many_to_one_grads(x, y, params) -> grads`` for a tanh RNN
    (h_0 = 0) that reads only its last state, logits = h_L W_hy^T + b_y, with the summed
    softmax cross-entropy against y (N,). ``x`` is (N, L, H_in); ``grads`` is a dict
    with the keys of ``params``."""

    def check():
        rng = np.random.default_rng(case_seed(47))
        for N, L, H_in, H, K in [(1, 1, 2, 3, 2), (3, 5, 2, 4, 3), (2, 7, 3, 5, 4)]:
            params = {
                "weight_ih": rng.normal(0, 0.6, (H, H_in)),
                "weight_hh": rng.normal(0, 0.5, (H, H)),
                "bias_ih": rng.normal(0, 0.1, H),
                "bias_hh": rng.normal(0, 0.1, H),
                "weight_hy": rng.normal(0, 0.6, (K, H)),
                "bias_y": rng.normal(0, 0.1, K),
            }
            x, y = rng.normal(size=(N, L, H_in)), rng.integers(0, K, size=N)
            grads = many_to_one_grads(
                x.copy(), y.copy(), {k: v.copy() for k, v in params.items()}
            )
            if not isinstance(grads, dict):
                raise Hint(
                    "return a dict of gradients keyed like params, got "
                    f"{type(grads).__name__}"
                )
            missing = [k for k in PARAM_NAMES if k not in grads]
            if missing:
                raise Hint(f"the gradients dict is missing {missing}")
            got = {k: _as_array(f"grads[{k!r}]", grads[k]) for k in PARAM_NAMES}
            for k in PARAM_NAMES:
                expect_shape(f"grads[{k!r}]", got[k], params[k].shape)
            want = _many_to_one_oracle(x, y, params)
            for k in ("weight_hy", "bias_y"):
                if not np.allclose(got[k], want[k], rtol=1e-6, atol=1e-9):
                    raise Hint(
                        f"grads[{k!r}] is off: the output layer sees only h_L, "
                        "so start from dL/dlogits and the last hidden state"
                    )
            if L > 1:
                short = _last_step_only(x, y, params)
                if all(
                    np.allclose(got[k], short[k], atol=1e-9)
                    for k in ("weight_ih", "weight_hh", "bias_ih")
                ) and not np.allclose(short["weight_ih"], want["weight_ih"], atol=1e-9):
                    raise Hint(
                        "your gradients only count the last step: W_ih, W_hh and the "
                        "biases are used at every step, so carry h-bar_t = dL/dh_t "
                        "back to t = 1 and sum over t"
                    )
            for k in ("bias_ih", "bias_hh", "weight_ih", "weight_hh"):
                if not np.allclose(got[k], want[k], rtol=1e-6, atol=1e-9):
                    raise Hint(
                        f"grads[{k!r}] is off for N={N}, L={L}: check delta_t = "
                        "h-bar_t ⊙ (1 - h_t^2) and the recursion h-bar_(t-1) = "
                        "delta_t W_hh"
                    )
            for k in PARAM_NAMES:
                expect_close(f"grads[{k!r}]", got[k], want[k], rtol=1e-6, atol=1e-9)

    return report("3.4", check)


# --- Exercise 3.5: which terms truncated BPTT keeps -----------------------------------


def _kept_terms(L: int, T: int) -> np.ndarray:
    t = np.arange(L)[:, None]  # loss step, 0-based
    k = np.arange(L)[None, :]  # step of a_k, where W_hh is used, 0-based
    return (k <= t) & (k // T == t // T)  # same chunk, and no influence from the future


def check_tbptt_kept_terms(tbptt_kept_terms: Callable) -> bool:
    """Exercise 3.5: ``tbptt_kept_terms(L, T)`` returns a boolean array (L, L) whose
    entry ``[t - 1, k - 1]`` says whether the term (delta_k^(t))^T h_(k-1) of the full
    BPTT double sum (the loss at step t through the pre-activation a_k, where W_hh is
    used at step k) survives truncated BPTT with chunks of T steps (chunks 1..T,
    T+1..2T, ..., the hidden state detached between them)."""

    def check():
        rng = np.random.default_rng(case_seed(35))
        drawn = [(int(rng.integers(8, 16)), int(rng.integers(2, 6)))]  # unpredictable
        for L, T in [(4, 2), (6, 6), (7, 3), (5, 1), (5, 8), (9, 4), *drawn]:
            got = tbptt_kept_terms(L, T)
            got = _as_array(f"tbptt_kept_terms({L}, {T})", got)
            expect_shape(f"tbptt_kept_terms({L}, {T})", got, (L, L))
            if got.dtype != np.bool_:
                raise Hint(
                    f"return a boolean array (dtype bool), got dtype {got.dtype}"
                )
            want = _kept_terms(L, T)
            if np.any(np.triu(got, k=1)):
                raise Hint(
                    "entries with k > t must be False: the loss at step t does not "
                    "depend on anything computed after step t"
                )
            if not np.all(np.diag(got)):
                raise Hint(
                    "the diagonal must be True: the step where a loss is read is "
                    "always in its own chunk"
                )
            if not np.array_equal(got, want):
                if T >= L:
                    raise Hint(
                        f"with T={T} >= L={L} there is one chunk, so nothing is dropped"
                    )
                raise Hint(
                    f"wrong terms for L={L}, T={T}: a term survives only if steps k "
                    "and t lie in the same chunk of T steps (chunks start at steps 1, "
                    "T+1, 2T+1, ...)"
                )

    return report("3.5", check)
