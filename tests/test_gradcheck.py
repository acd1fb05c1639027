"""rnnbook.gradcheck: central differences are accurate, restore their input, and catch
wrong gradients; relative_error and the report behave as documented."""

from __future__ import annotations

import numpy as np
import pytest

from rnnbook import npnn
from rnnbook.gradcheck import (
    GradCheckReport,
    GradientCheckError,
    check_gradients,
    numerical_gradient,
    relative_error,
)


def test_numerical_gradient_of_known_functions():
    rng = np.random.default_rng(0)
    x, A = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    np.testing.assert_allclose(
        numerical_gradient(lambda: (A * x).sum(), x), A, rtol=1e-9
    )
    np.testing.assert_allclose(
        numerical_gradient(lambda: np.sin(x).sum(), x), np.cos(x), rtol=1e-8, atol=1e-10
    )
    # central differences are exact for quadratics up to rounding
    np.testing.assert_allclose(
        numerical_gradient(lambda: (x**2).sum() / 2, x), x, rtol=1e-8
    )


def test_input_is_restored_exactly_even_when_f_raises():
    x = np.random.default_rng(1).normal(size=(5,))
    before = x.copy()
    numerical_gradient(lambda: float(np.exp(x).sum()), x)
    np.testing.assert_array_equal(x, before)
    calls = []

    def f():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return x.sum()

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_bad_input():
    with pytest.raises(TypeError, match="dtype float64 .* got dtype float32"):
        numerical_gradient(lambda: 0.0, np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="got dtype int64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, int))
    with pytest.raises(TypeError, match="numpy.ndarray, got list"):
        numerical_gradient(lambda: 0.0, [0.0])
    with pytest.raises(TypeError, match="f\\(\\) to return a real scalar, got ndarray"):
        numerical_gradient(lambda: np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="eps > 0"):
        numerical_gradient(lambda: 0.0, np.zeros(3), eps=0.0)
    ro = np.zeros(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        numerical_gradient(lambda: 0.0, ro)


def test_relative_error():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert relative_error(np.array([1.0, -1.0]), np.array([1.0, 1.0])) == pytest.approx(
        1.0
    )
    assert relative_error(
        np.array([1.0, 100.0]), np.array([1.1, 100.0])
    ) == pytest.approx(0.1 / 2.1)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0  # the floor avoids 0/0
    # 1e-12 / floor
    assert relative_error(np.array([0.0]), np.array([1e-12])) == pytest.approx(1e-4)
    assert np.isnan(relative_error(np.array([np.nan]), np.array([1.0])))
    with pytest.raises(
        ValueError, match=r"expected b of shape \(2,\) \(the shape of a\), got \(3,\)"
    ):
        relative_error(np.zeros(2), np.zeros(3))


def rnn_problem(seed=0):
    rng = np.random.default_rng(seed)
    p = npnn.init_params(rng, 2, 3, "rnn")
    x, dhs = rng.normal(size=(2, 4, 2)), rng.normal(size=(2, 4, 3))
    f = lambda: (npnn.rnn_forward(x, None, p)[0] * dhs).sum()  # noqa: E731
    _, _, cache = npnn.rnn_forward(x, None, p)
    _, _, grads = npnn.rnn_backward(dhs, cache)
    return f, p, grads


def test_check_gradients_passes_correct_gradients():
    f, p, grads = rnn_problem()
    report = check_gradients(f, p, grads)
    assert isinstance(report, GradCheckReport) and report.passed and report.failed == []
    assert set(report.errors) == set(p) and max(report.errors.values()) < 1e-6
    text = str(report)
    assert (
        "weight_hh" in text
        and "passed (tolerance 1e-04)" in text
        and "FAIL" not in text
    )


@pytest.mark.parametrize(
    "mistake", ["transpose", "off by ten percent", "sign", "one entry"]
)
def test_check_gradients_catches_wrong_gradients(mistake):
    f, p, grads = rnn_problem(seed=1)
    wrong = dict(grads)
    if mistake == "transpose":
        wrong["weight_hh"] = grads["weight_hh"].T
    elif mistake == "off by ten percent":  # e.g. a term missing from a sum
        wrong["bias_hh"] = grads["bias_hh"] * 0.9
    elif mistake == "sign":
        wrong["weight_ih"] = -grads["weight_ih"]
    else:
        wrong["bias_ih"] = grads["bias_ih"].copy()
        wrong["bias_ih"][1] += 1e-3
    with pytest.raises(GradientCheckError) as info:
        check_gradients(f, p, wrong)
    bad = [k for k in p if wrong[k] is not grads[k]]
    assert str(bad) in str(info.value) and "FAIL" in str(info.value)
    report = check_gradients(f, p, wrong, raise_on_failure=False)
    assert not report.passed and report.failed == bad


def test_check_gradients_catches_a_real_backprop_bug():
    """A classic mistake: using tanh'(z) = 1 - z^2 instead of 1 - h^2."""
    rng = np.random.default_rng(2)
    p = npnn.init_params(rng, 2, 3, "rnn")
    x, h0 = rng.normal(size=(1, 2)), rng.normal(size=(1, 3))
    f = lambda: npnn.rnn_cell_forward(x, h0, p)[0].sum()  # noqa: E731
    h, (x_, h_prev, z, *_rest) = npnn.rnn_cell_forward(x, h0, p)
    dz_wrong = 1.0 - z**2
    wrong = {
        "weight_ih": dz_wrong.T @ x,
        "weight_hh": dz_wrong.T @ h0,
        "bias_ih": dz_wrong.sum(0),
        "bias_hh": dz_wrong.sum(0),
    }
    assert not check_gradients(f, p, wrong, raise_on_failure=False).passed
    _, _, right = npnn.rnn_cell_backward(
        np.ones_like(h), npnn.rnn_cell_forward(x, h0, p)[1]
    )
    assert check_gradients(f, p, right).passed


def test_check_gradients_bad_input():
    f, p, grads = rnn_problem()
    with pytest.raises(ValueError, match="expected analytic gradients for the keys"):
        check_gradients(f, p, {k: v for k, v in grads.items() if k != "bias_ih"})
    with pytest.raises(
        ValueError,
        match=r"expected analytic\['weight_hh'\] of shape \(3, 3\), got \(3,\)",
    ):
        check_gradients(f, p, dict(grads, weight_hh=np.zeros(3)))
    with pytest.raises(TypeError, match="dtype float64"):
        check_gradients(f, {k: v.astype(np.float32) for k, v in p.items()}, grads)
