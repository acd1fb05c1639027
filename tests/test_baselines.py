"""Tests for rnnbook.baselines: naive forecast, least-squares linear forecaster, MSE."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbook.baselines import (
    LinearForecaster,
    fit_linear_forecaster,
    mse,
    naive_forecast,
)


def test_mse_values():
    assert mse(np.array([1.0, 2.0]), np.array([1.0, 4.0])) == pytest.approx(2.0)
    assert mse(np.zeros((2, 3)), np.ones((2, 3))) == pytest.approx(1.0)
    assert isinstance(
        mse(np.zeros(2, dtype=np.float32), np.ones(2, dtype=np.float32)), float
    )
    assert mse(torch.tensor([0.0, 3.0]), np.array([0.0, 0.0])) == pytest.approx(4.5)


def test_mse_refuses_to_broadcast():
    with pytest.raises(ValueError, match=r"same shape, got \(4, 10\) and \(4, 1\)"):
        mse(np.zeros((4, 10)), np.zeros((4, 1)))
    with pytest.raises(TypeError, match="numpy.ndarray or a torch.Tensor"):
        mse([1.0], [1.0])
    with pytest.raises(ValueError, match="non-empty"):
        mse(np.zeros(0), np.zeros(0))


def test_naive_forecast_repeats_the_last_value():
    x = np.array([[1.0, 2.0, 3.0], [5.0, 4.0, -1.0]])
    np.testing.assert_array_equal(naive_forecast(x, 2), [[3.0, 3.0], [-1.0, -1.0]])
    x3 = np.arange(12.0).reshape(2, 3, 2)  # (N, L, H_in)
    out = naive_forecast(x3, 4)
    assert out.shape == (2, 4, 2)
    np.testing.assert_array_equal(out[1, 3], x3[1, -1])


@pytest.mark.parametrize(
    "args, exc, match",
    [
        ((np.zeros(3), 2), ValueError, "2-D or 3-D"),
        ((np.zeros((2, 3)), 0), ValueError, "horizon"),
        ((np.zeros((2, 3)), 1.5), ValueError, "horizon"),
        ((np.zeros((2, 3), dtype=int), 1), TypeError, "floating-point"),
    ],
)
def test_naive_forecast_errors(args, exc, match):
    with pytest.raises(exc, match=match):
        naive_forecast(*args)


def test_linear_forecaster_recovers_an_exact_linear_map():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    W = rng.normal(size=(3, 6))
    b = rng.normal(size=3)
    Y = X @ W.T + b
    model = fit_linear_forecaster(X, Y)
    assert isinstance(model, LinearForecaster)
    np.testing.assert_allclose(model.weight, W, atol=1e-10)
    np.testing.assert_allclose(model.bias, b, atol=1e-10)
    np.testing.assert_allclose(model.predict(X), Y, atol=1e-10)


def test_linear_forecaster_matches_numpy_lstsq_with_a_bias_column():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 4, 1))  # (N, L, H_in) windows
    Y = rng.normal(size=(50, 2))
    model = fit_linear_forecaster(X, Y)
    A = np.hstack([X.reshape(50, -1), np.ones((50, 1))])
    coef = np.linalg.lstsq(A, Y, rcond=None)[0]
    np.testing.assert_allclose(model.predict(X), A @ coef, atol=1e-10)


def test_linear_forecaster_ridge_shrinks_weights_and_matches_closed_form():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 5))
    Y = X @ rng.normal(size=(5, 1)) + 0.1 * rng.normal(size=(40, 1))
    plain = fit_linear_forecaster(X, Y)
    ridged = fit_linear_forecaster(X, Y, ridge=10.0)
    assert np.linalg.norm(ridged.weight) < np.linalg.norm(plain.weight)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    W_t = np.linalg.solve(Xc.T @ Xc + 10.0 * np.eye(5), Xc.T @ Yc)
    np.testing.assert_allclose(ridged.weight, W_t.T, atol=1e-10)


def test_linear_forecaster_keeps_target_shape_and_beats_naive_on_a_sine():
    t = np.arange(400) * 0.3
    series = np.sin(t)
    from rnnbook.datasets import make_windows

    X, Y = make_windows(series, 8, 3)
    model = fit_linear_forecaster(X[:300, :, None], Y[:300, :, None])
    pred = model.predict(X[300:, :, None])
    assert pred.shape == (len(X) - 300, 3, 1)
    assert mse(pred[..., 0], Y[300:]) < 1e-8 < mse(naive_forecast(X[300:], 3), Y[300:])


def test_linear_forecaster_errors():
    with pytest.raises(ValueError, match="same N"):
        fit_linear_forecaster(np.zeros((5, 3)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="at least 2"):
        fit_linear_forecaster(np.zeros((1, 3)), np.zeros((1, 1)))
    with pytest.raises(ValueError, match="ridge"):
        fit_linear_forecaster(np.zeros((5, 3)), np.zeros((5, 1)), ridge=-1.0)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        fit_linear_forecaster([[1.0]], np.zeros((1, 1)))
    model = fit_linear_forecaster(
        np.random.default_rng(0).normal(size=(10, 3)), np.zeros((10, 1))
    )
    with pytest.raises(
        ValueError, match=r"expected inputs of shape \(N, 3\), got \(2, 4\)"
    ):
        model.predict(np.zeros((2, 4)))
