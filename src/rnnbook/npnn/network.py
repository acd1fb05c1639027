"""The small network of the BPTT chapter: a tanh RNN, a softmax output at every step,
and cross-entropy summed over the steps, with its gradients written as sums over time.

    a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh      h_t = tanh(a_t)
    ŷ_t = h_t W_hy^T + b_y                               p_t = softmax(ŷ_t)
    ℒ   = Σ_t ℒ_t,   ℒ_t = -log p_t[y_t]

with a_t the pre-activation. Gradients (each parameter is used at every step, so its
gradient is a sum over t)::

    ∂ℒ/∂ŷ_t  = p_t - onehot(y_t)
    ∂ℒ/∂W_hy = Σ_t (∂ℒ/∂ŷ_t)^T h_t                 ∂ℒ/∂b_y = Σ_t ∂ℒ/∂ŷ_t
    ∂ℒ/∂W_hh = Σ_t Σ_{k≤t} (∂ℒ_t/∂a_k)^T h_{k-1}   (likewise W_ih with x_k, b_ih, b_hh)
    ∂ℒ_t/∂a_k = ∂ℒ_t/∂h_k ⊙ (1 - h_k^2),   ∂ℒ_t/∂h_{k-1} = ∂ℒ_t/∂a_k W_hh,
    ∂ℒ_t/∂h_t = ∂ℒ/∂ŷ_t W_hy

Summed over t ≥ k, the terms ∂ℒ_t/∂a_k make δ_k = ∂ℒ/∂a_k, so that ∂ℒ/∂W_hh =
Σ_k δ_k^T h_{k-1}.

:meth:`SoftmaxRNN.loss_and_grads_naive` evaluates that double sum literally, in O(L^2);
:meth:`SoftmaxRNN.loss_and_grads` regroups it by k and carries ∂ℒ/∂h_k = Σ_{t≥k}
∂ℒ_t/∂h_k backwards (``dh_next``), in O(L), with δ_k = ∂ℒ/∂h_k ⊙ (1 - h_k^2). Both give
the same numbers. Introduced in the BPTT chapter.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validation import check_ndarray, fmt_shape, shape_error
from rnnbook.npnn._common import check_float, check_params, init_params
from rnnbook.npnn.losses import softmax_cross_entropy
from rnnbook.npnn.rnn import rnn_backward, rnn_forward

#: this network's parameter names and the names they have in a torch module with
#: attributes ``rnn = nn.RNN(H_in, H, batch_first=True)`` and ``fc = nn.Linear(H, K)``
TORCH_NAMES = {
    "weight_ih": "rnn.weight_ih_l0",
    "weight_hh": "rnn.weight_hh_l0",
    "bias_ih": "rnn.bias_ih_l0",
    "bias_hh": "rnn.bias_hh_l0",
    "weight_hy": "fc.weight",
    "bias_y": "fc.bias",
}


def one_hot(indices: np.ndarray, K: int, dtype=np.float64) -> np.ndarray:
    """Integer indices of shape (...) in [0, K) to one-hot rows of shape (..., K)."""
    check_ndarray(indices, "indices", dtype_kind="i")
    if indices.size and (indices.min() < 0 or indices.max() >= K):
        raise ValueError(
            f"expected indices in [0, {K - 1}], got values in "
            f"[{indices.min()}, {indices.max()}]"
        )
    return np.eye(K, dtype=dtype)[indices]


class SoftmaxRNN:
    """A tanh RNN with a softmax classifier on every hidden state (the BPTT chapter's
    network).

    ``SoftmaxRNN(input_size, hidden_size, output_size)``: H_in, H and K. Parameters live
    in ``self.params`` (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` as in
    :func:`rnn_forward`, plus ``weight_hy`` (K, H) and ``bias_y`` (K,)); set them with
    :meth:`init_params` or pass ``params=``. The loss is the *sum* over steps and
    sequences.
    """

    def __init__(
        self, input_size: int, hidden_size: int, output_size: int, params=None
    ):
        self.input_size, self.hidden_size, self.output_size = (
            input_size,
            hidden_size,
            output_size,
        )
        self.params = None
        if params is not None:
            self._check(params)
            self.params = params

    def _check(self, params) -> None:
        H_in, H = check_params(params, "rnn")
        if (H_in, H) != (self.input_size, self.hidden_size):
            raise shape_error(
                "params['weight_ih']",
                fmt_shape((self.hidden_size, self.input_size)),
                params["weight_ih"].shape,
            )
        K = self.output_size
        for name, shape in (("weight_hy", (K, H)), ("bias_y", (K,))):
            if name not in params:
                raise ValueError(
                    f"expected params with key {name!r}, got keys {tuple(params)}"
                )
            if check_float(params[name], f"params[{name!r}]").shape != shape:
                raise shape_error(
                    f"params[{name!r}]", fmt_shape(shape), params[name].shape
                )

    def init_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Draw float64 parameters as ``nn.RNN`` and ``nn.Linear`` do (U(-1/sqrt(H),
        1/sqrt(H))).
        """
        H, K = self.hidden_size, self.output_size
        params = init_params(rng, self.input_size, H, "rnn")
        k = 1.0 / np.sqrt(H)
        params["weight_hy"] = rng.uniform(-k, k, size=(K, H))
        params["bias_y"] = rng.uniform(-k, k, size=(K,))
        self.params = params
        return params

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters under their torch names (see ``TORCH_NAMES``)."""
        return {TORCH_NAMES[k]: v.copy() for k, v in self._params().items()}

    def _params(self) -> dict[str, np.ndarray]:
        if self.params is None:
            raise ValueError(
                "expected parameters, got none: call init_params(rng) or pass params="
            )
        self._check(self.params)
        return self.params

    def _inputs(self, inputs) -> np.ndarray:
        """(N, L) indices become one-hot (N, L, H_in); (N, L, H_in) floats stay."""
        expected = f"(N, L) of class indices or (N, L, {self.input_size}) of floats"
        if not isinstance(inputs, np.ndarray):
            raise TypeError(
                f"expected inputs to be a numpy.ndarray, got {type(inputs).__name__}"
            )
        if inputs.ndim == 2:
            return one_hot(
                check_ndarray(inputs, "inputs of shape (N, L)", dtype_kind="i"),
                self.input_size,
            )
        if inputs.ndim != 3 or inputs.shape[2] != self.input_size:
            raise shape_error("inputs", expected, inputs.shape)
        return check_float(inputs, "inputs of shape (N, L, H_in)")

    def forward(self, inputs, h0=None):
        """Logits ŷ_t = h_t W_hy^T + b_y at every step.

        Args: inputs (N, L) integer indices (one-hot encoded here) or (N, L, H_in)
        floats; h0 (N, H) or None. Returns ``(logits, h_n, cache)``: logits (N, L, K),
        h_n (N, H).
        """
        p = self._params()
        x = self._inputs(inputs)  # (N, L, H_in)
        hs, h_n, rnn_cache = rnn_forward(x, h0, p)  # h_t for every t, (N, L, H)
        # ŷ_t = h_t W_hy^T + b_y, (N, L, K)
        logits = hs @ p["weight_hy"].T + p["bias_y"]
        return logits, h_n, (hs, rnn_cache)

    def _targets(self, targets, logits) -> None:
        check_ndarray(targets, "targets", ndim=2, dtype_kind="i")
        if targets.shape != logits.shape[:2]:
            raise shape_error(
                "targets", fmt_shape(logits.shape[:2]) + " = (N, L)", targets.shape
            )

    def loss_and_grads(self, inputs, targets, h0=None):
        """Total loss ℒ = Σ_{n,t} -log p_t[y_t] and its gradients, by BPTT with
        ``dh_next``.

        Args: inputs as in :meth:`forward`, targets (N, L) integer classes in [0, K),
        h0. Returns ``(loss, grads, h_last)``: a float, a dict keyed like
        ``self.params``, and h_L (N, H) to start the next chunk from (truncated BPTT).
        """
        p = self._params()
        logits, h_last, (hs, rnn_cache) = self.forward(inputs, h0)
        self._targets(targets, logits)
        # ∂ℒ/∂ŷ_t = p_t - onehot(y_t)
        loss, dy = softmax_cross_entropy(logits, targets, reduction="sum")
        grads_y = {
            # Σ_t (∂ℒ/∂ŷ_t)^T h_t, (K, H)
            "weight_hy": np.einsum("ntk,nth->kh", dy, hs),
            "bias_y": dy.sum(axis=(0, 1)),  # Σ_t ∂ℒ/∂ŷ_t, (K,)
        }
        # ∂ℒ_t/∂h_t = ∂ℒ/∂ŷ_t W_hy: the loss at step t only, (N, L, H)
        dhs = dy @ p["weight_hy"]
        # adds dh_next = Σ_{s>t} ∂ℒ_s/∂h_t; sums over t
        _, _, grads = rnn_backward(dhs, rnn_cache)
        return loss, {**grads, **grads_y}, h_last

    def loss_and_grads_naive(self, inputs, targets, h0=None):
        """The same as :meth:`loss_and_grads`, computed as the literal double sum over t
        and k ≤ t of the module docstring, in O(L^2): for each loss ℒ_t, walk back from
        step t to step 1 and add that path's terms. For teaching and for testing the
        shortcut.
        """
        p = self._params()
        logits, h_last, (hs, _) = self.forward(inputs, h0)
        self._targets(targets, logits)
        loss, dy = softmax_cross_entropy(logits, targets, reduction="sum")  # (N, L, K)
        x = self._inputs(inputs)  # (N, L, H_in)
        N, L, _ = x.shape
        h0 = np.zeros((N, self.hidden_size)) if h0 is None else h0
        # h_{t-1} for every t, (N, L, H)
        h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)
        grads = {k: np.zeros_like(v) for k, v in p.items()}
        for t in range(L):  # ℒ_t, the loss at step t
            grads["weight_hy"] += dy[:, t].T @ hs[:, t]  # (∂ℒ_t/∂ŷ_t)^T h_t
            grads["bias_y"] += dy[:, t].sum(axis=0)
            dh = dy[:, t] @ p["weight_hy"]  # ∂ℒ_t/∂h_t
            # the paths from ℒ_t back to a_k, k = t, t-1, ..., 1
            for k in range(t, -1, -1):
                da = dh * (1.0 - hs[:, k] ** 2)  # ∂ℒ_t/∂a_k = ∂ℒ_t/∂h_k ⊙ (1 - h_k^2)
                grads["weight_ih"] += da.T @ x[:, k]  # (∂ℒ_t/∂a_k)^T x_k
                grads["weight_hh"] += da.T @ h_prev[:, k]  # (∂ℒ_t/∂a_k)^T h_{k-1}
                grads["bias_ih"] += da.sum(axis=0)
                grads["bias_hh"] += da.sum(axis=0)
                dh = da @ p["weight_hh"]  # ∂ℒ_t/∂h_{k-1} = ∂ℒ_t/∂a_k W_hh
        return loss, grads, h_last
