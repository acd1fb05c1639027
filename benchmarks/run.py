"""Time forward + backward per batch of the book's RNN, LSTM and GRU against
``torch.nn``.

    .venv/bin/python benchmarks/run.py  # both configs, 1 thread, markdown table
    .venv/bin/python benchmarks/run.py --threads 2 --repeats 30 --configs a
    .venv/bin/python benchmarks/run.py --json > timings.json

(``make benchmarks`` runs the first line.) For each cell and configuration the four
implementations in ``cases.py`` (``torch.nn``, ``torch.nn`` with oneDNN switched off,
``rnnbook.nn``, ``rnnbook.npnn``) get the same weights, input and upstream gradient.
After ``--warmup`` untimed passes, the implementations are timed in turn, round-robin,
``--repeats`` times, so that a change in machine load hits all of them alike; the table
shows median times and, as ratios, the median over rounds of one time divided by another
in the same round. Before timing, each implementation's output and gradients are checked
against ``torch.nn``: a benchmark of wrong code would mean nothing. The last column
counts the minor page faults per pass (memory the allocator had to get from the kernel),
which explain much of the variation of ``torch.nn``'s LSTM and GRU times (see
README.md).
"""

from __future__ import annotations

import argparse
import os
import sys


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads for PyTorch and NumPy's BLAS (default 1)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=20,
        help="timed passes per implementation (default 20)",
    )
    p.add_argument(
        "--warmup", type=int, default=3, help="untimed passes first (default 3)"
    )
    p.add_argument(
        "--configs",
        default="abp",
        help="which configurations, e.g. 'a', 'b', 'ab' or 'abp' (default; p: (b) for "
        "an LSTM with projections, the other cells skip it)",
    )
    p.add_argument(
        "--cells",
        default="RNN,LSTM,GRU",
        help="comma-separated cells (default RNN,LSTM,GRU)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--json",
        action="store_true",
        help="print the results as JSON instead of a table",
    )
    args = p.parse_args(argv)
    for name in ("threads", "repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be a positive integer, got {getattr(args, name)}")
    if args.warmup < 0:
        p.error(f"--warmup must be >= 0, got {args.warmup}")
    return args


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    # NumPy's BLAS reads these when it is first imported, so they must be set before the
    # imports below.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

try:
    import resource  # noqa: E402  (Unix only: page-fault counts)
except ImportError:  # pragma: no cover - Windows
    resource = None

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import (
    CELLS,
    CONFIGS,
    IMPLS,
    MODULES,
    build_cases,
    load_optional,
    max_rel_error,
)  # noqa: E402

# float32 through 2 layers and up to 100 steps: relative to each array's scale
TOLERANCE = 1e-3


def page_faults() -> int | None:
    """Minor page faults of this process so far (None where ``resource`` does not
    exist).
    """
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        if resource is not None
        else None
    )


def time_cases(
    cases: dict, repeats: int, warmup: int
) -> tuple[dict[str, list[float]], dict[str, float | None]]:
    """Seconds per forward+backward, ``repeats`` samples per case, taken round-robin;
    and the minor page faults per pass of each case (memory the allocator had to get
    from the kernel)."""
    for _ in range(warmup):
        for case in cases.values():
            case.step()
    samples = {name: [] for name in cases}
    faults = {name: 0 for name in cases}
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            for name, case in cases.items():
                f0 = page_faults()
                t0 = time.perf_counter()
                case.step()
                samples[name].append(time.perf_counter() - t0)
                if f0 is not None:
                    faults[name] += page_faults() - f0
    finally:
        gc.enable()
    per_pass = {
        name: (n / repeats if resource is not None else None)
        for name, n in faults.items()
    }
    return samples, per_pass


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    return {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "threads": torch.get_num_threads(),
        "load_average_1min": round(os.getloadavg()[0], 2)
        if hasattr(os, "getloadavg")
        else None,
    }


def paired_ratios(samples: dict[str, list[float]], baseline: str) -> dict[str, float]:
    """For every implementation, the median over rounds of its time divided by
    ``baseline``'s time in the same round: a change of machine load during the run
    affects both terms alike."""
    return {
        name: statistics.median(a / b for a, b in zip(s, samples[baseline]))
        for name, s in samples.items()
    }


def markdown(results: list[dict], info: dict, skipped: dict) -> str:
    cols = [
        "cell",
        "config",
        "torch.nn (ms)",
        "torch.nn, oneDNN off (ms)",
        "rnnbook.nn (ms)",
        "rnnbook.npnn (ms)",
        "rnnbook.nn ÷ torch.nn",
        "rnnbook.nn ÷ torch.nn, oneDNN off",
        "rnnbook.npnn ÷ torch.nn",
        "page faults per pass (" + " / ".join(IMPLS) + ")",
    ]
    lines = [
        f"Forward + backward per batch, median of {info['repeats']} (after "
        f"{info['warmup']} warm-up), "
        f"{info['date']}, torch {info['torch']}, numpy {info['numpy']}, "
        f"{info['threads']} thread(s), "
        f"{info['cpu']} ({info['cpu_count']} cores, load average "
        f"{info['load_average_1min']} at the start). "
        "A ratio is the median over rounds of one time divided by the other in the "
        "same round "
        "(above 1: slower).",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] * (len(cols) - 2)) + "|",
    ]

    def ms(r, impl):
        return f"{r['median_ms'][impl]:.2f}" if impl in r["median_ms"] else "n/a"

    def ratio(r, key, impl):
        return f"{r[key][impl]:.1f}×" if impl in r[key] else "n/a"

    def faults(r):
        per_pass = [r["page_faults_per_pass"].get(impl) for impl in IMPLS]
        return " / ".join("n/a" if n is None else f"{n:.0f}" for n in per_pass)

    for r in results:
        cells = [
            r["cell"],
            f"({r['config']}) {r['config_desc']}",
            *(ms(r, impl) for impl in IMPLS),
            ratio(r, "ratio_to_torch", "rnnbook.nn"),
            ratio(r, "ratio_to_torch_onednn_off", "rnnbook.nn"),
            ratio(r, "ratio_to_torch", "rnnbook.npnn"),
            faults(r),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    for impl, why in skipped.items():
        lines.append(f"\nSkipped {impl}: {why}.")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    torch.set_num_threads(args.threads)
    # said once per process by torch.nn.LSTM(proj_size > 0) on a CPU with oneDNN
    warnings.filterwarnings("ignore", "LSTM with projections is not supported")
    cells = [c.strip().upper() for c in args.cells.split(",") if c.strip()]
    bad = [c for c in cells if c not in CELLS] + [
        k for k in args.configs if k not in CONFIGS
    ]
    if bad:
        print(
            f"unknown cell(s) or config(s) {bad}; expected cells from {CELLS} and "
            f"configs from {tuple(CONFIGS)}",
            file=sys.stderr,
        )
        return 2
    modules = {name: load_optional(name) for name in MODULES}
    skipped = {
        name: f"could not be imported ({m})"
        for name, m in modules.items()
        if isinstance(m, str)
    }
    for name, why in skipped.items():
        print(f"note: skipping {name}, {why}", file=sys.stderr)

    info = {
        **machine(),
        "repeats": args.repeats,
        "warmup": args.warmup,
        "seed": args.seed,
    }
    results, failures, notes = [], [], []
    for key in args.configs:
        cfg = CONFIGS[key]
        for cell in filter(cfg.applies_to, cells):
            cases = build_cases(cell, cfg, modules, notes, seed=args.seed)
            for case in cases.values():
                case.step()
            errors = {
                name: max_rel_error(case, cases["torch.nn"])
                for name, case in cases.items()
                if name != "torch.nn"
            }
            failures += [
                f"{name} {cell} ({key}): relative error {e:.1e}"
                for name, e in errors.items()
                if e > TOLERANCE
            ]
            samples, faults = time_cases(cases, args.repeats, args.warmup)
            med = {name: 1e3 * statistics.median(s) for name, s in samples.items()}
            results.append(
                {
                    "cell": cell,
                    "config": key,
                    "config_desc": cfg.describe(),
                    "median_ms": med,
                    "ratio_to_torch": paired_ratios(samples, "torch.nn"),
                    "ratio_to_torch_onednn_off": paired_ratios(
                        samples, "torch.nn, oneDNN off"
                    ),
                    "min_ms": {name: 1e3 * min(s) for name, s in samples.items()},
                    "page_faults_per_pass": faults,
                    "max_rel_error": errors,
                }
            )
            if not args.json:
                print(f"  timed {cell} ({key})", file=sys.stderr, flush=True)
    if args.json:
        print(
            json.dumps(
                {
                    "machine": info,
                    "skipped": skipped,
                    "notes": notes,
                    "disagreements": failures,
                    "results": results,
                },
                indent=2,
            )
        )
    else:
        print(markdown(results, info, skipped))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for f in failures:
        print(
            f"WARNING: {f} disagrees with torch.nn (tolerance {TOLERANCE:g})",
            file=sys.stderr,
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
