"""Tests for rnnbook.train: fit, evaluate, predict and History."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from rnnbook.train import History, evaluate, fit, predict


def regression_loaders(n_train=96, n_val=40, batch_size=16, seed=0):
    """y = x w + 0.3 + noise, with 3 features: a linear model fits it almost exactly."""
    g = torch.Generator().manual_seed(seed)
    w = torch.tensor([[1.5], [-2.0], [0.5]])
    x = torch.randn(n_train + n_val, 3, generator=g)
    y = x @ w + 0.3 + 0.01 * torch.randn(n_train + n_val, 1, generator=g)
    train = DataLoader(
        TensorDataset(x[:n_train], y[:n_train]),
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    val = DataLoader(TensorDataset(x[n_train:], y[n_train:]), batch_size=batch_size)
    return train, val


def linear(seed=0):
    torch.manual_seed(seed)
    return nn.Linear(3, 1)


def test_fit_reduces_loss_and_history_lengths():
    train, val = regression_loaders()
    model = linear()
    before = evaluate(model, val, nn.MSELoss())
    hist = fit(
        model, train, val, loss_fn=nn.MSELoss(), epochs=30, lr=0.05, progress=False
    )
    assert isinstance(hist, History)
    assert hist.epochs_run == 30
    for values in (hist.train_loss, hist.val_loss, hist.lr, hist.grad_norm):
        assert len(values) == 30
    assert hist.val_loss[-1] < 0.01 * before
    assert hist.train_loss[-1] < hist.train_loss[0]
    assert hist.best_epoch == 1 + min(range(30), key=hist.val_loss.__getitem__)
    assert all(lr == 0.05 for lr in hist.lr)
    assert all(g > 0 for g in hist.grad_norm)
    # the last val loss in the history is the loss of the returned model
    assert evaluate(model, val, nn.MSELoss()) == pytest.approx(
        hist.val_loss[-1], rel=1e-6
    )


def test_history_to_dict_is_json_ready():
    train, val = regression_loaders()
    hist = fit(
        linear(),
        train,
        val,
        loss_fn=nn.MSELoss(),
        epochs=2,
        progress=False,
        metrics={"mae": lambda y_hat, y: (y_hat - y).abs().mean()},
    )
    d = hist.to_dict()
    assert set(d) == {
        "train_loss",
        "val_loss",
        "lr",
        "grad_norm",
        "metrics",
        "epochs_run",
        "best_epoch",
    }
    assert len(d["metrics"]["mae"]) == 2
    assert json.loads(json.dumps(d)) == d


def test_fit_without_validation():
    train, _ = regression_loaders()
    hist = fit(linear(), train, loss_fn=nn.MSELoss(), epochs=3, progress=False)
    assert hist.val_loss == [] and len(hist.train_loss) == 3
    assert hist.best_epoch == 1 + min(range(3), key=hist.train_loss.__getitem__)


def test_evaluate_matches_manual_computation_with_ragged_last_batch():
    train, val = regression_loaders(n_val=40, batch_size=16)  # batches of 16, 16, 8
    model = linear()
    x, y = val.dataset.tensors
    with torch.no_grad():
        mse = ((model(x) - y) ** 2).mean().item()
        mae = (model(x) - y).abs().mean().item()
    assert evaluate(model, val, nn.MSELoss()) == pytest.approx(mse, rel=1e-6)
    out = evaluate(
        model, val, nn.MSELoss(), metrics={"mae": lambda a, b: (a - b).abs().mean()}
    )
    assert out["loss"] == pytest.approx(mse, rel=1e-6)
    assert out["mae"] == pytest.approx(mae, rel=1e-6)


def test_evaluate_and_predict_use_eval_mode_no_grad_and_restore_mode():
    seen = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def forward(self, x):
            seen.append((self.training, torch.is_grad_enabled()))
            return self.lin(x)

    model = Probe()
    model.train()
    _, val = regression_loaders()
    evaluate(model, val, nn.MSELoss())
    out = predict(model, val)
    assert all(state == (False, False) for state in seen)
    assert model.training  # restored
    assert out.shape == (40, 1) and out.device.type == "cpu" and not out.requires_grad
    x = val.dataset.tensors[0]
    with torch.no_grad():
        torch.testing.assert_close(out, model.lin(x))
    torch.testing.assert_close(predict(model, x), out)
    # a loader of bare input tensors, as for a test set without targets
    torch.testing.assert_close(predict(model, DataLoader(x, batch_size=7)), out)


def test_fit_trains_in_train_mode():
    modes = []

    class Probe(nn.Linear):
        def forward(self, x):
            modes.append(self.training)
            return super().forward(x)

    train, _ = regression_loaders(n_train=32)
    model = Probe(3, 1).eval()
    fit(model, train, loss_fn=nn.MSELoss(), epochs=1, progress=False)
    assert modes and all(modes)
    assert not model.training  # mode on entry restored


def test_clipping_caps_the_gradient_norm_and_records_the_norm_before_clipping():
    train, _ = regression_loaders()
    model = linear()
    clipped_norms = []

    # sees the gradients after clipping, just before the update
    class Spy(torch.optim.SGD):
        def step(self, closure=None):
            grads = [p.grad for g in self.param_groups for p in g["params"]]
            clipped_norms.append(
                float(torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads])))
            )
            return super().step(closure)

    # a large target scale makes the raw gradients much bigger than the threshold
    big = [(x, 100 * y) for x, y in train]
    hist = fit(
        model,
        big,
        loss_fn=nn.MSELoss(),
        epochs=2,
        optimizer=Spy,
        lr=1e-4,
        clip_norm=1.0,
        progress=False,
    )
    assert len(clipped_norms) == 2 * len(big)
    assert max(clipped_norms) <= 1.0 + 1e-5
    assert min(clipped_norms) > 0.99  # every step was clipped down to the threshold...
    # ...and the history holds the norms before clipping
    assert min(hist.grad_norm) > 10.0


def test_grad_norm_recorded_matches_manual_norm():
    x = torch.randn(8, 3)
    y = torch.randn(8, 1)
    model = linear()
    ref = linear()
    nn.MSELoss()(ref(x), y).backward()
    expected = torch.linalg.vector_norm(
        torch.cat([p.grad.flatten() for p in ref.parameters()])
    )
    hist = fit(model, [(x, y)], loss_fn=nn.MSELoss(), epochs=1, progress=False)
    assert hist.grad_norm[0] == pytest.approx(float(expected), rel=1e-5)


def overshoot_problem():
    """Full-batch gradient descent from w = 0 towards the training optimum w = 2 passes
    the validation optimum w = 1 after a few epochs: the validation loss falls, then
    rises for good."""
    g = torch.Generator().manual_seed(0)
    x_train, x_val = torch.randn(64, 1, generator=g), torch.randn(32, 1, generator=g)
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.zero_()
    return model, [(x_train, 2 * x_train)], [(x_val, 1 * x_val)]


def test_early_stopping_stops_and_restores_best_weights():
    model, train, val = overshoot_problem()
    weights = []

    def snapshot(y_hat, y):  # a "metric" that records the weight at each validation
        weights.append(model.weight.item())
        return 0.0

    hist = fit(
        model,
        train,
        val,
        loss_fn=nn.MSELoss(),
        epochs=50,
        optimizer=torch.optim.SGD,
        lr=0.1,
        early_stopping=3,
        progress=False,
        metrics={"snap": snapshot},
    )
    assert 1 < hist.best_epoch < 10
    assert hist.epochs_run == hist.best_epoch + 3
    assert len(hist.val_loss) == len(weights) == hist.epochs_run
    assert min(hist.val_loss) == hist.val_loss[hist.best_epoch - 1]
    assert weights[-1] != weights[hist.best_epoch - 1]
    assert model.weight.item() == weights[hist.best_epoch - 1]  # best weights restored
    assert evaluate(model, val, nn.MSELoss()) == pytest.approx(
        min(hist.val_loss), rel=1e-6
    )


def test_step_scheduler_changes_lr():
    train, _ = regression_loaders()
    hist = fit(
        linear(),
        train,
        loss_fn=nn.MSELoss(),
        epochs=5,
        lr=0.1,
        progress=False,
        scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(
            opt, step_size=2, gamma=0.5
        ),
    )
    assert hist.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_scheduler_instance_and_plateau_use_val_loss():
    model, train, val = overshoot_problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, factor=0.5, patience=0, threshold=0.0
    )
    hist = fit(
        model,
        train,
        val,
        loss_fn=nn.MSELoss(),
        epochs=8,
        optimizer=opt,
        scheduler=plateau,
        progress=False,
    )
    # the lr is halved exactly after the epochs whose val loss did not improve
    expected, lr, best = [], 0.1, math.inf
    for v in hist.val_loss:
        expected.append(lr)
        if v < best:
            best = v
        else:
            lr *= 0.5
    assert hist.lr == pytest.approx(expected)
    assert hist.lr[-1] < 0.1


def test_scheduler_on_another_optimizer_is_rejected():
    train, _ = regression_loaders()
    other = torch.optim.SGD(linear().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="different optimizer"):
        fit(
            linear(),
            train,
            loss_fn=nn.MSELoss(),
            epochs=1,
            progress=False,
            scheduler=torch.optim.lr_scheduler.StepLR(other, 1),
        )


def test_progress_bar_and_log_lines(capsys):
    train, val = regression_loaders()
    fit(linear(), train, val, loss_fn=nn.MSELoss(), epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "val_loss" in err and "2/2" in err
    fit(
        linear(),
        train,
        val,
        loss_fn=nn.MSELoss(),
        epochs=5,
        progress=False,
        log_every=2,
    )
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["2/5", "4/5", "5/5"]
    assert all("train_loss" in line and "val_loss" in line for line in lines)
    assert captured.err == ""


def test_device_argument_moves_model():
    train, _ = regression_loaders(n_train=16)
    model = linear()
    fit(model, train, loss_fn=nn.MSELoss(), epochs=1, progress=False, device="cpu")
    assert next(model.parameters()).device.type == "cpu"


def test_tuple_inputs_are_unpacked():
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def forward(self, x, scale):
            return self.lin(x) * scale

    x, y, s = torch.randn(8, 3), torch.randn(8, 1), torch.ones(8, 1)
    hist = fit(
        TwoInputs(), [((x, s), y)], loss_fn=nn.MSELoss(), epochs=2, progress=False
    )
    assert len(hist.train_loss) == 2


def test_nonfinite_loss_stops_with_a_warning():
    x, y = torch.randn(8, 3), torch.full((8, 1), float("nan"))
    with pytest.warns(RuntimeWarning, match="nan"):
        hist = fit(linear(), [(x, y)], loss_fn=nn.MSELoss(), epochs=5, progress=False)
    assert hist.epochs_run == 1


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"epochs": 0}, ValueError, "epochs to be a positive integer"),
        ({"epochs": 2.5}, ValueError, "epochs to be a positive integer"),
        ({"epochs": True}, ValueError, "epochs to be a positive integer"),
        ({"clip_norm": 0}, ValueError, "clip_norm to be a positive"),
        ({"clip_norm": float("inf")}, ValueError, "clip_norm to be a positive"),
        ({"lr": -1.0}, ValueError, "lr to be a positive"),
        ({"early_stopping": 0}, ValueError, "early_stopping to be a positive integer"),
        ({"log_every": -2}, ValueError, "log_every to be a positive integer"),
        ({"loss_fn": "mse"}, TypeError, "loss_fn to be callable"),
        ({"optimizer": "adam"}, TypeError, "expected optimizer"),
        ({"scheduler": 3}, TypeError, "expected scheduler"),
        ({"metrics": {"loss": lambda a, b: 0.0}}, ValueError, "reserved"),
        ({"metrics": [len]}, TypeError, "metrics to be a dict"),
    ],
)
def test_bad_arguments_raise(kwargs, error, match):
    train, val = regression_loaders(n_train=16)
    args = {"loss_fn": nn.MSELoss(), "epochs": 1, "progress": False, **kwargs}
    with pytest.raises(error, match=match):
        fit(linear(), train, val, **args)


def test_bad_calls_raise():
    train, val = regression_loaders(n_train=16)
    mse = nn.MSELoss()
    with pytest.raises(TypeError, match="torch.nn.Module"):
        fit(lambda x: x, train, loss_fn=mse, epochs=1)
    with pytest.raises(ValueError, match="needs a val_loader"):
        fit(linear(), train, loss_fn=mse, epochs=1, early_stopping=2, progress=False)
    with pytest.raises(ValueError, match="val_loader is None"):
        fit(linear(), train, loss_fn=mse, epochs=1, metrics={"m": mse}, progress=False)
    with pytest.raises(TypeError, match=r"\(inputs, targets\) pair, got Tensor"):
        fit(
            linear(),
            DataLoader(torch.randn(8, 3), batch_size=4),
            loss_fn=mse,
            epochs=1,
            progress=False,
        )
    with pytest.raises(ValueError, match="at least one batch"):
        fit(linear(), [], loss_fn=mse, epochs=1, progress=False)
    with pytest.raises(ValueError, match="at least one batch"):
        evaluate(linear(), [], mse)
    model = linear()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="conflicts"):
        fit(model, train, loss_fn=mse, epochs=1, optimizer=opt, lr=0.5, progress=False)
    with pytest.raises(ValueError, match="other tensors"):
        fit(
            linear(),
            train,
            loss_fn=mse,
            epochs=1,
            optimizer=torch.optim.SGD(linear().parameters(), lr=0.1),
            progress=False,
        )
    with pytest.raises(TypeError, match="return a tensor"):
        predict(nn.RNN(3, 2, batch_first=True), torch.randn(2, 4, 3))
