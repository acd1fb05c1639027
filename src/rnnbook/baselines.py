"""The forecasts every model in the book must beat: repeat the last value, and a linear
map from the input window to the targets fitted by least squares. Plus the error we
score with.

Introduced in the chapter "Sequential data", section "Baselines every model must beat".

Shapes: ``inputs`` (N, L) or (N, L, H_in), one window per row; targets (N, K), or any
(N, ...) for ``fit_linear_forecaster``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnbook._validation import check_ndarray, fmt_shape


def _to_numpy(x, name: str) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"expected {name} to be a numpy.ndarray or a torch.Tensor, got "
            f"{type(x).__name__}"
        )
    return x


def mse(a, b) -> float:
    """Mean squared error ``mean((a - b)^2)`` over every element, as a Python float.

    ``a`` and ``b`` (NumPy arrays or tensors) must have exactly the same shape: no
    broadcasting, which would silently compare (N, 10) with (N, 1) and return a
    meaningless number.
    """
    a, b = _to_numpy(a, "a"), _to_numpy(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"expected a and b of the same shape, got {fmt_shape(a.shape)} and "
            f"{fmt_shape(b.shape)}"
        )
    if a.size == 0:
        raise ValueError("expected non-empty arrays, got size 0")
    diff = a.astype(np.float64) - b.astype(np.float64)
    return float(np.mean(diff * diff))


def naive_forecast(inputs: np.ndarray, horizon: int) -> np.ndarray:
    """Forecast that nothing changes: repeat each window's last value ``horizon`` times.

    ``inputs`` of shape (N, L) gives (N, horizon); (N, L, H_in) gives (N, horizon,
    H_in). The prediction for every future step ``k`` is ``x_L``.
    """
    inputs = check_ndarray(inputs, "inputs", ndim=(2, 3))
    if (
        not isinstance(horizon, (int, np.integer))
        or isinstance(horizon, bool)
        or horizon < 1
    ):
        raise ValueError(f"expected horizon to be a positive integer, got {horizon!r}")
    last = inputs[:, -1:]  # (N, 1[, H_in])
    return np.repeat(last, int(horizon), axis=1)  # (N, horizon[, H_in])


@dataclass(frozen=True)
class LinearForecaster:
    """``y = x W^T + b`` on the flattened input window, as ``torch.nn.Linear`` computes
    it.

    ``weight`` has shape (K, L * H_in): one row per target value (K of them) and one
    column per input value of a window (L steps of H_in features, flattened); ``bias``
    has shape (K,). ``predict`` restores the targets' shape.
    """

    weight: np.ndarray  # (K, L * H_in)
    bias: np.ndarray  # (K,)
    input_shape: tuple  # one window's shape, e.g. (L,) or (L, H_in)
    target_shape: tuple  # one target's shape, e.g. (K,)

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        inputs = check_ndarray(inputs, "inputs")
        if inputs.shape[1:] != self.input_shape:
            want = fmt_shape(("N",) + self.input_shape)
            raise ValueError(
                f"expected inputs of shape {want}, got {fmt_shape(inputs.shape)}"
            )
        x = inputs.reshape(len(inputs), -1).astype(np.float64)  # (N, L * H_in)
        y = x @ self.weight.T + self.bias  # (N, K)
        return y.reshape((len(inputs),) + self.target_shape)


def fit_linear_forecaster(
    inputs: np.ndarray, targets: np.ndarray, ridge: float = 0.0
) -> LinearForecaster:
    """Least-squares fit of ``targets ≈ inputs W^T + b`` on flattened windows (NumPy,
    float64).

    Minimises ``sum ||y_n - x_n W^T - b||^2 + ridge * ||W||^2`` (the bias is not
    penalised). Centring ``X`` and ``Y`` removes ``b``; then ``W^T = (X_c^T X_c + ridge
    I)^{-1} X_c^T Y_c`` (solved with ``lstsq`` when ``ridge == 0``, which also handles
    collinear inputs) and ``b = mean(Y) - mean(X) W^T``.
    """
    inputs = check_ndarray(inputs, "inputs")
    targets = check_ndarray(targets, "targets")
    if inputs.ndim < 2 or targets.ndim < 1 or len(inputs) != len(targets):
        raise ValueError(
            f"expected inputs (N, ...) and targets (N, ...) with the same N, got "
            f"{fmt_shape(inputs.shape)} and {fmt_shape(targets.shape)}"
        )
    if len(inputs) < 2:
        raise ValueError(f"expected at least 2 windows to fit, got {len(inputs)}")
    if (
        not isinstance(ridge, (int, float, np.floating, np.integer))
        or isinstance(ridge, bool)
        or not ridge >= 0
    ):
        raise ValueError(f"expected ridge to be a non-negative number, got {ridge!r}")
    N = len(inputs)
    x = inputs.reshape(N, -1).astype(np.float64)  # (N, L * H_in)
    y = targets.reshape(N, -1).astype(np.float64)  # (N, K)
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - x_mean, y - y_mean
    if ridge == 0:
        w_t = np.linalg.lstsq(xc, yc, rcond=None)[0]  # (L * H_in, K)
    else:
        # (L * H_in, K)
        w_t = np.linalg.solve(xc.T @ xc + ridge * np.eye(x.shape[1]), xc.T @ yc)
    bias = y_mean - x_mean @ w_t  # (K,)
    return LinearForecaster(
        w_t.T.copy(), bias, tuple(inputs.shape[1:]), tuple(targets.shape[1:])
    )
