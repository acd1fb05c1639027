"""The forecasting benchmark's training recipe, its score, and the checkpoint of the
seed's models.

Introduced in the chapter "The forecasting benchmark", section "Training as the seed
does".

- :func:`last_step_mse`: the benchmark's score, the MSE of the forecast made at the last
  step;
- :func:`train_forecaster`: the seed's recipe (``nn.MSELoss`` over all steps and
  horizons, Adam, mini-batches of 64 reshuffled every epoch by a seeded generator, 10
  epochs), with an optional learning-rate schedule, returning a :class:`Run`;
- :func:`train_seed_models`: the seed's three models (2-layer RNN, LSTM and GRU with ``H
  = 20``) trained with that recipe; ``scripts/train_benchmark.py`` (``make
  benchmark-models``) runs it and writes ``checkpoints/benchmark_seed_models.pt`` with
  :func:`save_runs`, which the chapter reads with :func:`load_runs` because the three
  runs together take longer than its time budget.

Shapes follow the book's notation: ``X`` is (N, L, 1), ``Y`` is (N, L, K) with the next
``K`` values at every step, and a model maps (N, L, 1) to (N, L, K).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from rnnbook import baselines, train
from rnnbook.datasets import ForecastingBenchmark, data_dir
from rnnbook.models import CELLS, SeqForecaster

__all__ = [
    "CHECKPOINT_NAME",
    "RECIPE",
    "Run",
    "default_checkpoint",
    "last_step_mse",
    "load_runs",
    "save_runs",
    "seed_model",
    "train_forecaster",
    "train_seed_models",
]

#: The seed's training recipe.
RECIPE = {"epochs": 10, "lr": 1e-3, "batch_size": 64}
#: The seed's model: 2 recurrent layers of 20 units and a 10-value read-out at every
# step.
SEED_MODEL = {"input_size": 1, "hidden_size": 20, "num_layers": 2, "horizon": 10}
CHECKPOINT_NAME = "benchmark_seed_models.pt"


def last_step_mse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The benchmark's score: the MSE of the forecast made at the last step, (N, L, K)
    -> scalar.
    """
    if y_hat.shape != y.shape or y_hat.dim() != 3:
        raise ValueError(
            "expected y_hat and y of the same shape (N, L, K), got "
            f"{tuple(y_hat.shape)} "
            f"and {tuple(y.shape)}"
        )
    return nn.functional.mse_loss(y_hat[:, -1], y[:, -1])  # (N, K) against (N, K)


@dataclass
class Run:
    """One trained model: the model, what :func:`rnnbook.train.fit` recorded, the test
    score (:func:`last_step_mse` on the test split) and the training time in seconds."""

    model: nn.Module
    history: train.History
    test_mse: float
    seconds: float


def _tensors(split) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(split.X), torch.from_numpy(split.Y)


def train_forecaster(
    model: nn.Module,
    bench: ForecastingBenchmark,
    *,
    epochs: int = RECIPE["epochs"],
    lr: float = RECIPE["lr"],
    batch_size: int = RECIPE["batch_size"],
    seed: int = 0,
    scheduler=None,
) -> Run:
    """Train ``model`` on ``bench.train`` with the seed's recipe unless told otherwise.

    The loss is ``nn.MSELoss()`` over all steps and horizons; Adam with learning rate
    ``lr`` (``scheduler``: a factory ``optimizer -> LR scheduler``, stepped once per
    epoch); mini-batches of ``batch_size`` reshuffled every epoch by a generator seeded
    with ``seed``. After every epoch the validation loss and :func:`last_step_mse` on
    ``bench.valid`` are recorded (as the metric ``"last_step"``); at the end the test
    score is computed on ``bench.test``. The initial weights are the caller's: seed
    ``torch`` before building the model.
    """
    if not isinstance(bench, ForecastingBenchmark):
        raise TypeError(
            "expected bench to be a ForecastingBenchmark "
            "(rnnbook.datasets.forecasting_benchmark()), "
            f"got {type(bench).__name__}"
        )
    X_train, Y_train = _tensors(bench.train)
    X_test, Y_test = _tensors(bench.test)
    loader = DataLoader(
        TensorDataset(X_train, Y_train),
        batch_size=batch_size,
        shuffle=True,
        # seeded shuffling
        generator=torch.Generator().manual_seed(seed),
    )
    val_loader = DataLoader(TensorDataset(*_tensors(bench.valid)), batch_size=1000)
    start = time.perf_counter()
    history = train.fit(
        model,
        loader,
        val_loader,
        loss_fn=nn.MSELoss(),
        epochs=epochs,
        lr=lr,
        scheduler=scheduler,
        metrics={"last_step": last_step_mse},
        progress=False,
    )
    seconds = time.perf_counter() - start
    test_mse = baselines.mse(train.predict(model, X_test)[:, -1], Y_test[:, -1])
    return Run(model, history, float(test_mse), seconds)


def seed_model(cell: str) -> SeqForecaster:
    """The seed's model for ``cell`` (``"rnn"``, ``"lstm"`` or ``"gru"``), freshly
    initialised.
    """
    return SeqForecaster(cell, **SEED_MODEL)


def train_seed_models(
    bench: ForecastingBenchmark, seed: int = 0, cells=CELLS
) -> dict[str, Run]:
    """The seed's experiment: each model initialised with ``torch.manual_seed(seed)``
    and trained by :func:`train_forecaster` with the seed's recipe and shuffling seed
    ``seed``."""
    runs = {}
    for cell in cells:
        torch.manual_seed(seed)  # initial weights
        runs[cell] = train_forecaster(seed_model(cell), bench, seed=seed)
    return runs


def default_checkpoint() -> Path:
    """``checkpoints/benchmark_seed_models.pt`` next to the book's ``data/`` folder."""
    return data_dir().parent / "checkpoints" / CHECKPOINT_NAME


def save_runs(path, runs: dict[str, Run], **metadata) -> None:
    """Write the seed's models as plain tensors, lists and numbers (readable with
    ``torch.load(path, weights_only=True)``): per cell its state dict, history, test
    score and training time, plus ``metadata`` (the command, the recipe, versions)."""
    payload = {
        "model": dict(SEED_MODEL),
        "recipe": dict(RECIPE),
        "runs": {
            cell: {
                "state_dict": run.model.state_dict(),
                "history": run.history.to_dict(),
                "test_mse": run.test_mse,
                "seconds": run.seconds,
            }
            for cell, run in runs.items()
        },
        "metadata": dict(metadata),
    }
    torch.save(payload, path)


def load_runs(path=None) -> tuple[dict[str, Run], dict]:
    """Read a file written by :func:`save_runs` (default: :func:`default_checkpoint`)
    and return ``({cell: Run}, metadata)``, each model in eval mode."""
    path = default_checkpoint() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no checkpoint at {path}; make it with `make benchmark-models`"
        )
    payload = torch.load(path, weights_only=True)
    if not isinstance(payload, dict) or not {"model", "runs", "metadata"} <= set(
        payload
    ):
        got = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(
            f"expected a benchmark checkpoint with model, runs and metadata, got {got}"
        )
    runs = {}
    for cell, saved in payload["runs"].items():
        model = SeqForecaster(cell, **payload["model"])
        model.load_state_dict(saved["state_dict"])
        model.eval()
        runs[cell] = Run(
            model,
            train.History(**saved["history"]),
            float(saved["test_mse"]),
            float(saved["seconds"]),
        )
    return runs, dict(
        payload["metadata"], recipe=payload.get("recipe"), model=payload["model"]
    )
