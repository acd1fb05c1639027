"""A small, model-agnostic training loop: :func:`fit`, :func:`evaluate` and
:func:`predict`.

Used throughout the book, from the vanilla RNN chapter on; the gradient-norm record and
``clip_norm`` are introduced in the chapter on vanishing and exploding gradients,
section "Gradient clipping".

**Batches.** Every loader yields ``(inputs, targets)`` pairs (a ``DataLoader`` over a
``TensorDataset(X, Y)`` does). ``inputs`` is a tensor, passed as ``model(inputs)``, or a
tuple of tensors, passed as ``model(*inputs)`` (e.g. padded sequences and their
lengths). ``targets`` is whatever ``loss_fn(y_hat, targets)`` expects. Tensors are moved
to the device.

**Averages.** An epoch's loss is the mean of the batch losses weighted by batch size
(the first dimension of ``targets``), so with a mean-reduced loss it is the mean over
samples, whatever the size of the last batch. The training loss is averaged while the
weights change, as usual; the validation loss is computed after the epoch.
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Mapping

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from tqdm.auto import tqdm


@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch that ran.

    - ``train_loss``, ``val_loss`` (empty without a validation loader);
    - ``lr``: the learning rate used during the epoch (first parameter group);
    - ``grad_norm``: the mean over the epoch's batches of the total gradient norm
      :math:`\\|g\\|_2` over all parameters, measured *before* clipping;
    - ``metrics``: name -> per-epoch values on the validation set;
    - ``epochs_run`` (fewer than asked when early stopping fired) and ``best_epoch``
      (1-based, lowest validation loss, or lowest training loss without validation).
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    epochs_run: int = 0
    best_epoch: int | None = None

    def to_dict(self) -> dict:
        """A plain ``dict`` of lists and numbers (JSON-serialisable)."""
        return asdict(self)


# ----------------------------------------------------------------------------- helpers
def _positive_int(value, name: str, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(
            f"expected {name} to be a positive "
            f"integer{' or None' if optional else ''}, "
            f"got {value!r}"
        )


def _positive_float(value, name: str, optional: bool = False) -> None:
    if optional and value is None:
        return
    ok = (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
    if not ok:
        raise ValueError(
            f"expected {name} to be a positive finite "
            f"number{' or None' if optional else ''}, "
            f"got {value!r}"
        )


def _check_model(model) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"expected model to be a torch.nn.Module, got {type(model).__name__}"
        )


def _check_metrics(metrics) -> dict[str, Callable]:
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping) or not all(
        isinstance(k, str) and callable(f) for k, f in metrics.items()
    ):
        raise TypeError(
            f"expected metrics to be a dict of name -> fn(y_hat, y), got {metrics!r}"
        )
    if "loss" in metrics:
        raise ValueError(
            "the metric name 'loss' is reserved for loss_fn; choose another name"
        )
    return dict(metrics)


def _resolve_device(model: nn.Module, device) -> torch.device:
    if device is not None:
        return torch.device(device)
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _to(x, device: torch.device):
    """Move a tensor, or the tensors in a tuple/list, to ``device``."""
    if isinstance(x, torch.Tensor):
        return x.to(device)
    if isinstance(x, (tuple, list)):
        return type(x)(_to(v, device) for v in x)
    return x


def _split(batch, where: str):
    """``(inputs, targets)`` from a batch, with a clear error for anything else."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        got = (
            f"{type(batch).__name__} of length {len(batch)}"
            if isinstance(batch, (tuple, list))
            else type(batch).__name__
        )
        raise TypeError(
            f"expected each batch of {where} to be an (inputs, targets) pair, got {got}"
        )
    return batch[0], batch[1]


def _call(model: nn.Module, inputs):
    return model(*inputs) if isinstance(inputs, (tuple, list)) else model(inputs)


def _batch_size(inputs, targets) -> int:
    for x in (targets, inputs, *(inputs if isinstance(inputs, (tuple, list)) else ())):
        if isinstance(x, torch.Tensor) and x.ndim > 0:
            return int(x.shape[0])
    return 1


# ----------------------------------------------------------------------------- evaluate
def evaluate(
    model: nn.Module,
    loader: Iterable,
    loss_fn: Callable,
    device=None,
    metrics: Mapping[str, Callable] | None = None,
) -> float | dict[str, float]:
    """Mean ``loss_fn`` over ``loader`` (weighted by batch size), in eval mode, without
    gradients.

    Returns a float, or with ``metrics`` (name -> ``fn(y_hat, y)``) a dict
    ``{"loss": ..., name: ...}`` of size-weighted means. The model's train/eval mode is
    restored.
    """
    _check_model(model)
    if not callable(loss_fn):
        raise TypeError(
            f"expected loss_fn to be callable, got {type(loss_fn).__name__}"
        )
    metrics = _check_metrics(metrics)
    device = _resolve_device(model, device)
    model.to(device)
    was_training = model.training
    model.eval()
    totals = dict.fromkeys(["loss", *metrics], 0.0)
    count = 0
    try:
        with torch.no_grad():
            for batch in loader:
                inputs, targets = _split(batch, "the evaluation loader")
                inputs, targets = _to(inputs, device), _to(targets, device)
                y_hat = _call(model, inputs)
                n = _batch_size(inputs, targets)
                totals["loss"] += float(loss_fn(y_hat, targets)) * n
                for name, fn in metrics.items():
                    totals[name] += float(fn(y_hat, targets)) * n
                count += n
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError(
            "expected the evaluation loader to yield at least one batch, got none"
        )
    means = {name: total / count for name, total in totals.items()}
    return means if metrics else means["loss"]


def predict(model: nn.Module, loader_or_tensor, device=None) -> torch.Tensor:
    """The model's outputs, in eval mode without gradients, concatenated along the batch
    dimension and returned on the CPU.

    ``loader_or_tensor`` is an input tensor (one forward pass) or a loader whose batches
    are input tensors, ``(inputs,)`` or ``(inputs, targets)`` (targets are ignored).
    """
    _check_model(model)
    device = _resolve_device(model, device)
    model.to(device)
    was_training = model.training
    model.eval()

    def run(inputs) -> torch.Tensor:
        out = _call(model, _to(inputs, device))
        if not isinstance(out, torch.Tensor):
            raise TypeError(
                f"expected the model to return a tensor, got {type(out).__name__}; "
                "wrap it in a module whose forward returns the prediction"
            )
        return out.detach().cpu()

    try:
        with torch.no_grad():
            if isinstance(loader_or_tensor, torch.Tensor):
                return run(loader_or_tensor)
            outs = []
            for batch in loader_or_tensor:
                if isinstance(batch, (tuple, list)) and len(batch) in (1, 2):
                    batch = batch[0]
                elif isinstance(batch, (tuple, list)):
                    raise TypeError(
                        "expected each batch to be inputs, (inputs,) or (inputs, "
                        "targets), "
                        f"got a {type(batch).__name__} of length {len(batch)}"
                    )
                outs.append(run(batch))
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("expected the loader to yield at least one batch, got none")
    return torch.cat(outs)


# ----------------------------------------------------------------------------- fit
def _make_optimizer(model, optimizer, lr):
    if optimizer is None:
        optimizer = torch.optim.Adam
    if isinstance(optimizer, torch.optim.Optimizer):
        own = optimizer.param_groups[0]["lr"]
        if lr != 1e-3 and lr != own:
            raise ValueError(
                f"lr={lr!r} conflicts with the optimizer's own lr={own!r}; "
                "set the learning rate when you build the optimizer"
            )
        mine = {id(p) for p in model.parameters()}
        if not any(id(p) in mine for g in optimizer.param_groups for p in g["params"]):
            raise ValueError(
                "expected an optimizer over the model's parameters, got one over other "
                "tensors"
            )
        return optimizer
    if callable(optimizer):  # a class or factory: optimizer(params, lr=lr)
        params = [p for p in model.parameters() if p.requires_grad]
        if not params:
            raise ValueError("expected a model with trainable parameters, got none")
        built = optimizer(params, lr=lr)
        if not isinstance(built, torch.optim.Optimizer):
            raise TypeError(
                f"expected optimizer(params, lr=lr) to return a torch.optim.Optimizer, "
                f"got {type(built).__name__}"
            )
        return built
    raise TypeError(
        f"expected optimizer to be None, a torch.optim.Optimizer or a class/factory "
        f"called as optimizer(params, lr=lr), got {type(optimizer).__name__}"
    )


def _make_scheduler(scheduler, optimizer):
    if scheduler is None:
        return None
    if not isinstance(scheduler, (LRScheduler, ReduceLROnPlateau)):
        if not callable(scheduler):
            raise TypeError(
                f"expected scheduler to be a torch LR scheduler or a callable "
                f"optimizer -> scheduler, got {type(scheduler).__name__}"
            )
        scheduler = scheduler(optimizer)
        if not isinstance(scheduler, (LRScheduler, ReduceLROnPlateau)):
            raise TypeError(
                f"expected the scheduler factory to return a torch LR scheduler, "
                f"got {type(scheduler).__name__}"
            )
    if scheduler.optimizer is not optimizer:
        raise ValueError(
            "the scheduler drives a different optimizer from the one fit uses; pass a "
            "factory such as scheduler=lambda opt: StepLR(opt, step_size=10)"
        )
    return scheduler


def _log_line(epoch: int, epochs: int, history: History, with_lr: bool) -> str:
    parts = [
        f"epoch {epoch:>{len(str(epochs))}}/{epochs}",
        f"train_loss {history.train_loss[-1]:.4g}",
    ]
    if history.val_loss:
        parts.append(f"val_loss {history.val_loss[-1]:.4g}")
    parts += [f"{name} {values[-1]:.4g}" for name, values in history.metrics.items()]
    if with_lr:
        parts.append(f"lr {history.lr[-1]:.3g}")
    return "  ".join(parts)


def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    *,
    loss_fn: Callable,
    epochs: int,
    optimizer=None,
    lr: float = 1e-3,
    clip_norm: float | None = None,
    scheduler=None,
    early_stopping: int | None = None,
    device=None,
    progress: bool = True,
    metrics: Mapping[str, Callable] | None = None,
    log_every: int | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader`` and return a
    :class:`History`.

    Each step: ``loss = loss_fn(model(inputs), targets)``, ``loss.backward()``, measure
    the total gradient norm :math:`\\|g\\|_2`; with ``clip_norm=M`` rescale
    :math:`g \\leftarrow g \\cdot \\min(1, M / \\|g\\|_2)`
    (``torch.nn.utils.clip_grad_norm_``); then ``optimizer.step()``. After each epoch
    the model is evaluated on ``val_loader``.

    - ``optimizer``: ``None`` (Adam with ``lr``), an optimizer class or factory called
      as ``optimizer(params, lr=lr)`` (e.g. ``torch.optim.SGD``), or a ready optimizer
      over the model's parameters (it keeps its own learning rate).
    - ``scheduler``: a torch LR scheduler on that optimizer, or a factory ``optimizer ->
      scheduler`` (needed when fit builds the optimizer); stepped once per epoch.
      ``ReduceLROnPlateau`` is stepped with the validation loss (the training loss
      without validation).
    - ``early_stopping=p``: stop when the validation loss has not improved for ``p``
      epochs, then restore the weights of the best epoch (requires ``val_loader``).
    - ``device``: where to train; ``None`` keeps the device the model's parameters are
      on.
    - ``progress``: a ``tqdm`` bar over epochs showing the losses; ``log_every=k``
      prints one line every ``k`` epochs and at the last one (deterministic text for
      notebooks).
    - ``metrics``: name -> ``fn(y_hat, y)``, averaged over the validation set each
      epoch.

    The model's train/eval mode on entry is restored on return.
    """
    _check_model(model)
    if not callable(loss_fn):
        raise TypeError(
            f"expected loss_fn to be callable, got {type(loss_fn).__name__}"
        )
    _positive_int(epochs, "epochs")
    _positive_float(lr, "lr")
    _positive_float(clip_norm, "clip_norm", optional=True)
    _positive_int(early_stopping, "early_stopping", optional=True)
    _positive_int(log_every, "log_every", optional=True)
    metrics = _check_metrics(metrics)
    if val_loader is None and early_stopping is not None:
        raise ValueError(
            "early_stopping needs a val_loader to watch, got val_loader=None"
        )
    if val_loader is None and metrics:
        raise ValueError(
            "metrics are computed on the validation set, but val_loader is None"
        )

    device = _resolve_device(model, device)
    model.to(device)
    optimizer = _make_optimizer(model, optimizer, lr)
    scheduler = _make_scheduler(scheduler, optimizer)
    params = [p for g in optimizer.param_groups for p in g["params"]]
    history = History(metrics={name: [] for name in metrics})
    best_loss, best_state, since_best = math.inf, None, 0
    was_training = model.training

    bar = tqdm(range(1, epochs + 1), desc="epochs", unit="epoch", disable=not progress)
    try:
        for epoch in bar:
            history.lr.append(float(optimizer.param_groups[0]["lr"]))
            model.train()
            total, count, norms = 0.0, 0, []
            for batch in train_loader:
                inputs, targets = _split(batch, "train_loader")
                inputs, targets = _to(inputs, device), _to(targets, device)
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(_call(model, inputs), targets)
                loss.backward()
                grads = [p.grad for p in params if p.grad is not None]
                if clip_norm is not None:  # returns the norm before clipping
                    norm = nn.utils.clip_grad_norm_(params, clip_norm)
                else:
                    norm = (
                        nn.utils.get_total_norm(grads) if grads else torch.tensor(0.0)
                    )
                norms.append(float(norm))
                optimizer.step()
                n = _batch_size(inputs, targets)
                total, count = total + float(loss.detach()) * n, count + n
            if count == 0:
                raise ValueError(
                    "expected train_loader to yield at least one batch, got none"
                )
            history.train_loss.append(total / count)
            history.grad_norm.append(sum(norms) / len(norms))
            history.epochs_run = epoch
            monitored = history.train_loss[-1]
            if val_loader is not None:
                result = evaluate(model, val_loader, loss_fn, device, metrics or None)
                result = result if metrics else {"loss": result}
                history.val_loss.append(result["loss"])
                for name in metrics:
                    history.metrics[name].append(result[name])
                monitored = result["loss"]

            if not math.isfinite(monitored):
                warnings.warn(
                    f"the loss became {monitored} in epoch {epoch}; training stopped "
                    "(try a smaller lr or clip_norm)",
                    RuntimeWarning,
                    stacklevel=2,
                )
                break
            if monitored < best_loss:
                best_loss, since_best, history.best_epoch = monitored, 0, epoch
                if early_stopping is not None:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                since_best += 1

            postfix = {"train_loss": f"{history.train_loss[-1]:.4g}"}
            if history.val_loss:
                postfix["val_loss"] = f"{history.val_loss[-1]:.4g}"
            bar.set_postfix(postfix, refresh=False)
            stop = early_stopping is not None and since_best >= early_stopping
            if log_every is not None and (
                epoch % log_every == 0 or epoch == epochs or stop
            ):
                print(_log_line(epoch, epochs, history, with_lr=scheduler is not None))

            if scheduler is not None:
                if isinstance(scheduler, ReduceLROnPlateau):
                    scheduler.step(monitored)
                else:
                    scheduler.step()
            if stop:
                if log_every is not None:
                    print(
                        f"early stopping: no improvement for {early_stopping} epochs; "
                        f"restored the weights of epoch {history.best_epoch}"
                    )
                break
    finally:
        bar.close()
        model.train(was_training)
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
