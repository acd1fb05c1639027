"""Train the candidates of the forecasting benchmark's last change, choose one on
validation, score it once on test, and write ``checkpoints/benchmark_best.pt``.

    make benchmark-best      # = .venv/bin/python scripts/train_benchmark_best.py

The chapter "The forecasting benchmark", section "Change 3: longer, and trained on
what is scored", continues the ladder of improvements of the seed's LSTM (2 layers, a
per-step ``Linear`` read-out, Adam with a cosine-annealed learning rate, batches of 64)
with three candidates, each one change away from the one before:

- ``h32_all``: the chapter's best model in the notebook (H = 32), trained for 60 epochs
  instead of 20;
- ``h32_last10``: the same, with the loss over the last 10 of the 50 steps only;
- ``h64_last10``: the same loss, with H = 64 (and a learning rate of 5e-3).

Each is initialised with ``torch.manual_seed(seed)`` and trained by
``rnnbook.forecasting.train_forecaster`` on ``rnnbook.datasets.forecasting_benchmark()``
without looking at the test split. The candidate with the lowest validation score
(:func:`rnnbook.forecasting.last_step_mse` on the 2000 validation series after the last
epoch) is chosen and scored once on the 1000 test series; the others are never scored
on test. Seeded and pinned to one CPU thread, so a re-run on the same machine gives
the same weights. The three runs take a few minutes, more than the chapter's budget,
so the chapter loads them from the file (``rnnbook.forecasting.load_runs``).
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

#: name -> (SeqForecaster arguments, train_forecaster arguments)
CANDIDATES = {
    "h32_all": (
        {"cell": "lstm", "hidden_size": 32, "num_layers": 2},
        {"epochs": 60, "lr": 1e-2, "loss_steps": None},
    ),
    "h32_last10": (
        {"cell": "lstm", "hidden_size": 32, "num_layers": 2},
        {"epochs": 60, "lr": 1e-2, "loss_steps": 10},
    ),
    "h64_last10": (
        {"cell": "lstm", "hidden_size": 64, "num_layers": 2},
        {"epochs": 60, "lr": 5e-3, "loss_steps": 10},
    ),
}


def cosine(epochs: int):
    """Cosine annealing from the initial learning rate to 0 over ``epochs`` epochs."""
    return lambda optimizer: torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=epochs
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "checkpoints" / forecasting.BEST_CHECKPOINT_NAME,
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    cpu_start = time.process_time()
    rnnbook.setup(seed=args.seed, threads=args.threads, style=False)
    bench = datasets.forecasting_benchmark()
    runs = {}
    for name, (config, recipe) in CANDIDATES.items():
        torch.manual_seed(args.seed)  # initial weights
        model = SeqForecaster(**config)
        runs[name] = forecasting.train_forecaster(
            model,
            bench,
            epochs=recipe["epochs"],
            lr=recipe["lr"],
            seed=args.seed,
            scheduler=cosine(recipe["epochs"]),
            loss_steps=recipe["loss_steps"],
            test=False,  # candidates are compared on validation only
        )
        run = runs[name]
        print(
            f"{name:10s} validation MSE, last step "
            f"{run.history.metrics['last_step'][-1]:.5f}  ({run.seconds:.0f} s, "
            f"largest gradient norm of a step {max(run.grad_norm_max):.2f})",
            flush=True,
        )
    chosen = min(runs, key=lambda name: runs[name].history.metrics["last_step"][-1])
    runs[chosen].test_mse = forecasting.score(runs[chosen].model, bench.test)
    print(
        f"chosen on validation: {chosen}; "
        f"test MSE, last step {runs[chosen].test_mse:.5f}"
    )
    cpu_seconds = time.process_time() - cpu_start
    print(f"CPU time {cpu_seconds:.0f} s", flush=True)
    metadata = {
        "chosen": chosen,
        "cpu_seconds": cpu_seconds,
        "command": " ".join(
            [
                "python scripts/train_benchmark_best.py",
                *(argv if argv is not None else sys.argv[1:]),
            ]
        ),
        "data": "rnnbook.datasets.forecasting_benchmark() (seed 42; 7000 / 2000 / 1000 "
        "series)",
        "schedule": "CosineAnnealingLR(T_max=epochs), stepped once per epoch",
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
