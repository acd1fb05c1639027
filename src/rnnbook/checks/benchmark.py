"""Self-checks for the exercises of the chapter "The forecasting benchmark".

Each checker calls the student's function on small cases, compares with a private
reference, prints one verdict line (see :func:`rnnbook.checks.report`) and returns a
bool.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from rnnbook.checks import Hint, case_seed, expect_close, expect_shape, report

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _count(
    cell: str, input_size: int, hidden_size: int, num_layers: int, horizon: int
) -> int:
    G = _GATES[cell] * hidden_size  # rows of every stacked weight matrix
    first = G * (input_size + hidden_size + 2)  # W_ih, W_hh, b_ih, b_hh of layer 1
    # the layers above read H values
    others = (num_layers - 1) * G * (2 * hidden_size + 2)
    return first + others + horizon * (hidden_size + 1)  # plus the read-out W_hy, b_y


def _as_int(value, what: str) -> int:
    try:
        as_int = int(value)
    except (TypeError, ValueError):
        raise Hint(f"{what} should be an integer, got {type(value).__name__}") from None
    if as_int != value:
        raise Hint(f"{what} should be an integer, got {value!r}")
    return as_int


# --- Exercise 7.1: parameter count of a SeqForecaster ---------------------------------


def check_count_parameters(fn) -> bool:
    """Exercise 7.1: ``fn(cell, input_size, hidden_size, num_layers, horizon)`` counts
    parameters.
    """

    def check():
        cases = [
            ("rnn", 1, 20, 2, 10),
            ("lstm", 1, 20, 2, 10),
            ("gru", 1, 20, 2, 10),
            ("lstm", 3, 7, 1, 4),
            ("gru", 2, 5, 3, 1),
            ("rnn", 4, 16, 3, 6),
            ("lstm", 1, 32, 2, 10),
        ]
        rng = np.random.default_rng(case_seed(71))  # and one no one can predict
        cases.append(
            (
                str(rng.choice(["rnn", "lstm", "gru"])),
                *(int(v) for v in rng.integers([1, 2, 1, 1], [6, 40, 4, 12])),
            )
        )
        for cell, H_in, H, layers, K in cases:
            where = (
                f"cell={cell!r}, input_size={H_in}, hidden_size={H}, "
                f"num_layers={layers}, horizon={K}"
            )
            got = _as_int(fn(cell, H_in, H, layers, K), f"the count for {where}")
            want = _count(cell, H_in, H, layers, K)
            if got == want:
                continue
            if got == want - K * (H + 1):
                raise Hint(f"for {where} you left out the linear read-out")
            if got == want - 2 * layers * _GATES[cell] * H:
                raise Hint(
                    f"for {where} you left out the biases b_ih and b_hh (PyTorch has "
                    "both)"
                )
            if got == want - layers * _GATES[cell] * H:
                raise Hint(
                    f"for {where} you counted one bias vector per layer; PyTorch has "
                    "two, b_ih and b_hh"
                )
            if layers > 1 and got == layers * _count(cell, H_in, H, 1, 0) + K * (H + 1):
                raise Hint(
                    f"for {where} the layers above the first read H = {H} values, not "
                    "input_size"
                )
            raise Hint(f"the count for {where} is off by {got - want:+d}")

    return report("7.1", check)


# --- Exercise 7.2: persistence at every step ------------------------------------------


def check_persistence_forecast(fn) -> bool:
    """Exercise 7.2: ``fn(X, horizon)`` repeats ``x_t`` at every step: (N, L, 1) -> (N,
    L, horizon).
    """

    def check():
        # one series 1, 2, 3, 4
        x = np.arange(1.0, 5.0, dtype=np.float32).reshape(1, 4, 1)
        out = np.asarray(fn(x, 3))
        expect_shape(
            "persistence_forecast(X, 3) for X of shape (1, 4, 1)", out, (1, 4, 3)
        )
        if np.allclose(out, 4.0):
            raise Hint(
                "every step repeated the *last* value x_L; the forecast from step t "
                "may only use x_t"
            )
        if np.allclose(out[0, :, 0], [2.0, 3.0, 4.0, 4.0]) or np.allclose(
            out[0, :, 0], [2.0, 3.0, 4.0, 0.0]
        ):
            raise Hint(
                "you copied the next value x_(t+1): that is the target, not something "
                "known at step t"
            )
        rng = np.random.default_rng(case_seed(7))
        for N, L, horizon in [(1, 4, 3), (5, 12, 1), (3, 20, 10)]:
            X = rng.normal(size=(N, L, 1)).astype(np.float32)
            out = fn(X, horizon)
            expect_shape(
                f"the forecast for X of shape {X.shape} and horizon {horizon}",
                out,
                (N, L, horizon),
            )
            expect_close(
                f"the forecast for X of shape {X.shape} and horizon {horizon}",
                out,
                np.repeat(X, horizon, axis=2),
            )

    return report("7.2", check)


# --- Exercise 7.3: the cosine learning-rate schedule ----------------------------------


def _torch_cosine(epochs: int, lr_max: float, lr_min: float) -> list[float]:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr_max)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=epochs, eta_min=lr_min
    )
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def _drawn_schedule(rng) -> tuple[int, float, float]:
    """(epochs, lr_max, lr_min) that no one can know in advance."""
    lr_max = round(float(rng.uniform(0.01, 1.0)), 4)
    return (
        int(rng.integers(2, 30)),
        lr_max,
        round(lr_max * float(rng.uniform(0, 0.5)), 5),
    )


def check_cosine_lr(fn) -> bool:
    """Exercise 7.3: ``fn(epoch, epochs, lr_max, lr_min=0.0)`` is the lr of epoch
    ``epoch`` (0-based).
    """

    def check():
        for epochs, lr_max, lr_min in [
            (10, 1e-2, 0.0),
            (20, 1e-2, 0.0),
            (7, 0.5, 0.1),
            (1, 3e-3, 0.0),
            _drawn_schedule(np.random.default_rng(case_seed(73))),
        ]:
            want = _torch_cosine(epochs, lr_max, lr_min)
            got = [fn(e, epochs, lr_max, lr_min) for e in range(epochs)]
            try:
                got = [float(v) for v in got]
            except (TypeError, ValueError):
                raise Hint("the learning rate should be a number") from None
            where = f"epochs={epochs}, lr_max={lr_max}, lr_min={lr_min}"
            if not np.allclose(got, want, rtol=1e-6, atol=1e-12):
                shifted = [
                    lr_min
                    + (lr_max - lr_min) * (1 + math.cos(math.pi * (e + 1) / epochs)) / 2
                    for e in range(epochs)
                ]
                no_min = [
                    lr_max * (1 + math.cos(math.pi * e / epochs)) / 2
                    for e in range(epochs)
                ]
                if np.allclose(got, shifted):
                    raise Hint(
                        f"for {where} your schedule is one epoch ahead: epoch 0 must "
                        "use lr_max"
                    )
                if lr_min > 0 and np.allclose(got, no_min):
                    raise Hint(
                        f"for {where} the schedule must end near lr_min, not near 0"
                    )
                if abs(got[0] - lr_max) > 1e-12 * max(1.0, lr_max):
                    raise Hint(f"for {where} the first epoch should use lr_max")
                raise Hint(
                    f"for {where} the learning rates are off (largest difference "
                    f"{max(abs(a - b) for a, b in zip(got, want)):.3g})"
                )

    return report("7.3", check)


# --- Exercise 7.4: the widest model within a parameter budget -------------------------


def _width_for_budget(
    cell: str, budget: int, input_size: int, num_layers: int, horizon: int
) -> int:
    H = 0
    while _count(cell, input_size, H + 1, num_layers, horizon) <= budget:
        H += 1
    return H


def check_width_for_budget(fn) -> bool:
    """Exercise 7.4: ``fn(cell, budget, input_size=1, num_layers=2, horizon=10)`` is the
    largest hidden size whose :class:`rnnbook.models.SeqForecaster` has at most
    ``budget`` parameters."""

    def check():
        cases = [
            ("rnn", 5410, 1, 2, 10),
            ("gru", 5410, 1, 2, 10),
            ("lstm", 5410, 1, 2, 10),
            ("lstm", 20000, 1, 2, 10),
            ("gru", 3000, 2, 1, 5),
            ("rnn", 100000, 3, 3, 1),
            ("rnn", 1410, 1, 2, 10),
        ]
        rng = np.random.default_rng(case_seed(74))  # and one no one can predict
        cases.append(
            (
                str(rng.choice(["rnn", "lstm", "gru"])),
                *(int(v) for v in rng.integers([500, 1, 1, 1], [30000, 4, 4, 12])),
            )
        )
        for cell, budget, H_in, layers, K in cases:
            where = (
                f"cell={cell!r}, budget={budget}, input_size={H_in}, "
                f"num_layers={layers}, horizon={K}"
            )
            got = _as_int(
                fn(cell, budget, input_size=H_in, num_layers=layers, horizon=K),
                f"the width for {where}",
            )
            want = _width_for_budget(cell, budget, H_in, layers, K)
            if got == want:
                continue
            if got < 1:
                raise Hint(f"for {where} the width must be at least 1")
            if _count(cell, H_in, got, layers, K) > budget:
                raise Hint(
                    f"for {where} a width of {got} needs more parameters than the "
                    "budget allows"
                )
            raise Hint(f"for {where} a wider model still fits in the budget")

    return report("7.4", check)
