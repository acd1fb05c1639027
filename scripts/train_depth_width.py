"""Train the deep RNNs chapter's depth-against-width experiment and write
``checkpoints/deep_depth_width.pt``.

    make depth-width      # = .venv/bin/python scripts/train_depth_width.py

The chapter "Deep (stacked) RNNs", section "Depth against width", compares Elman
forecasters (``SeqForecaster("rnn", ...)``: a stack of ``nn.RNN`` layers and a per-step
``Linear`` read-out to the next 10 values) at an equal budget of about 5 000
parameters: one layer of 64 units, two of 38, three of 30. Each configuration is
trained with five seeds (initial weights and shuffling) by
``rnnbook.forecasting.train_forecaster`` on the forecasting benchmark, with the recipe
of the forecasting chapter (Adam with a cosine-annealed learning rate, batches of 64,
the loss over all steps), and compared on the 2000 validation series; the test split is
not used. Seeded and pinned to one CPU thread, so a re-run on the same machine gives the
same weights. The fifteen runs take a few minutes, more than the chapter's budget, so
the chapter loads them from the file (``rnnbook.forecasting.load_runs``).
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
from rnnbook.models import SeqForecaster

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT_NAME = "deep_depth_width.pt"

#: (num_layers, hidden_size): about 5 000 parameters each, read-out included
CONFIGS = [(1, 64), (2, 38), (3, 30)]
SEEDS = [0, 1, 2, 3, 4]
RECIPE = {"epochs": 20, "lr": 5e-3}


def run_name(num_layers: int, hidden_size: int, seed: int) -> str:
    """The key of one run in the checkpoint, e.g. ``"2x38_seed0"``."""
    return f"{num_layers}x{hidden_size}_seed{seed}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "checkpoints" / CHECKPOINT_NAME
    )
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    cpu_start = time.process_time()
    rnnbook.setup(seed=0, threads=args.threads, style=False)
    bench = datasets.forecasting_benchmark()
    epochs, lr = RECIPE["epochs"], RECIPE["lr"]
    runs = {}
    for num_layers, hidden_size in CONFIGS:
        for seed in SEEDS:
            torch.manual_seed(seed)  # initial weights
            model = SeqForecaster("rnn", hidden_size=hidden_size, num_layers=num_layers)
            run = forecasting.train_forecaster(
                model,
                bench,
                epochs=epochs,
                lr=lr,
                seed=seed,
                scheduler=lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(
                    opt, T_max=epochs
                ),
                test=False,  # compared on validation only
            )
            runs[run_name(num_layers, hidden_size, seed)] = run
            print(
                f"{num_layers} x {hidden_size:2d}, seed {seed}: validation MSE, "
                f"last step {run.history.metrics['last_step'][-1]:.5f}  "
                f"({run.seconds:.0f} s, largest gradient norm of a step "
                f"{max(run.grad_norm_max):.2f})",
                flush=True,
            )
    cpu_seconds = time.process_time() - cpu_start
    print(f"CPU time {cpu_seconds:.0f} s", flush=True)
    metadata = {
        "configs": [list(c) for c in CONFIGS],
        "seeds": list(SEEDS),
        "recipe": dict(RECIPE, batch_size=64, loss_steps=None),
        "schedule": "CosineAnnealingLR(T_max=epochs), stepped once per epoch",
        "cpu_seconds": cpu_seconds,
        "command": " ".join(
            [
                "python scripts/train_depth_width.py",
                *(argv if argv is not None else sys.argv[1:]),
            ]
        ),
        "data": "rnnbook.datasets.forecasting_benchmark() (seed 42; 7000 / 2000 / 1000 "
        "series; the test split is not used)",
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
