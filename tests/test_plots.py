"""Tests for rnnbook.plots (Agg backend: nothing is shown)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rnnbook.plots import plot_gradient_norms, plot_learning_curves, plot_series_grid  # noqa: E402
from rnnbook.train import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def series(n=20, length=30, k=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, length, 1)).astype(np.float32)
    return x, rng.standard_normal((n, k)), rng.standard_normal((n, k))


# ----------------------------------------------------------------------------- plot_ser
@pytest.mark.parametrize("length, k", [(30, 5), (50, 10), (7, 1), (3, 20)])
def test_series_grid_draws_every_panel(length, k):
    x, y, y_hat = series(length=length, k=k)
    fig = plot_series_grid(x, y, y_hat, n_rows=2, n_cols=3)
    assert isinstance(fig, Figure)
    axes = fig.get_axes()
    assert len(axes) == 6
    for i, ax in enumerate(axes):
        lines = ax.get_lines()
        assert len(lines) == 4  # input, target, forecast, forecast origin
        inp, tgt, fc, origin = lines
        np.testing.assert_array_equal(inp.get_xdata(), np.arange(1, length + 1))
        np.testing.assert_allclose(inp.get_ydata(), x[i, :, 0])
        np.testing.assert_array_equal(
            tgt.get_xdata(), np.arange(length + 1, length + k + 1)
        )
        np.testing.assert_allclose(tgt.get_ydata(), y[i])
        np.testing.assert_allclose(fc.get_ydata(), y_hat[i])
        assert list(origin.get_xdata()) == [length, length]
    # labels on the outer panels only, one legend for the figure, shared axes
    assert [ax.get_xlabel() for ax in axes] == ["", "", "", "$t$", "$t$", "$t$"]
    assert [ax.get_ylabel() for ax in axes] == ["$x_t$", "", "", "$x_t$", "", ""]
    assert len(fig.legends) == 1 and not any(ax.get_legend() for ax in axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "input",
        "target",
        "forecast",
    ]
    assert axes[0].get_shared_x_axes().joined(axes[0], axes[5])
    assert axes[0].get_shared_y_axes().joined(axes[0], axes[5])


def test_series_grid_accepts_tensors_2d_inputs_and_optional_parts():
    x, y, _ = series()
    fig = plot_series_grid(torch.from_numpy(x[:, :, 0]), torch.from_numpy(y))
    assert len(fig.get_axes()) == 15
    assert all(len(ax.get_lines()) == 3 for ax in fig.get_axes())
    fig = plot_series_grid(x, n_rows=1, n_cols=2)
    assert [len(ax.get_lines()) for ax in fig.get_axes()] == [2, 2]
    # one step ahead given as (N,)
    fig = plot_series_grid(x, forecasts=y[:, 0], n_rows=1, n_cols=1)
    (ax,) = fig.get_axes()
    assert list(ax.get_lines()[1].get_xdata()) == [31]


def test_series_grid_hides_unused_panels_and_draws_std_band():
    x, y, y_hat = series(n=4)
    fig = plot_series_grid(
        x, y, y_hat, forecast_std=np.full_like(y_hat, 0.1), n_rows=2, n_cols=3
    )
    axes = fig.get_axes()
    assert [ax.get_visible() for ax in axes] == [True] * 4 + [False] * 2
    assert len(axes[0].collections) == 1  # the band
    # the bottom visible panel of each column carries the x label
    assert [ax.get_xlabel() for ax in axes[:4]] == ["", "$t$", "$t$", "$t$"]


def test_series_grid_into_given_axes():
    x, y, y_hat = series()
    fig, axes = plt.subplots(2, 2)
    out = plot_series_grid(x, y, y_hat, n_rows=2, n_cols=2, ax=axes, title="four")
    assert out is fig
    assert axes[0, 0].get_legend() is not None and axes[0, 0].get_title() == "four"
    with pytest.raises(
        ValueError, match=r"expected ax to be 6 Axes for a 2 x 3 grid, got 4"
    ):
        plot_series_grid(x, ax=axes, n_rows=2, n_cols=3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"inputs": np.zeros((4, 5, 2))},
            r"inputs of shape \(N, L\) or \(N, L, 1\), got \(4, 5, 2\)",
        ),
        ({"inputs": np.zeros(5)}, r"inputs of shape .*got \(5,\)"),
        (
            {"targets": np.zeros((3, 2))},
            r"targets to hold one row per input series \(N = 20\), got shape \(3, 2\)",
        ),
        (
            {"forecasts": np.zeros((20, 2, 2))},
            r"forecasts of shape \(N, K\), \(N, K, 1\) or \(N,\), got \(20, 2, 2\)",
        ),
        ({"forecast_std": np.zeros((20, 5))}, "needs forecasts"),
        (
            {"forecasts": np.zeros((20, 5)), "forecast_std": np.zeros((20, 4))},
            r"forecast_std of shape \(20, 5\)",
        ),
        ({"n_rows": 0}, "n_rows to be a positive integer"),
        ({"labels": ("a", "b")}, "3 labels"),
    ],
)
def test_series_grid_rejects_bad_input(kwargs, match):
    x, _, _ = series()
    args = {"inputs": x, **kwargs}
    with pytest.raises(ValueError, match=match):
        plot_series_grid(**args)


# ----------------------------------------------------------------------------- plot_lea
def test_learning_curves_from_history_marks_best_epoch():
    hist = History(
        train_loss=[1.0, 0.5, 0.3, 0.2],
        val_loss=[1.1, 0.6, 0.7, 0.8],
        epochs_run=4,
        best_epoch=2,
    )
    fig = plot_learning_curves(hist, log_scale=True)
    (ax,) = fig.get_axes()
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:2] == ["train loss", "validation loss"]
    assert "best epoch (2)" in labels
    star = ax.get_lines()[labels.index("best epoch (2)")]
    assert list(star.get_xdata()) == [2] and list(star.get_ydata()) == [0.6]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3, 4])
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert ax.get_legend() is not None


def test_learning_curves_from_dict_without_validation_into_ax():
    fig, ax = plt.subplots()
    out = plot_learning_curves({"train_loss": [3.0, 1.0, 2.0]}, ax=ax)
    assert out is fig
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[0] == "train loss" and "best epoch (2)" in labels
    assert "validation loss" not in labels
    assert ax.get_yscale() == "linear"
    fig = plot_learning_curves({"train_loss": [3.0, 1.0]}, mark_best=False)
    assert len(fig.get_axes()[0].get_lines()) == 1


@pytest.mark.parametrize(
    "history, error, match",
    [
        ({"val_loss": [1.0]}, TypeError, "'train_loss'"),
        ([1.0, 2.0], TypeError, "'train_loss'"),
        ({"train_loss": []}, ValueError, "non-empty 1-D"),
        (
            {"train_loss": [1.0, 2.0], "val_loss": [1.0]},
            ValueError,
            r"one validation loss per epoch \(2\), got 1",
        ),
        (
            {"train_loss": [1.0, 2.0], "best_epoch": 5},
            ValueError,
            "best_epoch between 1 and 2",
        ),
    ],
)
def test_learning_curves_reject_bad_input(history, error, match):
    with pytest.raises(error, match=match):
        plot_learning_curves(history)


# ----------------------------------------------------------------------------- plot_gra
def test_gradient_norms_several_curves():
    d = np.arange(20)
    norms = {
        r"$\rho = 0.9$": 0.9**d,
        r"$\rho = 1.1$": 1.1**d,
        "zeros at the end": np.r_[0.5 ** d[:10], np.zeros(10)],
    }
    fig = plot_gradient_norms(norms, title="tanh")
    (ax,) = fig.get_axes()
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(norms)
    np.testing.assert_allclose(lines[1].get_ydata(), 1.1**d)
    np.testing.assert_array_equal(lines[0].get_xdata(), d)
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "tanh"
    assert len(ax.get_legend().get_texts()) == 3


def test_gradient_norms_single_curve_with_x_and_ax():
    fig, ax = plt.subplots()
    t = np.arange(5, 10)
    out = plot_gradient_norms(
        torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]), x=t, log_y=False, ax=ax
    )
    assert out is fig
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), t)
    assert ax.get_yscale() == "linear" and ax.get_legend() is None


@pytest.mark.parametrize(
    "norms, kwargs, match",
    [
        (np.ones((3, 4)), {}, r"1-D array, got shape \(3, 4\); pass a dict"),
        ({}, {}, "at least one curve"),
        (
            {"a": np.ones(3), "b": np.ones((2, 2))},
            {},
            r"norms\['b'\] to be a non-empty 1-D",
        ),
        (np.array([1.0, -1.0]), {}, "non-negative"),
        (np.ones(4), {"x": np.arange(3)}, "x of length 3 and a curve of length 4"),
        (np.ones(4), {"x": np.ones((2, 2))}, "x to be 1-D"),
    ],
)
def test_gradient_norms_reject_bad_input(norms, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_gradient_norms(norms, **kwargs)


def test_bad_ax_type():
    with pytest.raises(TypeError, match="matplotlib Axes"):
        plot_gradient_norms(np.ones(3), ax="left")
