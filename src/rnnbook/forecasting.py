"""The forecasting benchmark's training recipe, its score, and the checkpoints of the
trained models.

Introduced in the chapter "The forecasting benchmark", sections "Training as the seed
does" and "Beating the seed".

- :func:`last_step_mse`: the benchmark's score, the MSE of the forecast made at the last
  step; :func:`score` computes it for a model on one split;
- :func:`train_forecaster`: the seed's recipe (``nn.MSELoss`` over all steps and
  horizons, Adam, mini-batches of 64 reshuffled every epoch by a seeded generator, 10
  epochs), with an optional learning-rate schedule and an optional loss over the last
  steps only, returning a :class:`Run` that records, besides what
  :func:`rnnbook.train.fit` measures, the largest gradient norm of any step;
- :func:`train_seed_models`: the seed's three models (2-layer RNN, LSTM and GRU with ``H
  = 20``) trained with that recipe; ``scripts/train_benchmark.py`` (``make
  benchmark-models``) writes them to ``checkpoints/benchmark_seed_models.pt``;
- :func:`save_runs` and :func:`load_runs`: a checkpoint of named runs, each with its
  model's settings, its recipe, its weights and its history, readable with
  ``torch.load(path, weights_only=True)``. ``scripts/train_benchmark_best.py`` (``make
  benchmark-best``) writes the candidates of the chapter's last change to
  ``checkpoints/benchmark_best.pt`` in the same format.

Shapes follow the book's notation: ``X`` is (N, L, 1), ``Y`` is (N, L, K) with the next
``K`` values at every step, and a model maps (N, L, 1) to (N, L, K).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from rnnbook import baselines, train
from rnnbook.datasets import ForecastingBenchmark, data_dir
from rnnbook.models import CELLS, SeqForecaster

__all__ = [
    "BEST_CHECKPOINT_NAME",
    "CHECKPOINT_NAME",
    "RECIPE",
    "Run",
    "default_checkpoint",
    "last_step_mse",
    "load_runs",
    "save_runs",
    "score",
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
BEST_CHECKPOINT_NAME = "benchmark_best.pt"


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


def score(model: nn.Module, split) -> float:
    """:func:`last_step_mse` of ``model`` on one split of the benchmark (``bench.valid``
    or ``bench.test``), computed in float64 by :func:`rnnbook.baselines.mse`."""
    X, Y = _tensors(split)
    return float(baselines.mse(train.predict(model, X)[:, -1], Y[:, -1]))


@dataclass
class Run:
    """One trained model: the model, what :func:`rnnbook.train.fit` recorded, the test
    score (:func:`last_step_mse` on the test split, ``None`` when the run was not
    scored on test), the training time in seconds of CPU time (the process's, so one
    thread's when torch runs on one), the largest total gradient norm
    :math:`\\|g\\|_2` of any step in each epoch (``History.grad_norm`` holds the
    epoch's mean), and the settings: ``config`` the model's (``SeqForecaster``
    arguments) and ``recipe`` the training's."""

    model: nn.Module
    history: train.History
    test_mse: float | None
    seconds: float
    grad_norm_max: list[float] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    recipe: dict = field(default_factory=dict)


def _tensors(split) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(split.X), torch.from_numpy(split.Y)


def _positive_int_or_none(value, name: str) -> None:
    if value is not None and (
        not isinstance(value, int) or isinstance(value, bool) or value < 1
    ):
        raise ValueError(
            f"expected {name} to be None or a positive integer, got {value!r}"
        )


def train_forecaster(
    model: nn.Module,
    bench: ForecastingBenchmark,
    *,
    epochs: int = RECIPE["epochs"],
    lr: float = RECIPE["lr"],
    batch_size: int = RECIPE["batch_size"],
    seed: int = 0,
    scheduler=None,
    loss_steps: int | None = None,
    test: bool = True,
) -> Run:
    """Train ``model`` on ``bench.train`` with the seed's recipe unless told otherwise.

    The loss is ``nn.MSELoss()`` over all steps and horizons, or over the last
    ``loss_steps`` steps only; Adam with learning rate ``lr`` (``scheduler``: a factory
    ``optimizer -> LR scheduler``, stepped once per epoch); mini-batches of
    ``batch_size`` reshuffled every epoch by a generator seeded with ``seed``. After
    every epoch the validation loss and :func:`last_step_mse` on ``bench.valid`` are
    recorded (as the metric ``"last_step"``), and so is the largest gradient norm of
    the epoch's steps. With ``test=True`` the model is scored on ``bench.test`` at the
    end; with ``test=False`` it is not (``Run.test_mse`` is ``None``), as for
    candidates that are compared on validation before one of them is tested. The
    initial weights are the caller's: seed ``torch`` before building the model.
    """
    if not isinstance(bench, ForecastingBenchmark):
        raise TypeError(
            "expected bench to be a ForecastingBenchmark "
            "(rnnbook.datasets.forecasting_benchmark()), "
            f"got {type(bench).__name__}"
        )
    _positive_int_or_none(loss_steps, "loss_steps")
    loader = DataLoader(
        TensorDataset(*_tensors(bench.train)),
        batch_size=batch_size,
        shuffle=True,
        # seeded shuffling
        generator=torch.Generator().manual_seed(seed),
    )
    val_loader = DataLoader(TensorDataset(*_tensors(bench.valid)), batch_size=1000)
    if loss_steps is None:
        loss_fn = nn.MSELoss()
    else:

        def loss_fn(y_hat, y):  # (N, L, K): only the last loss_steps steps count
            return nn.functional.mse_loss(y_hat[:, -loss_steps:], y[:, -loss_steps:])

    optimizer = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=lr
    )
    params = [p for group in optimizer.param_groups for p in group["params"]]
    step_norms = []  # ||g||_2 of every step

    def record_norm(optimizer, args, kwargs):  # runs just before every update
        grads = [p.grad for p in params if p.grad is not None]
        step_norms.append(float(nn.utils.get_total_norm(grads)))

    optimizer.register_step_pre_hook(record_norm)
    start = time.process_time()  # CPU time: what the run costs, on a busy machine too
    history = train.fit(
        model,
        loader,
        val_loader,
        loss_fn=loss_fn,
        epochs=epochs,
        optimizer=optimizer,
        scheduler=scheduler,
        metrics={"last_step": last_step_mse},
        progress=False,
    )
    seconds = time.process_time() - start
    per_epoch = len(loader)
    grad_norm_max = [
        max(step_norms[i : i + per_epoch]) for i in range(0, len(step_norms), per_epoch)
    ]
    recipe = {
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "seed": seed,
        "loss_steps": loss_steps,
    }
    return Run(
        model,
        history,
        score(model, bench.test) if test else None,
        seconds,
        grad_norm_max,
        config=_config(model),
        recipe=recipe,
    )


def _config(model: nn.Module) -> dict:
    """The arguments that rebuild a SeqForecaster (empty for any other model)."""
    if not isinstance(model, SeqForecaster):
        return {}
    names = ("cell", "input_size", "hidden_size", "num_layers", "horizon")
    return {name: getattr(model, name) for name in names}


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


def default_checkpoint(name: str = CHECKPOINT_NAME) -> Path:
    """``checkpoints/<name>`` next to the book's ``data/`` folder (by default the
    seed's models, ``benchmark_seed_models.pt``)."""
    return data_dir().parent / "checkpoints" / name


def save_runs(path, runs: dict[str, Run], **metadata) -> None:
    """Write named runs of :class:`~rnnbook.models.SeqForecaster` models as plain
    tensors, lists and numbers (readable with ``torch.load(path, weights_only=True)``):
    per run its model settings, recipe, state dict, history, test score (or None),
    training time and largest gradient norms, plus ``metadata`` (the command,
    versions)."""
    payload = {
        "runs": {
            name: {
                "config": dict(run.config or _config(run.model)),
                "recipe": dict(run.recipe),
                "state_dict": run.model.state_dict(),
                "history": run.history.to_dict(),
                "test_mse": run.test_mse,
                "seconds": run.seconds,
                "grad_norm_max": list(run.grad_norm_max),
            }
            for name, run in runs.items()
        },
        "metadata": dict(metadata),
    }
    torch.save(payload, path)


def load_runs(path=None) -> tuple[dict[str, Run], dict]:
    """Read a file written by :func:`save_runs` (default: :func:`default_checkpoint`)
    and return ``({name: Run}, metadata)``, each model in eval mode."""
    path = default_checkpoint() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no checkpoint at {path}; make it with `make benchmark-models` (the "
            "seed's models) or `make benchmark-best`"
        )
    payload = torch.load(path, weights_only=True)
    if not isinstance(payload, dict) or not {"runs", "metadata"} <= set(payload):
        got = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(
            f"expected a benchmark checkpoint with runs and metadata, got {got}"
        )
    runs = {}
    for name, saved in payload["runs"].items():
        model = SeqForecaster(**saved["config"])
        model.load_state_dict(saved["state_dict"])
        model.eval()
        test_mse = saved["test_mse"]
        runs[name] = Run(
            model,
            train.History(**saved["history"]),
            None if test_mse is None else float(test_mse),
            float(saved["seconds"]),
            [float(g) for g in saved["grad_norm_max"]],
            config=dict(saved["config"]),
            recipe=dict(saved["recipe"]),
        )
    return runs, dict(payload["metadata"])
