"""Produce the small data files shipped in ``data/`` from the packages they come from.

    python3 -m pip install --target /tmp/sm statsmodels==0.15.0
    PYTHONPATH=/tmp/sm python3 scripts/make_data.py

The book never runs this script at run time: the chapters read the CSV files it wrote
(``rnnbook.datasets``). It is here so that anyone can check how each file was made, and
re-make it bit for bit. See ``data/README.md`` for sources and licenses.

``data/co2_monthly.csv``
    The Mauna Loa weekly CO2 record (Scripps Institution of Oceanography, public domain) as
    distributed with statsmodels (``statsmodels.datasets.co2``), averaged into calendar
    months. A month without any weekly value is filled by linear interpolation between its
    neighbouring monthly means and marked with ``n_weeks = 0``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"


def monthly_co2() -> list[tuple[str, float, int]]:
    """Rows ``(YYYY-MM, mean CO2 in ppm, number of weekly values averaged)``."""
    import pandas as pd
    import statsmodels
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"]  # indexed by week (Saturdays), NaN where missing
    print(f"statsmodels {statsmodels.__version__}: {len(weekly)} weeks, "
          f"{int(weekly.isna().sum())} missing, {weekly.index[0].date()} to {weekly.index[-1].date()}")
    months = weekly.index.to_period("M")
    grouped = weekly.groupby(months)
    means = grouped.mean()  # NaN for a month with no weekly value at all
    counts = grouped.count()
    # every calendar month from the first to the last, so that gaps show up as NaN
    index = pd.period_range(means.index.min(), means.index.max(), freq="M")
    means = means.reindex(index)
    counts = counts.reindex(index, fill_value=0)
    values = means.to_numpy(dtype=float).copy()
    missing = np.isnan(values)
    if missing.any():  # linear interpolation over the month number
        k = np.arange(len(values))
        values[missing] = np.interp(k[missing], k[~missing], values[~missing])
    return [(str(p), float(v), int(n)) for p, v, n in zip(index, values, counts)]


def write_co2(path: Path) -> None:
    rows = monthly_co2()
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["month", "co2_ppm", "n_weeks"])
        for month, value, n in rows:
            writer.writerow([month, f"{value:.3f}", n])
    filled = sum(1 for *_, n in rows if n == 0)
    print(f"wrote {path} ({len(rows)} months, {filled} interpolated, {path.stat().st_size} bytes)")


def main() -> int:
    DATA.mkdir(exist_ok=True)
    write_co2(DATA / "co2_monthly.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
