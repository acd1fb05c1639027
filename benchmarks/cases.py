"""What `run.py` times: one forward + backward pass of a 2-layer recurrent model over
one batch, built four ways with the same weights, input and upstream gradient.

- ``torch.nn``:   ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` as they come (C++; for the LSTM
  on the CPU, oneDNN's fused whole-layer kernel, forward and backward);
- ``torch.nn, oneDNN off``: the same model with ``torch.backends.mkldnn.enabled =
  False``, so that its LSTM runs ATen's own C++ loop over time, one cell step after
  another, differentiated by autograd: the same algorithm as ``rnnbook.nn``, without
  Python (the RNN and GRU run this path anyway);
- ``rnnbook.nn``: the book's drop-in modules (an explicit Python loop over time,
  autograd);
- ``rnnbook.npnn``: NumPy, two chained single-layer ``*_forward`` calls, then the two
  ``*_backward`` calls in reverse order (hand-written backpropagation through time).

Every case computes ``out = model(x)`` with ``x`` of shape (N, L, H_in) and ``out`` (N,
L, H), then backpropagates a fixed upstream gradient ``dL/dout`` (as
``out.backward(dy)``) to all parameters. Everything is float32, the default of
``torch.nn``. Configuration (p) is (b) for an LSTM with projections, ``proj_size=P``:
there ``out`` is (N, L, P), and ``torch.nn`` has no oneDNN kernel for it (it runs
ATen's loop over time with oneDNN on or off).
"""

from __future__ import annotations

import copy
import importlib
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

CELLS = ("RNN", "LSTM", "GRU")
IMPLS = ("torch.nn", "torch.nn, oneDNN off", "rnnbook.nn", "rnnbook.npnn")
# the implementations that are imported (and may be missing)
MODULES = ("rnnbook.nn", "rnnbook.npnn")


@dataclass(frozen=True)
class Config:
    name: str
    batch: int  # N
    length: int  # L
    input_size: int  # H_in
    hidden_size: int  # H
    num_layers: int = 2
    proj_size: int = 0  # P: an LSTM with projections (the other cells skip it)

    def describe(self) -> str:
        proj = f", P={self.proj_size}" if self.proj_size else ""
        return (
            f"N={self.batch}, L={self.length}, H_in={self.input_size}, "
            f"H={self.hidden_size}{proj}, {self.num_layers} layers"
        )

    def applies_to(self, cell: str) -> bool:
        return cell == "LSTM" or not self.proj_size


CONFIGS = {
    "a": Config("a", batch=64, length=50, input_size=1, hidden_size=20),
    "b": Config("b", batch=32, length=100, input_size=65, hidden_size=256),
    "p": Config(
        "p", batch=32, length=100, input_size=65, hidden_size=256, proj_size=128
    ),
}


def load_optional(module: str):
    """Import ``module`` or return the reason it cannot be used (a string)."""
    try:
        return importlib.import_module(module)
    except Exception as err:  # noqa: BLE001 - any failure means "not ready": report it, go on
        return f"{type(err).__name__}: {err}"


@dataclass
class Case:
    """A ready-to-time forward+backward step and what it produced (for the agreement
    check).
    """

    step: Callable[[], None]
    # output, grads by torch name
    result: Callable[[], tuple[np.ndarray, dict[str, np.ndarray]]]


@contextmanager
def onednn_off():
    """Switch off oneDNN (``torch.backends.mkldnn``) inside the block, and restore it
    after.

    While it is on, ``torch.nn.LSTM`` on the CPU (float32) hands whole layers to
    oneDNN's fused LSTM kernel; off, it falls back to ATen's loop over time
    (``aten/src/ATen/native/RNN.cpp``)."""
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


def _torch_case(
    model: torch.nn.Module,
    x: torch.Tensor,
    dy: torch.Tensor,
    without_onednn: bool = False,
) -> Case:
    out_box = {}

    def step():
        model.zero_grad(set_to_none=True)
        with onednn_off() if without_onednn else nullcontext():
            out, _ = model(x)  # (N, L, H)
            out.backward(dy)
        out_box["out"] = out

    def result():
        grads = {k: p.grad.detach().numpy() for k, p in model.named_parameters()}
        return out_box["out"].detach().numpy(), grads

    return Case(step, result)


def _npnn_case(
    npnn, cell: str, sd: dict, cfg: Config, x: np.ndarray, dy: np.ndarray
) -> Case:
    fwd = getattr(npnn, f"{cell.lower()}_forward")
    bwd = getattr(npnn, f"{cell.lower()}_backward")
    layers = [
        npnn.params_from_state_dict(sd, f"_l{k}", dtype=np.float32)
        for k in range(cfg.num_layers)
    ]
    # float32 h_0 (None means float64): (N, P) with projections, c_0 (N, H)
    zeros = np.zeros((cfg.batch, cfg.hidden_size), dtype=np.float32)
    h_zeros = np.zeros((cfg.batch, cfg.proj_size or cfg.hidden_size), np.float32)
    # h_0 (and c_0), and dL/dh_n
    zero_state = (h_zeros, zeros) if cell == "LSTM" else zeros
    box = {}

    def step():
        caches, hs = [], x
        for params in layers:  # layer k reads the hidden states of layer k-1: (N, L, H)
            hs, _, cache = fwd(hs, zero_state, params)
            caches.append(cache)
        d, grads = dy, {}
        # dL/dhs of layer k is dL/dx of layer k+1
        for k in reversed(range(len(layers))):
            d, _, g = bwd(d, caches[k], zero_state)
            grads.update({f"{name}_l{k}": v for name, v in g.items()})
        box["out"], box["grads"] = hs, grads

    return Case(step, lambda: (box["out"], box["grads"]))


def build_cases(
    cell: str, cfg: Config, modules: dict, notes: list[str], seed: int = 0
) -> dict[str, Case]:
    """One :class:`Case` per available implementation, all with the weights of one
    ``torch.nn`` model.

    An implementation that cannot be built is left out, with the reason appended to
    ``notes``."""
    torch.manual_seed(seed)
    args = (cfg.input_size, cfg.hidden_size)
    kwargs = dict(num_layers=cfg.num_layers, batch_first=True)
    if cfg.proj_size:
        kwargs["proj_size"] = cfg.proj_size
    reference = getattr(torch.nn, cell)(*args, **kwargs)
    x = torch.randn(cfg.batch, cfg.length, cfg.input_size)  # (N, L, H_in)
    # dL/dout, (N, L, H) ((N, L, P) with projections)
    dy = torch.randn(cfg.batch, cfg.length, cfg.proj_size or cfg.hidden_size)
    cases = {
        "torch.nn": _torch_case(reference, x, dy),
        "torch.nn, oneDNN off": _torch_case(
            copy.deepcopy(reference), x, dy, without_onednn=True
        ),
    }
    if not isinstance(modules.get("rnnbook.nn"), str):
        try:
            ours = getattr(modules["rnnbook.nn"], cell)(*args, **kwargs)
            ours.load_state_dict(reference.state_dict())
            cases["rnnbook.nn"] = _torch_case(ours, x, dy)
        except Exception as err:  # noqa: BLE001 - a module that is not finished: say so, go on
            notes.append(f"rnnbook.nn.{cell} skipped ({type(err).__name__}: {err})")
    if not isinstance(modules.get("rnnbook.npnn"), str):
        try:
            cases["rnnbook.npnn"] = _npnn_case(
                modules["rnnbook.npnn"],
                cell,
                reference.state_dict(),
                cfg,
                x.numpy(),
                dy.numpy(),
            )
        except Exception as err:  # noqa: BLE001
            notes.append(
                f"rnnbook.npnn {cell.lower()}_* skipped ({type(err).__name__}: {err})"
            )
    return cases


def max_rel_error(case: Case, reference: Case) -> float:
    """Largest error of a case's output and gradients against the reference, relative to
    the largest magnitude of each reference array (run both cases' steps first)."""
    out, grads = case.result()
    ref_out, ref_grads = reference.result()
    pairs = [(out, ref_out)] + [(grads[k], g) for k, g in ref_grads.items()]
    return max(
        float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12)) for a, b in pairs
    )
