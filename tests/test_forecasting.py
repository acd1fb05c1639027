"""The forecasting benchmark's recipe (rnnbook.forecasting) and the committed
checkpoints: the seed's three models, checkpoints/benchmark_seed_models.pt, and the
candidates of the chapter's last change, checkpoints/benchmark_best.pt."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rnnbook import baselines, datasets, forecasting, train
from rnnbook.models import SeqForecaster

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = ROOT / "checkpoints" / forecasting.CHECKPOINT_NAME
BEST_CHECKPOINT = ROOT / "checkpoints" / forecasting.BEST_CHECKPOINT_NAME
DEPTH_WIDTH_CHECKPOINT = ROOT / "checkpoints" / "deep_depth_width.pt"


@pytest.fixture(scope="module")
def small_bench():
    return datasets.forecasting_benchmark(n_series=200, n_steps=12, horizon=3)


@pytest.fixture(scope="module")
def bench():
    return datasets.forecasting_benchmark()


def test_last_step_mse_scores_only_the_last_step():
    y = torch.zeros(4, 5, 3)
    y_hat = torch.zeros(4, 5, 3)
    y_hat[:, :-1] = 100.0  # errors before the last step do not count
    y_hat[:, -1] = 2.0
    assert forecasting.last_step_mse(y_hat, y).item() == pytest.approx(4.0)
    with pytest.raises(ValueError, match=r"\(N, L, K\), got \(4, 5, 3\) and \(4, 3\)"):
        forecasting.last_step_mse(y_hat, y[:, -1])


def test_train_forecaster_is_seeded_and_learns(small_bench):
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = SeqForecaster(
            "gru", input_size=1, hidden_size=8, num_layers=1, horizon=3
        )
        runs.append(
            forecasting.train_forecaster(
                model, small_bench, epochs=3, lr=1e-2, batch_size=32
            )
        )
    first, second = runs
    assert (
        first.history.epochs_run == 3 and len(first.history.metrics["last_step"]) == 3
    )
    assert first.history.train_loss == second.history.train_loss  # same seeds, same run
    assert first.test_mse == second.test_mse
    assert first.history.train_loss[-1] < first.history.train_loss[0]
    X_test, Y_test = (torch.from_numpy(a) for a in small_bench.test)
    assert first.test_mse == pytest.approx(
        baselines.mse(train.predict(first.model, X_test)[:, -1], Y_test[:, -1])
    )
    torch.manual_seed(0)
    model = SeqForecaster("gru", input_size=1, hidden_size=8, num_layers=1, horizon=3)
    other = forecasting.train_forecaster(
        model, small_bench, epochs=3, lr=1e-2, batch_size=32, seed=1
    )
    # the shuffling seed matters
    assert other.history.train_loss != first.history.train_loss


def test_train_forecaster_takes_a_schedule(small_bench):
    torch.manual_seed(0)
    model = SeqForecaster("rnn", input_size=1, hidden_size=4, num_layers=1, horizon=3)
    run = forecasting.train_forecaster(
        model,
        small_bench,
        epochs=4,
        lr=1e-2,
        scheduler=lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4),
    )
    assert (
        run.history.lr[0] == pytest.approx(1e-2)
        and run.history.lr[-1] < run.history.lr[1] < 1e-2
    )


def test_train_forecaster_rejects_a_wrong_benchmark():
    with pytest.raises(
        TypeError, match="expected bench to be a ForecastingBenchmark.*got tuple"
    ):
        forecasting.train_forecaster(SeqForecaster(), (None, None))
    with pytest.raises(ValueError, match="loss_steps to be None or a positive integer"):
        forecasting.train_forecaster(
            SeqForecaster(), datasets.forecasting_benchmark(n_series=20), loss_steps=0
        )


def test_loss_steps_restricts_the_loss_and_test_false_skips_the_test(small_bench):
    torch.manual_seed(0)
    model = SeqForecaster("lstm", input_size=1, hidden_size=4, num_layers=1, horizon=3)
    run = forecasting.train_forecaster(
        model, small_bench, epochs=2, lr=1e-2, loss_steps=1, test=False
    )
    # the validation loss uses the training loss: over the last step only, it is the
    # benchmark's score
    assert run.history.val_loss == pytest.approx(run.history.metrics["last_step"])
    assert run.test_mse is None
    assert run.recipe["loss_steps"] == 1 and run.recipe["epochs"] == 2
    assert run.config == {
        "cell": "lstm",
        "input_size": 1,
        "hidden_size": 4,
        "num_layers": 1,
        "horizon": 3,
    }
    assert forecasting.score(model, small_bench.valid) == pytest.approx(
        run.history.metrics["last_step"][-1], rel=1e-5
    )


def test_the_largest_gradient_norm_of_a_step_is_recorded_per_epoch(small_bench):
    torch.manual_seed(0)
    model = SeqForecaster("gru", input_size=1, hidden_size=4, num_layers=1, horizon=3)
    run = forecasting.train_forecaster(model, small_bench, epochs=3, batch_size=16)
    assert len(run.grad_norm_max) == 3
    for largest, mean in zip(run.grad_norm_max, run.history.grad_norm):
        assert largest >= mean * (1 - 1e-6) > 0


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    model = forecasting.seed_model("lstm")
    run = forecasting.train_forecaster(
        model, datasets.forecasting_benchmark(n_series=100), epochs=1
    )
    path = tmp_path / "runs.pt"
    forecasting.save_runs(path, {"lstm": run}, command="test")
    loaded, meta = forecasting.load_runs(path)
    assert meta == {"command": "test"}
    again = loaded["lstm"]
    assert (
        again.test_mse == run.test_mse
        and again.history == run.history
        and again.grad_norm_max == run.grad_norm_max
        and again.config == run.config == {"cell": "lstm", **forecasting.SEED_MODEL}
        and again.recipe == run.recipe
        and not again.model.training
    )
    for (name, a), (name_b, b) in zip(
        run.model.state_dict().items(), again.model.state_dict().items()
    ):
        assert name == name_b and torch.equal(a, b)


def test_load_runs_names_the_missing_file_and_rejects_other_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="make benchmark-models"):
        forecasting.load_runs(tmp_path / "missing.pt")
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(
        ValueError,
        match="expected a benchmark checkpoint with runs and metadata",
    ):
        forecasting.load_runs(tmp_path / "other.pt")


# --- the committed checkpoint ---------------------------------------------------------


def test_committed_checkpoint_holds_the_seed_experiment(bench):
    runs, meta = forecasting.load_runs(CHECKPOINT)
    assert set(runs) == {"rnn", "lstm", "gru"}
    assert meta["recipe"] == {"epochs": 10, "lr": 1e-3, "batch_size": 64}
    assert (
        meta["seed"] == 0
        and meta["threads"] == 1
        and "train_benchmark.py" in meta["command"]
    )
    for cell, run in runs.items():
        assert run.config == {"cell": cell, **forecasting.SEED_MODEL}
        assert run.recipe == {
            "epochs": 10,
            "lr": 1e-3,
            "batch_size": 64,
            "seed": 0,
            "loss_steps": None,
        }
        assert run.model.cell == cell and run.history.epochs_run == 10
        assert run.history.lr == [1e-3] * 10 and len(run.grad_norm_max) == 10
        # the weights give the recorded score
        assert forecasting.score(run.model, bench.test) == pytest.approx(
            run.test_mse, abs=1e-6
        )
        assert 0.005 < run.test_mse < 0.03  # the size of the seed's published numbers


def test_committed_best_checkpoint_chose_on_validation_and_reaches_the_target(bench):
    """The headline number of the forecasting chapter: the candidate chosen on
    validation scores at most 0.0015 on test, the only test score in the file."""
    runs, meta = forecasting.load_runs(BEST_CHECKPOINT)
    assert "train_benchmark_best.py" in meta["command"] and meta["threads"] == 1
    chosen = meta["chosen"]
    val = {name: run.history.metrics["last_step"][-1] for name, run in runs.items()}
    assert chosen == min(val, key=val.get)
    assert [name for name, run in runs.items() if run.test_mse is not None] == [chosen]
    best = runs[chosen]
    # the weights give the recorded scores
    assert forecasting.score(best.model, bench.valid) == pytest.approx(
        val[chosen], rel=1e-4
    )
    assert forecasting.score(best.model, bench.test) == pytest.approx(
        best.test_mse, abs=1e-6
    )
    assert best.test_mse <= 0.0015
    # the chapter's target, on validation: a tenth of the linear forecaster's error
    linear = baselines.fit_linear_forecaster(
        bench.train.X[..., 0], bench.train.Y[:, -1]
    )
    linear_valid = baselines.mse(
        linear.predict(bench.valid.X[..., 0]), bench.valid.Y[:, -1]
    )
    assert val[chosen] <= linear_valid / 10


def test_retraining_the_seed_rnn_reproduces_the_checkpoint(bench):
    """The command's recipe, re-run for the cheapest of the three models (a few
    seconds). On the CPU that wrote the file the numbers agree bit for bit; on another
    they drift a little."""
    runs, _ = forecasting.load_runs(CHECKPOINT)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the command and the chapters run
    try:
        fresh = forecasting.train_seed_models(bench, seed=0, cells=["rnn"])["rnn"]
    finally:
        torch.set_num_threads(threads)
    assert fresh.test_mse == pytest.approx(runs["rnn"].test_mse, rel=0.1)
    assert fresh.history.train_loss[0] == pytest.approx(
        runs["rnn"].history.train_loss[0], rel=1e-3
    )


def test_committed_depth_width_checkpoint_holds_models_that_learned_the_task(bench):
    """The deep RNNs chapter compares depth and width only where every model beats the
    linear forecaster; the test split is never used."""
    runs, meta = forecasting.load_runs(DEPTH_WIDTH_CHECKPOINT)
    assert "train_depth_width.py" in meta["command"] and meta["threads"] == 1
    configs = [tuple(c) for c in meta["configs"]]
    assert configs == [(1, 64), (2, 38), (3, 30)] and meta["seeds"] == [0, 1, 2, 3, 4]
    assert set(runs) == {f"{n}x{H}_seed{s}" for n, H in configs for s in meta["seeds"]}
    linear = baselines.fit_linear_forecaster(
        bench.train.X[..., 0], bench.train.Y[:, -1]
    )
    linear_valid = baselines.mse(
        linear.predict(bench.valid.X[..., 0]), bench.valid.Y[:, -1]
    )
    for name, run in runs.items():
        n, H = (int(v) for v in name.split("_")[0].split("x"))
        assert run.config["cell"] == "rnn"
        assert (run.config["num_layers"], run.config["hidden_size"]) == (n, H)
        assert run.test_mse is None and run.history.epochs_run == 20
        assert run.history.metrics["last_step"][-1] < linear_valid / 3
    run = runs["2x38_seed0"]  # the weights give the recorded score
    assert forecasting.score(run.model, bench.valid) == pytest.approx(
        run.history.metrics["last_step"][-1], rel=1e-4
    )
