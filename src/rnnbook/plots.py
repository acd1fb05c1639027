"""The book's recurring figures: forecasts on a grid of series, learning curves, and
gradient norms against distance in time.

Each function returns the ``Figure`` and draws into ``ax`` when one is given; nothing is
shown or saved. In a notebook, assign the result (``fig = ...``) or end the line with
``;`` so that Jupyter does not display the figure twice.

- :func:`plot_series_grid`: the Sequential data chapter, section on forecasting, and
  every forecasting comparison after it;
- :func:`plot_learning_curves`: wherever a model is trained with
  :func:`rnnbook.train.fit`;
- :func:`plot_gradient_norms`: the chapter on vanishing and exploding gradients.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from rnnbook._validation import fmt_shape

TARGET_STYLE = dict(linestyle="none", marker="x", markersize=6, color="C0")
FORECAST_STYLE = dict(linestyle="none", marker="o", markersize=4, color="C3")


def _as_array(x, name: str) -> np.ndarray:
    """A float NumPy array from an array, tensor or nested list, with a clear error
    otherwise.
    """
    if hasattr(x, "detach"):  # torch.Tensor, without importing torch here
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"expected {name} to be an array of numbers, got {type(x).__name__}"
        ) from err
    return arr


def _series_2d(x, name: str, n: int | None, allow_1d: bool) -> np.ndarray:
    """(N, L) from (N, L) or (N, L, 1) (and (N,) -> (N, 1) when ``allow_1d``)."""
    arr = _as_array(x, name)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    elif arr.ndim == 1 and allow_1d:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] == 0 or arr.shape[0] == 0:
        want = "(N, K), (N, K, 1) or (N,)" if allow_1d else "(N, L) or (N, L, 1)"
        raise ValueError(f"expected {name} of shape {want}, got {fmt_shape(arr.shape)}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(
            f"expected {name} to hold one row per input series (N = {n}), "
            f"got shape {fmt_shape(arr.shape)}"
        )
    return arr


def _axes_grid(
    ax, n_rows: int, n_cols: int, figsize
) -> tuple[Figure, np.ndarray, bool]:
    if ax is None:
        figsize = figsize or (2.2 * n_cols + 0.6, 1.7 * n_rows + 0.6)
        fig, axes = plt.subplots(
            n_rows,
            n_cols,
            sharex=True,
            sharey=True,
            squeeze=False,
            figsize=figsize,
            layout="constrained",
        )
        return fig, axes, True
    axes = np.asarray(ax, dtype=object).reshape(-1)
    if axes.size != n_rows * n_cols or not all(isinstance(a, Axes) for a in axes):
        raise ValueError(
            f"expected ax to be {n_rows * n_cols} Axes for a {n_rows} x {n_cols} grid, "
            f"got {axes.size} object(s)"
        )
    return axes[0].figure, axes.reshape(n_rows, n_cols), False


def plot_series_grid(
    inputs,
    targets=None,
    forecasts=None,
    *,
    n_rows: int = 3,
    n_cols: int = 5,
    forecast_std=None,
    x_label: str = "$t$",
    y_label: str = "$x_t$",
    labels: Sequence[str] = ("input", "target", "forecast"),
    title: str | None = None,
    figsize=None,
    ax=None,
) -> Figure:
    """Plot the first ``n_rows * n_cols`` series, each in its own panel, with what
    follows them.

    - ``inputs``: shape (N, L) or (N, L, 1), drawn at times :math:`t = 1, \\dots, L`;
    - ``targets``, ``forecasts``: shape (N, K) or (N, K, 1) (or (N,) for K = 1), the
      true and predicted values at :math:`t = L + 1, \\dots, L + K` (K may differ
      between the two);
    - ``forecast_std`` (same shape as ``forecasts``): a band of :math:`\\pm 1` standard
      deviation.

    Panels share their axes; a dotted vertical line marks the forecast origin :math:`t =
    L`, the last observed step. One legend for the whole figure. With fewer than
    ``n_rows * n_cols`` series the extra panels are hidden. ``ax``: ``n_rows * n_cols``
    Axes to draw into.
    """
    for name, v in (("n_rows", n_rows), ("n_cols", n_cols)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"expected {name} to be a positive integer, got {v!r}")
    x = _series_2d(inputs, "inputs", None, allow_1d=False)
    n, length = x.shape
    y = None if targets is None else _series_2d(targets, "targets", n, allow_1d=True)
    y_hat = (
        None
        if forecasts is None
        else _series_2d(forecasts, "forecasts", n, allow_1d=True)
    )
    std = None
    if forecast_std is not None:
        if y_hat is None:
            raise ValueError(
                "forecast_std needs forecasts to draw a band around, got forecasts=None"
            )
        std = _series_2d(forecast_std, "forecast_std", n, allow_1d=True)
        if std.shape != y_hat.shape:
            raise ValueError(
                f"expected forecast_std of shape {fmt_shape(y_hat.shape)} like "
                "forecasts, "
                f"got {fmt_shape(std.shape)}"
            )
    if len(labels) != 3:
        raise ValueError(
            f"expected 3 labels (input, target, forecast), got {len(labels)}"
        )

    fig, axes, own_figure = _axes_grid(ax, n_rows, n_cols, figsize)
    t_in = np.arange(1, length + 1)
    for i, a in enumerate(axes.flat):
        if i >= n:
            a.set_visible(False)
            continue
        a.plot(t_in, x[i], ".-", markersize=3, color="0.25", label=labels[0])
        if y is not None:
            a.plot(
                length + np.arange(1, y.shape[1] + 1),
                y[i],
                label=labels[1],
                **TARGET_STYLE,
            )
        if y_hat is not None:
            t_out = length + np.arange(1, y_hat.shape[1] + 1)
            a.plot(t_out, y_hat[i], label=labels[2], **FORECAST_STYLE)
            if std is not None:
                a.fill_between(
                    t_out,
                    y_hat[i] - std[i],
                    y_hat[i] + std[i],
                    color="C3",
                    alpha=0.2,
                    linewidth=0,
                    label=r"$\pm 1$ std",
                )
        a.axvline(length, color="0.5", linestyle=":", linewidth=1)
        row, col = divmod(i, n_cols)
        if row == n_rows - 1 or i + n_cols >= n:  # bottom visible panel of its column
            a.set_xlabel(x_label)
            a.xaxis.set_tick_params(labelbottom=True)
        if col == 0:
            a.set_ylabel(y_label)
    handles, names = axes.flat[0].get_legend_handles_labels()
    if own_figure:
        fig.legend(handles, names, loc="outside lower center", ncols=len(handles))
        if title:
            fig.suptitle(title)
    else:
        axes.flat[0].legend(handles, names)
        if title:
            axes.flat[0].set_title(title)
    return fig


def _new_axes(ax, figsize) -> tuple[Figure, Axes]:
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    if not isinstance(ax, Axes):
        raise TypeError(f"expected ax to be a matplotlib Axes, got {type(ax).__name__}")
    return ax.figure, ax


def plot_learning_curves(
    history,
    *,
    log_scale: bool = False,
    mark_best: bool = True,
    y_label: str = "loss",
    title: str | None = None,
    figsize=None,
    ax=None,
) -> Figure:
    """Training and validation loss per epoch, from a :class:`rnnbook.train.History` or
    a dict with ``"train_loss"`` and optionally ``"val_loss"`` and ``"best_epoch"`` (as
    ``History.to_dict()``).

    ``log_scale`` puts the loss on a log axis; ``mark_best`` marks the best epoch
    (lowest validation loss, else lowest training loss, unless the history names one).
    """
    d = history.to_dict() if hasattr(history, "to_dict") else history
    if not isinstance(d, Mapping) or "train_loss" not in d:
        raise TypeError(
            "expected a History or a dict with a 'train_loss' list, got "
            f"{type(history).__name__}"
        )
    curves = {"train": _as_array(d["train_loss"], "train_loss")}
    if len(d.get("val_loss") or []):
        curves["validation"] = _as_array(d["val_loss"], "val_loss")
    for name, values in curves.items():
        if values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"expected the {name} loss as a non-empty 1-D list, got shape "
                f"{fmt_shape(values.shape)}"
            )
    if "validation" in curves and curves["validation"].size != curves["train"].size:
        raise ValueError(
            f"expected one validation loss per epoch ({curves['train'].size}), "
            f"got {curves['validation'].size}"
        )

    fig, ax = _new_axes(ax, figsize)
    epochs = np.arange(1, curves["train"].size + 1)
    for name, values in curves.items():
        ax.plot(epochs, values, ".-" if epochs.size < 30 else "-", label=f"{name} loss")
    if mark_best:
        watched = curves.get("validation", curves["train"])
        best = d.get("best_epoch") or int(np.nanargmin(watched)) + 1
        if not 1 <= best <= epochs.size:
            raise ValueError(
                f"expected best_epoch between 1 and {epochs.size}, got {best}"
            )
        ax.axvline(best, color="0.5", linestyle=":", linewidth=1)
        ax.plot(
            [best],
            [watched[best - 1]],
            marker="*",
            markersize=11,
            color="C2",
            linestyle="none",
            label=f"best epoch ({best})",
        )
    if log_scale:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(y_label)
    if title:
        ax.set_title(title)
    ax.legend()
    return fig


def plot_gradient_norms(
    norms,
    *,
    x=None,
    log_y: bool = True,
    x_label: str = "distance in time steps",
    y_label: str = "gradient norm",
    label: str | None = None,
    title: str | None = None,
    figsize=None,
    ax=None,
) -> Figure:
    """Gradient norm against time step or distance in time, one curve per entry.

    ``norms`` is one 1-D array (a single curve, named by ``label``) or a dict
    ``label -> 1-D array`` (several curves and a legend), e.g. one curve per spectral
    radius of :math:`W_{hh}`. ``x`` (1-D, as long as each curve) defaults to ``0, 1, 2,
    ...``. Zeros (underflowed gradients) are not drawn on the log axis.
    """
    if isinstance(norms, Mapping):
        if not norms:
            raise ValueError("expected at least one curve in norms, got an empty dict")
        curves = {str(k): _as_array(v, f"norms[{k!r}]") for k, v in norms.items()}
    else:
        curves = {label: _as_array(norms, "norms")}
    for name, values in curves.items():
        what = (
            "norms"
            if name is None or not isinstance(norms, Mapping)
            else f"norms[{name!r}]"
        )
        if values.ndim != 1 or values.size == 0:
            hint = (
                "; pass a dict label -> 1-D array for several curves"
                if values.ndim == 2
                else ""
            )
            raise ValueError(
                f"expected {what} to be a non-empty 1-D array, got shape "
                f"{fmt_shape(values.shape)}{hint}"
            )
        if np.any(values < 0):
            raise ValueError(
                f"expected {what} to be non-negative (norms), got a minimum of "
                f"{np.nanmin(values):g}"
            )
    xs = None if x is None else _as_array(x, "x")
    if xs is not None and xs.ndim != 1:
        raise ValueError(f"expected x to be 1-D, got shape {fmt_shape(xs.shape)}")

    fig, ax = _new_axes(ax, figsize)
    for name, values in curves.items():
        if xs is not None and xs.size != values.size:
            raise ValueError(
                f"expected x and every curve to have the same length, got x of length "
                f"{xs.size} and a curve of length {values.size}"
            )
        t = xs if xs is not None else np.arange(values.size)
        ax.plot(t, values, label=name)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if title:
        ax.set_title(title)
    if any(name is not None for name in curves):
        ax.legend()
    return fig
