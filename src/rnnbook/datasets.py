"""The book's data: the real series shipped in ``data/``, the synthetic two-sine series,
and the two operations every forecasting experiment needs, windowing and splitting by
time.

Introduced in the chapter "Sequential data" (sections "A real series and a synthetic
one", "From a series to (input, target) pairs" and "Split by time, not at random").

Shapes follow the book's notation: N sequences, L time steps, H_in features per step.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from rnnbook._validation import fmt_shape

#: Where ``data/`` lives: the repository root, two folders above this file
#: (``src/rnnbook/datasets.py``). ``RNNBOOK_DATA`` overrides it.
DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def data_dir() -> Path:
    """The folder the data files are read from: ``$RNNBOOK_DATA``, else ``data/``."""
    return Path(os.environ.get("RNNBOOK_DATA", DATA_DIR))


def _data_file(name: str) -> Path:
    path = data_dir() / name
    if not path.is_file():
        raise FileNotFoundError(
            f"data file not found: {path}. The book's data live in the repository's "
            "data/ folder; "
            "run from a clone of the repository, or set RNNBOOK_DATA to the folder "
            f"holding {name}"
        )
    return path


def _positive_int(value, name: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"expected {name} to be a positive integer, got {value!r}")
    return int(value)


def _generator(rng) -> np.random.Generator:
    if rng is None or (
        isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0
    ):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(
        "expected rng to be None, a non-negative int seed or a "
        f"numpy.random.Generator, got {rng!r}"
    )


# --- the real series ------------------------------------------------------------------


@dataclass(frozen=True)
class TimeSeries:
    """A univariate series with its dates: ``values[i]`` is of month ``dates[i]``."""

    name: str
    unit: str
    dates: np.ndarray  # datetime64[M], one per step
    values: np.ndarray  # float64, shape (L,)
    # bool, shape (L,): True where the value was filled in, not measured
    interpolated: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


def load_co2() -> TimeSeries:
    """Monthly mean CO2 at Mauna Loa, 1958-03 to 2001-12 (526 months, in ppm).

    Read from ``data/co2_monthly.csv``, which ``scripts/make_data.py`` made from the
    weekly Scripps record shipped with statsmodels (public domain; see
    ``data/README.md``). The 5 months without any weekly measurement are linearly
    interpolated and flagged in ``interpolated``. Raises ``FileNotFoundError`` naming
    the path if the file is missing.
    """
    path = _data_file("co2_monthly.csv")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or set(rows[0]) != {"month", "co2_ppm", "n_weeks"}:
        raise ValueError(f"{path}: expected columns month, co2_ppm, n_weeks")
    dates = np.array([r["month"] for r in rows], dtype="datetime64[M]")
    values = np.array([float(r["co2_ppm"]) for r in rows])
    weeks = np.array([int(r["n_weeks"]) for r in rows])
    return TimeSeries("Mauna Loa CO2", "ppm", dates, values, weeks == 0)


# --- the synthetic series of seed 001 -------------------------------------------------


def two_sine_series(batch_size: int, n_steps: int, rng=None) -> np.ndarray:
    """``batch_size`` noisy sums of two sine waves, each ``n_steps`` long: shape (N, L,
    1), float32.

    For each series, four numbers ``f1, f2, o1, o2`` are drawn uniformly from [0, 1),
    and with ``t`` running over ``n_steps`` evenly spaced points of [0, 1]:

        x(t) = 0.5 sin((t - o1)(10 f1 + 10)) + 0.2 sin((t - o2)(20 f2 + 20))
               + 0.1 (u_t - 0.5)

    with ``u_t`` uniform noise on [0, 1). ``rng`` is a seed, a
    ``numpy.random.Generator`` or ``None`` (fresh entropy). The draws are made in this
    order (frequencies and offsets, then noise), so a seed gives the same series every
    time.
    """
    batch_size = _positive_int(batch_size, "batch_size")
    n_steps = _positive_int(n_steps, "n_steps")
    rng = _generator(rng)
    freq1, freq2, offsets1, offsets2 = rng.random((4, batch_size, 1))
    time = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((time - offsets1) * (freq1 * 10 + 10))  # wave 1, (N, L)
    series += 0.2 * np.sin((time - offsets2) * (freq2 * 20 + 20))  # + wave 2
    series += 0.1 * (rng.random((batch_size, n_steps)) - 0.5)  # + noise
    return series[..., np.newaxis].astype(np.float32)  # (N, L, 1)


class Split(NamedTuple):
    """Inputs and targets of one split: ``X, Y = split``."""

    X: np.ndarray
    Y: np.ndarray


@dataclass(frozen=True)
class ForecastingBenchmark:
    """The 10-step-ahead benchmark: ``train``, ``valid``, ``test`` and ``series``."""

    train: Split
    valid: Split
    test: Split
    series: np.ndarray  # (n_series, n_steps + horizon, 1)


def forecasting_benchmark(
    seed: int = 42, n_series: int = 10_000, n_steps: int = 50, horizon: int = 10
) -> ForecastingBenchmark:
    """The sequence-to-sequence forecasting benchmark of the forecasting chapters.

    ``n_series`` two-sine series of length ``n_steps + horizon``
    (:func:`two_sine_series` with ``seed``). Inputs are the first ``n_steps`` values,
    ``X`` of shape (N, n_steps, 1). Targets give, at every step ``t``, the next
    ``horizon`` values: ``Y`` has shape (N, n_steps, horizon) and ``Y[:, t, k - 1] =
    series[:, t + k]`` for ``k = 1 .. horizon``. The series are independent of each
    other, so they are split 70 / 20 / 10 % in order (7000 / 2000 / 1000 for the default
    size). The usual score is the MSE of the last step's forecast, ``Y[:, -1]`` (the
    ``horizon`` values after the input window).
    """
    n_series = _positive_int(n_series, "n_series")
    n_steps = _positive_int(n_steps, "n_steps")
    horizon = _positive_int(horizon, "horizon")
    if n_series < 10:
        raise ValueError(
            f"expected n_series >= 10 so that every split is non-empty, got {n_series}"
        )
    # (N, L + horizon, 1)
    series = two_sine_series(n_series, n_steps + horizon, rng=seed)
    X = series[:, :n_steps]  # (N, L, 1)
    Y = np.empty((n_series, n_steps, horizon), dtype=np.float32)  # (N, L, horizon)
    for k in range(1, horizon + 1):
        Y[..., k - 1] = series[:, k : k + n_steps, 0]
    n_train, n_valid = n_series * 7 // 10, n_series * 9 // 10
    return ForecastingBenchmark(
        train=Split(X[:n_train], Y[:n_train]),
        valid=Split(X[n_train:n_valid], Y[n_train:n_valid]),
        test=Split(X[n_valid:], Y[n_valid:]),
        series=series,
    )


# --- windows and splits ---------------------------------------------------------------


def make_windows(
    series: np.ndarray, input_len: int, horizon: int, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Cut one series into (input, target) pairs.

    ``series`` has shape (L,) or (L, H_in). Window ``i`` starts at ``s = i * stride``;
    its input is ``series[s : s + input_len]`` and its target the next ``horizon``
    values, ``series[s + input_len : s + input_len + horizon]``. With
    ``M = (L - input_len - horizon) // stride + 1`` windows, ``inputs`` has shape
    (M, input_len) and ``targets`` (M, horizon), or (M, input_len, H_in) and (M,
    horizon, H_in) for a 2-D series. Any dtype works (token ids, time indices); the
    arrays are copies, in time order.
    """
    if not isinstance(series, np.ndarray):
        raise TypeError(
            f"expected series to be a numpy.ndarray, got {type(series).__name__}"
        )
    if series.ndim not in (1, 2):
        raise ValueError(
            f"expected series to be 1-D or 2-D, got {series.ndim}-D array of shape "
            f"{fmt_shape(series.shape)}"
        )
    input_len = _positive_int(input_len, "input_len")
    horizon = _positive_int(horizon, "horizon")
    stride = _positive_int(stride, "stride")
    L = series.shape[0]
    if L < input_len + horizon:
        raise ValueError(
            "expected a series of at least input_len + horizon = "
            f"{input_len + horizon} steps, got {L}"
        )
    starts = np.arange(0, L - input_len - horizon + 1, stride)  # (M,)
    inputs = series[starts[:, None] + np.arange(input_len)]  # (M, input_len[, H_in])
    # (M, horizon[, H_in])
    targets = series[starts[:, None] + input_len + np.arange(horizon)]
    return inputs, targets


def split_by_time(
    array: np.ndarray, fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split ``array`` along its first (time) axis into three contiguous parts.

    No shuffling: the first part is the oldest, the last the most recent. Part
    boundaries are ``round(f1 * L)`` and ``round((f1 + f2) * L)``; every part must get
    at least one step. Returns views of ``array`` (train, valid, test). Split a series
    first and window each part afterwards, so that no window straddles a boundary.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"expected array to be a numpy.ndarray, got {type(array).__name__}"
        )
    if array.ndim < 1:
        raise ValueError(
            "expected an array with a time axis (at least 1-D), got a 0-D array"
        )
    try:
        fracs = tuple(float(f) for f in fractions)
    except (TypeError, ValueError):
        raise TypeError(
            f"expected fractions to be three numbers, got {fractions!r}"
        ) from None
    if len(fracs) != 3 or min(fracs) <= 0 or abs(sum(fracs) - 1) > 1e-9:
        raise ValueError(
            f"expected three positive fractions that sum to 1, got {fractions!r}"
        )
    L = array.shape[0]
    b1, b2 = round(fracs[0] * L), round((fracs[0] + fracs[1]) * L)
    if not 0 < b1 < b2 < L:
        raise ValueError(
            f"expected every part of the split to be non-empty: {L} steps with "
            f"fractions {fractions!r} "
            f"give parts of {b1}, {b2 - b1} and {L - b2} steps"
        )
    return array[:b1], array[b1:b2], array[b2:]


# --- a variable-length labelled set: Japanese vowels ----------------------------------


@dataclass(frozen=True)
class LabelledSequences:
    """Sequences of different lengths with one class label each.

    ``sequences[i]`` is a float32 array of shape (L_i, H_in); ``labels`` is an int64
    array of shape (N,) with classes ``0 .. K - 1``. ``lengths`` gives the L_i as an
    int64 array (N,).
    """

    sequences: list
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.sequences)

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(s) for s in self.sequences], dtype=np.int64)


class JapaneseVowels(NamedTuple):
    """The two splits of the Japanese vowels set: ``train, test =
    load_japanese_vowels()``.
    """

    train: LabelledSequences
    test: LabelledSequences


def load_japanese_vowels() -> JapaneseVowels:
    """Nine speakers saying the Japanese vowel pair /ae/: classify the speaker from the
    sound.

    640 utterances (270 train, 370 test, the original UCI split), each a sequence of 7
    to 29 frames of 12 LPC cepstrum coefficients (H_in = 12). Labels are ``speaker -
    1``, so ``0 .. 8``. Read from ``data/japanese_vowels.csv.gz`` (UCI Machine Learning
    Repository, CC BY 4.0; see ``data/README.md``). Introduced in the Task types
    chapter, section "Sequence classification with packing".
    """
    import gzip

    path = _data_file("japanese_vowels.csv.gz")
    with gzip.open(path, "rt", newline="") as f:
        header = f.readline().strip().split(",")
        expected = [
            "split",
            "utterance",
            "speaker",
            "frame",
            *(f"c{k}" for k in range(1, 13)),
        ]
        if header != expected:
            raise ValueError(
                f"{path}: expected columns {', '.join(expected)}, got "
                f"{', '.join(header)}"
            )
        rows = [line.rstrip("\n").split(",") for line in f if line.strip()]
    utterance = np.array([int(r[1]) for r in rows])
    # (sum L_i, 12)
    values = np.array([[float(v) for v in r[4:]] for r in rows], dtype=np.float32)
    starts = np.flatnonzero(np.r_[True, utterance[1:] != utterance[:-1]])
    parts = {"train": ([], []), "test": ([], [])}
    for begin, end in zip(starts, np.r_[starts[1:], len(rows)]):
        seqs, labels = parts[rows[begin][0]]
        seqs.append(values[begin:end])  # (L_i, 12)
        labels.append(int(rows[begin][2]) - 1)
    return JapaneseVowels(
        *(
            LabelledSequences(seqs, np.array(labels, dtype=np.int64))
            for seqs, labels in parts.values()
        )
    )
