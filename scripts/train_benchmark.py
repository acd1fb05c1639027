"""Train the seed's three forecasting models and write
``checkpoints/benchmark_seed_models.pt``.

    make benchmark-models      # = .venv/bin/python scripts/train_benchmark.py

The experiment of the chapter "The forecasting benchmark", section "Training as the seed
does": 2-layer RNN, LSTM and GRU with 20 hidden units and a per-step ``Linear(20, 10)``,
each initialised with ``torch.manual_seed(0)`` and trained by
``rnnbook.forecasting.train_forecaster`` with the seed's recipe (Adam 1e-3, batches of
64 shuffled by a seeded generator, 10 epochs) on
``rnnbook.datasets.forecasting_benchmark()``. Seeded and pinned to one CPU thread, so a
re-run on the same machine gives the same weights. The three runs take about 45 seconds,
more than the chapter's budget, so the chapter loads them from the file
(``rnnbook.forecasting.load_runs``).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

import rnnbook
from rnnbook import datasets, forecasting
from rnnbook.models import CELLS

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "checkpoints" / forecasting.CHECKPOINT_NAME
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    cpu_start = time.process_time()
    rnnbook.setup(seed=args.seed, threads=args.threads, style=False)
    bench = datasets.forecasting_benchmark()
    runs = {}
    for cell in CELLS:
        runs.update(forecasting.train_seed_models(bench, seed=args.seed, cells=[cell]))
        run = runs[cell]
        print(
            f"{cell.upper():4s} test MSE, last step {run.test_mse:.4f}  "
            f"(val {run.history.metrics['last_step'][-1]:.4f}, {run.seconds:.1f} s, "
            f"largest gradient norm of a step {max(run.grad_norm_max):.2f})",
            flush=True,
        )
    cpu_seconds = time.process_time() - cpu_start
    print(f"CPU time {cpu_seconds:.0f} s", flush=True)
    metadata = {
        "cpu_seconds": cpu_seconds,
        "command": " ".join(
            [
                "python scripts/train_benchmark.py",
                *(argv if argv is not None else sys.argv[1:]),
            ]
        ),
        "data": "rnnbook.datasets.forecasting_benchmark() (seed 42; 7000 / 2000 / 1000 "
        "series)",
        "recipe": dict(forecasting.RECIPE),
        "seed": args.seed,
        "threads": args.threads,
        "torch": str(torch.__version__),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    forecasting.save_runs(args.out, runs, **metadata)
    print(f"wrote {args.out} ({args.out.stat().st_size / 2**10:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
