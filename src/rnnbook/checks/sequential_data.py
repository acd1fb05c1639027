"""Self-checks for the exercises of the chapter "Sequential data".

Each checker calls the student's function on small cases, compares with a private
reference, prints one verdict line (see :func:`rnnbook.checks.report`) and returns a
bool.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import Hint, case_seed, expect_close, expect_shape, report

# --- Exercise 1.3: seasonal naive forecast --------------------------------------------


def _seasonal_naive(inputs: np.ndarray, horizon: int, period: int) -> np.ndarray:
    L = inputs.shape[1]
    idx = L - period + (np.arange(horizon) % period)  # (horizon,)
    return inputs[:, idx]


def check_seasonal_naive(fn) -> bool:
    """Exercise 1.3: ``fn(inputs, horizon, period)`` repeats the last full period of
    each window.
    """

    def check():
        rng = np.random.default_rng(case_seed(3))
        x = np.arange(1.0, 8.0)[None, :]  # one window 1..7
        out = fn(x, 2, 3)
        expect_shape(
            "seasonal_naive(x, horizon=2, period=3) for x of shape (1, 7)", out, (1, 2)
        )
        if np.allclose(np.asarray(out), [[7.0, 7.0]]):
            raise Hint(
                "you repeated the last value: that is the naive forecast, not the "
                "seasonal one"
            )
        expect_close(
            "the forecast for window [1..7] with period 3",
            out,
            _seasonal_naive(x, 2, 3),
        )
        for N, L, horizon, period in [
            (4, 24, 12, 12),
            (3, 10, 7, 3),
            (2, 5, 1, 5),
            (5, 30, 13, 12),
        ]:
            x = rng.normal(size=(N, L))
            out = fn(x, horizon, period)
            expect_shape(
                f"the forecast for inputs {x.shape}, horizon {horizon}, period "
                f"{period}",
                out,
                (N, horizon),
            )
            want = _seasonal_naive(x, horizon, period)
            got = np.asarray(out, dtype=float)
            if (
                horizon > period
                and np.allclose(got[:, :period], want[:, :period])
                and not np.allclose(got, want)
            ):
                raise Hint(
                    f"with horizon {horizon} > period {period} the forecast must wrap "
                    "around the season"
                )
            expect_close(
                f"the forecast for inputs {x.shape}, horizon {horizon}, period "
                f"{period}",
                out,
                want,
            )

    return report("1.3", check)


# --- Exercise 1.4: receptive field of a stack of 1-D convolutions ---------------------


def _receptive_field(kernel_sizes, dilations=None) -> int:
    dilations = [1] * len(kernel_sizes) if dilations is None else dilations
    return 1 + sum((k - 1) * d for k, d in zip(kernel_sizes, dilations))


def check_receptive_field(fn) -> bool:
    """Exercise 1.4: ``fn(kernel_sizes, dilations=None)`` returns the receptive field in
    steps.
    """

    def check():
        cases = [
            ([3], None),
            ([3, 3], None),
            ([5, 3, 2], None),
            ([1, 1], None),
            ([3, 3, 3, 3], [1, 2, 4, 8]),
            ([2] * 10, [2**i for i in range(10)]),
            ([7, 5], [3, 1]),
        ]
        # and cases no one can know in advance (new ones under the grader's seed)
        rng = np.random.default_rng(case_seed(14))
        for _ in range(3):
            n = int(rng.integers(1, 6))
            kernels = [int(k) for k in rng.integers(1, 8, size=n)]
            dilated = bool(rng.integers(0, 2))
            cases.append(
                (
                    kernels,
                    [int(d) for d in rng.integers(1, 5, size=n)] if dilated else None,
                )
            )
        for kernels, dilations in cases:
            got = fn(kernels) if dilations is None else fn(kernels, dilations)
            want = _receptive_field(kernels, dilations)
            try:
                got_int = int(got)
            except (TypeError, ValueError):
                raise Hint(
                    f"expected an integer number of steps, got {type(got).__name__}"
                ) from None
            if got_int != got:
                raise Hint(f"expected an integer number of steps, got {got!r}")
            if got_int == want:
                continue
            if dilations is None and got_int == sum(kernels):
                raise Hint(
                    f"for kernels {kernels} you added the kernel sizes: neighbouring "
                    "windows overlap"
                )
            if dilations is None and got_int == want - 1:
                raise Hint(
                    f"for kernels {kernels} you are one step short: count the output "
                    "step itself"
                )
            where = f"kernels {kernels}" + (
                f" with dilations {dilations}" if dilations else ""
            )
            raise Hint(
                f"the receptive field for {where} is not right (off by "
                f"{got_int - want:+d} steps)"
            )

    return report("1.4", check)


# --- Exercise 1.5: split first, then window -------------------------------------------


def check_split_then_window(fn) -> bool:
    """Exercise 1.5: ``fn(series, input_len, horizon)`` returns ((X_tr, Y_tr), (X_va,
    Y_va), (X_te, Y_te)) with every window inside its own part of a 70/15/15 split by
    time."""

    def check():
        from rnnbook.datasets import make_windows, split_by_time

        rng = np.random.default_rng(case_seed(15))
        drawn = [  # a configuration no one can know in advance
            (
                int(rng.integers(120, 301)),
                int(rng.integers(2, 9)),
                int(rng.integers(1, 6)),
            )
        ]
        for L, input_len, horizon in [(100, 5, 2), (200, 12, 6), (61, 3, 3), *drawn]:
            # value = time index, so leaks are easy to see
            series = np.arange(L, dtype=float)
            out = fn(series, input_len, horizon)
            if not isinstance(out, (tuple, list)) or len(out) != 3:
                raise Hint(
                    "return three (inputs, targets) pairs: train, validation and test"
                )
            parts = split_by_time(series)
            for name, pair, part in zip(("train", "validation", "test"), out, parts):
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise Hint(f"the {name} entry should be a pair (inputs, targets)")
                X, Y = (np.asarray(a) for a in pair)
                lo, hi = part[0], part[-1]
                if X.size and (X.min() < lo or Y.max() > hi):
                    raise Hint(
                        f"some {name} windows reach outside the {name} part of the "
                        "series: split the series first, then cut windows inside each "
                        "part"
                    )
                want_X, want_Y = make_windows(part, input_len, horizon)
                expect_shape(
                    f"the {name} inputs (series of {L} steps, input_len {input_len})",
                    X,
                    want_X.shape,
                )
                expect_shape(f"the {name} targets", Y, want_Y.shape)
                expect_close(f"the {name} inputs", X, want_X)
                expect_close(f"the {name} targets", Y, want_Y)

    return report("1.5", check)
