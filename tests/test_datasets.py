"""Tests for rnnbook.datasets: the shipped CO2 series, the two-sine generator of seed
001, the 10-step-ahead benchmark, windowing and splitting by time."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnbook import datasets
from rnnbook.datasets import (
    forecasting_benchmark,
    load_co2,
    make_windows,
    split_by_time,
    two_sine_series,
)

# --- load_co2 -------------------------------------------------------------------------


def test_load_co2_contents():
    co2 = load_co2()
    assert len(co2) == 526
    assert co2.dates[0] == np.datetime64("1958-03") and co2.dates[-1] == np.datetime64(
        "2001-12"
    )
    assert np.all(np.diff(co2.dates).astype(int) == 1), (
        "one value per calendar month, no gaps"
    )
    assert co2.values.dtype == np.float64 and np.all(np.isfinite(co2.values))
    assert co2.values[0] == pytest.approx(316.1) and co2.values[-1] == pytest.approx(
        371.02
    )
    assert 310 < co2.values.min() < co2.values.max() < 375
    assert co2.interpolated.sum() == 5
    assert list(co2.dates[co2.interpolated].astype(str)) == [
        "1958-06",
        "1958-10",
        "1964-02",
        "1964-03",
        "1964-04",
    ]
    # interpolated months lie on the straight line between their measured neighbours
    i = int(np.flatnonzero(co2.dates == np.datetime64("1958-06"))[0])
    assert co2.values[i] == pytest.approx(
        (co2.values[i - 1] + co2.values[i + 1]) / 2, abs=1e-3
    )


def test_load_co2_works_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # e.g. a notebook running in chapters/
    assert len(load_co2()) == 526


def test_load_co2_names_the_missing_path(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNBOOK_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="co2_monthly.csv"):
        load_co2()
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        load_co2()


def test_data_dir_default_is_the_repository_data_folder(monkeypatch):
    monkeypatch.delenv("RNNBOOK_DATA", raising=False)
    assert datasets.data_dir() == datasets.DATA_DIR
    assert (datasets.DATA_DIR / "README.md").is_file()


# --- two_sine_series ------------------------------------------------------------------


def test_two_sine_series_matches_the_seed_formula():
    rng = np.random.default_rng(7)
    f1, f2, o1, o2 = rng.random((4, 3, 1))
    t = np.linspace(0, 1, 20)
    expected = 0.5 * np.sin((t - o1) * (f1 * 10 + 10)) + 0.2 * np.sin(
        (t - o2) * (f2 * 20 + 20)
    )
    expected = expected + 0.1 * (rng.random((3, 20)) - 0.5)
    got = two_sine_series(3, 20, rng=7)
    assert got.shape == (3, 20, 1) and got.dtype == np.float32
    np.testing.assert_array_equal(got[..., 0], expected.astype(np.float32))


def test_two_sine_series_seed_and_generator():
    a = two_sine_series(5, 30, rng=1)
    np.testing.assert_array_equal(a, two_sine_series(5, 30, rng=1))
    np.testing.assert_array_equal(
        a, two_sine_series(5, 30, rng=np.random.default_rng(1))
    )
    assert not np.array_equal(a, two_sine_series(5, 30, rng=2))
    assert np.abs(a).max() <= 0.75  # 0.5 + 0.2 + 0.05


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(batch_size=0, n_steps=5), "batch_size"),
        (dict(batch_size=2.5, n_steps=5), "batch_size"),
        (dict(batch_size=2, n_steps=-1), "n_steps"),
        (dict(batch_size=2, n_steps=True), "n_steps"),
    ],
)
def test_two_sine_series_bad_sizes(kwargs, error):
    with pytest.raises(ValueError, match=error):
        two_sine_series(**kwargs)


def test_two_sine_series_bad_rng():
    with pytest.raises(TypeError, match="rng"):
        two_sine_series(2, 5, rng="seed")
    with pytest.raises(TypeError, match="rng"):
        two_sine_series(2, 5, rng=-1)


# --- forecasting_benchmark ------------------------------------------------------------


def test_benchmark_default_shapes_and_splits():
    bench = forecasting_benchmark()
    assert bench.train.X.shape == (7000, 50, 1) and bench.train.Y.shape == (
        7000,
        50,
        10,
    )
    assert bench.valid.X.shape == (2000, 50, 1) and bench.valid.Y.shape == (
        2000,
        50,
        10,
    )
    assert bench.test.X.shape == (1000, 50, 1) and bench.test.Y.shape == (1000, 50, 10)
    assert bench.train.X.dtype == bench.train.Y.dtype == np.float32
    np.testing.assert_array_equal(bench.series, two_sine_series(10_000, 60, rng=42))


def test_benchmark_targets_are_the_next_values():
    bench = forecasting_benchmark(seed=3, n_series=20, n_steps=8, horizon=4)
    series = bench.series[..., 0]  # (20, 12)
    X = np.concatenate([bench.train.X, bench.valid.X, bench.test.X])[..., 0]
    Y = np.concatenate([bench.train.Y, bench.valid.Y, bench.test.Y])
    np.testing.assert_array_equal(X, series[:, :8])
    for t in range(8):
        for k in range(1, 5):
            np.testing.assert_array_equal(Y[:, t, k - 1], series[:, t + k])
    # the last step's targets: the future
    np.testing.assert_array_equal(Y[:, -1], series[:, 8:12])
    assert (len(bench.train.X), len(bench.valid.X), len(bench.test.X)) == (14, 4, 2)


def test_benchmark_splits_do_not_share_series():
    bench = forecasting_benchmark(seed=0, n_series=100, n_steps=10, horizon=2)
    rows = [
        set(map(bytes, split.X.reshape(len(split.X), -1)))
        for split in (bench.train, bench.valid, bench.test)
    ]
    assert (
        not (rows[0] & rows[1]) and not (rows[0] & rows[2]) and not (rows[1] & rows[2])
    )


def test_benchmark_reproducible():
    a, b = (
        forecasting_benchmark(seed=5, n_series=30),
        forecasting_benchmark(seed=5, n_series=30),
    )
    np.testing.assert_array_equal(a.test.Y, b.test.Y)
    assert not np.array_equal(
        a.test.Y, forecasting_benchmark(seed=6, n_series=30).test.Y
    )


def test_benchmark_bad_arguments():
    with pytest.raises(ValueError, match="n_series"):
        forecasting_benchmark(n_series=5)
    with pytest.raises(ValueError, match="horizon"):
        forecasting_benchmark(n_series=10, horizon=0)


# --- make_windows ---------------------------------------------------------------------


def test_make_windows_small_case():
    series = np.arange(7.0)
    X, Y = make_windows(series, input_len=3, horizon=2)
    np.testing.assert_array_equal(X, [[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    np.testing.assert_array_equal(Y, [[3, 4], [4, 5], [5, 6]])


def test_make_windows_stride_and_features():
    series = np.arange(20.0).reshape(10, 2)  # (L, H_in)
    X, Y = make_windows(series, input_len=2, horizon=1, stride=3)
    assert X.shape == (3, 2, 2) and Y.shape == (3, 1, 2)
    np.testing.assert_array_equal(X[1], series[3:5])
    np.testing.assert_array_equal(Y[2], series[8:9])


def test_make_windows_any_dtype():
    X, Y = make_windows(np.arange(5), 2, 2)  # integer time indices
    assert X.dtype == Y.dtype == np.arange(5).dtype
    np.testing.assert_array_equal(Y, [[2, 3], [3, 4]])


def test_make_windows_returns_copies():
    series = np.arange(6.0)
    X, _ = make_windows(series, 2, 1)
    X[0, 0] = 99
    assert series[0] == 0


@settings(max_examples=40, deadline=None)
@given(
    L=st.integers(2, 60),
    input_len=st.integers(1, 20),
    horizon=st.integers(1, 10),
    stride=st.integers(1, 5),
)
def test_make_windows_property(L, input_len, horizon, stride):
    series = np.arange(float(L))
    if L < input_len + horizon:
        with pytest.raises(ValueError, match="at least"):
            make_windows(series, input_len, horizon, stride)
        return
    X, Y = make_windows(series, input_len, horizon, stride)
    M = (L - input_len - horizon) // stride + 1
    assert X.shape == (M, input_len) and Y.shape == (M, horizon)
    # each target continues its own input, and window i starts at i * stride
    np.testing.assert_array_equal(Y[:, 0], X[:, -1] + 1)
    np.testing.assert_array_equal(X[:, 0], np.arange(M) * stride)


@pytest.mark.parametrize(
    "args, exc, match",
    [
        ((np.arange(5.0), 0, 1), ValueError, "input_len"),
        ((np.arange(5.0), 2, 0), ValueError, "horizon"),
        ((np.arange(5.0), 2, 1, 0), ValueError, "stride"),
        ((np.zeros((2, 2, 2)), 1, 1), ValueError, "1-D or 2-D"),
        (([1.0, 2.0, 3.0], 1, 1), TypeError, "numpy.ndarray"),
        (
            (np.arange(5.0), 4, 2),
            ValueError,
            "at least input_len \\+ horizon = 6 steps, got 5",
        ),
    ],
)
def test_make_windows_errors(args, exc, match):
    with pytest.raises(exc, match=match):
        make_windows(*args)


# --- split_by_time --------------------------------------------------------------------


def test_split_by_time_default():
    a = np.arange(100)
    train, valid, test = split_by_time(a)
    assert (len(train), len(valid), len(test)) == (70, 15, 15)
    np.testing.assert_array_equal(np.concatenate([train, valid, test]), a)
    # contiguous and in order
    assert train.max() < valid.min() and valid.max() < test.min()


def test_split_by_time_custom_fractions_and_axis0():
    a = np.arange(30).reshape(10, 3)
    train, valid, test = split_by_time(a, (0.5, 0.3, 0.2))
    assert train.shape == (5, 3) and valid.shape == (3, 3) and test.shape == (2, 3)


@settings(max_examples=40, deadline=None)
@given(L=st.integers(3, 500), f1=st.floats(0.1, 0.8), f2=st.floats(0.05, 0.15))
def test_split_by_time_property(L, f1, f2):
    fracs = (f1, f2, 1 - f1 - f2)
    a = np.arange(L)
    try:
        parts = split_by_time(a, fracs)
    except ValueError as err:
        assert "non-empty" in str(err)
        return
    assert sum(len(p) for p in parts) == L and all(len(p) > 0 for p in parts)
    np.testing.assert_array_equal(np.concatenate(parts), a)


def test_split_then_window_has_no_leakage():
    series = np.arange(200.0)  # value = time index
    parts = split_by_time(series)
    windows = [make_windows(p, 10, 5) for p in parts]
    for (_, Y_a), (X_b, _) in zip(windows, windows[1:]):
        assert Y_a.max() < X_b.min(), (
            "a later split must start after every earlier target"
        )


@pytest.mark.parametrize(
    "fractions, exc, match",
    [
        ((0.7, 0.3), ValueError, "three positive fractions"),
        ((0.5, 0.5, 0.5), ValueError, "sum to 1"),
        ((1.0, 0.0, 0.0), ValueError, "positive"),
        (("a", "b", "c"), TypeError, "three numbers"),
    ],
)
def test_split_by_time_bad_fractions(fractions, exc, match):
    with pytest.raises(exc, match=match):
        split_by_time(np.arange(10), fractions)


def test_split_by_time_too_short_and_bad_types():
    with pytest.raises(ValueError, match="non-empty"):
        split_by_time(np.arange(3), (0.9, 0.05, 0.05))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        split_by_time([1, 2, 3])
    with pytest.raises(ValueError, match="0-D"):
        split_by_time(np.array(1.0))


# --- load_japanese_vowels -------------------------------------------------------------


def test_load_japanese_vowels_contents():
    train, test = datasets.load_japanese_vowels()
    assert (len(train), len(test)) == (270, 370)
    for part in (train, test):
        assert all(
            s.dtype == np.float32 and s.ndim == 2 and s.shape[1] == 12
            for s in part.sequences
        )
        assert part.labels.dtype == np.int64 and part.labels.shape == (len(part),)
        assert np.array_equal(part.lengths, [len(s) for s in part.sequences])
        assert all(np.isfinite(s).all() for s in part.sequences)
    # 30 utterances per speaker
    assert np.array_equal(np.bincount(train.labels), [30] * 9)
    assert np.array_equal(
        np.bincount(test.labels), [31, 35, 88, 44, 29, 24, 40, 50, 29]
    )
    lengths = np.r_[train.lengths, test.lengths]
    assert (
        lengths.min() == 7 and lengths.max() == 29 and len(set(lengths.tolist())) > 10
    )
    # the first frame of the first training utterance, as in the source .ts file
    assert train.sequences[0].shape == (20, 12)
    assert np.allclose(train.sequences[0][0, :3], [1.860936, -0.207383, 0.261557])


def test_load_japanese_vowels_names_the_missing_path(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNBOOK_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="japanese_vowels.csv.gz"):
        datasets.load_japanese_vowels()


def test_load_japanese_vowels_rejects_a_wrong_header(tmp_path, monkeypatch):
    import gzip

    with gzip.open(tmp_path / "japanese_vowels.csv.gz", "wt") as f:
        f.write("split,utterance,speaker\ntrain,0,1\n")
    monkeypatch.setenv("RNNBOOK_DATA", str(tmp_path))
    with pytest.raises(
        ValueError, match="expected columns split, utterance, speaker, frame, c1"
    ):
        datasets.load_japanese_vowels()
