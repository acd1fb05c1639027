"""What the NumPy cells share: parameter dicts, their initialisation, and input checks.

A parameter dict uses the names of ``torch.nn.RNNCell`` / ``LSTMCell`` / ``GRUCell``::

    {"weight_ih": (G*H, H_in), "weight_hh": (G*H, H),
     "bias_ih": (G*H,), "bias_hh": (G*H,)}

with G = 1 (RNN), 4 (LSTM, gates i, f, g, o) or 3 (GRU, gates r, z, n), stacked in
PyTorch's order, so the same arrays load into ``torch.nn`` without a transpose. An LSTM
with projections (``torch.nn.LSTM(..., proj_size=P)``) has one more entry,
``"weight_hr": (P, H)``, and then ``weight_hh`` is ``(4*H, P)``.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from rnnbook._validation import check_ndarray, fmt_shape, shape_error

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
FLOAT_DTYPES = (np.float32, np.float64)


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid σ(a) = 1 / (1 + e^{-a}), written as (1 + tanh(a/2)) / 2 so that
    it never overflows for large |a|."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def check_float(x, name: str, ndim: int | None = None) -> np.ndarray:
    """A float32/float64 ndarray with ``ndim`` dimensions, else TypeError/ValueError."""
    check_ndarray(x, name, ndim=ndim)
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"expected {name} with dtype float32 or float64, got dtype {x.dtype}"
        )
    return x


def check_params(params: Mapping[str, np.ndarray], cell: str) -> tuple[int, int]:
    """Check a parameter dict of ``cell`` ('rnn', 'lstm', 'gru'); return (H_in, H).

    For an LSTM with projections (a ``weight_hr`` entry, ``(P, H)``), ``weight_hh`` is
    ``(4*H, P)``; P is ``params["weight_hh"].shape[1]``."""
    G = GATES[cell]
    if not isinstance(params, Mapping):
        raise TypeError(
            f"expected params to be a dict with keys {PARAM_NAMES}, got "
            f"{type(params).__name__}"
        )
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(
            f"expected params with keys {PARAM_NAMES}, missing {tuple(missing)}"
        )
    w_hh = check_float(params["weight_hh"], "params['weight_hh']", ndim=2)
    H = P = w_hh.shape[
        1
    ]  # P: the size of h, H: of the cell (the same unless projected)
    if "weight_hr" in params:
        if cell != "lstm":
            raise ValueError(
                f"expected no 'weight_hr' for cell={cell!r}: only an LSTM has "
                "projections"
            )
        w_hr = check_float(params["weight_hr"], "params['weight_hr']", ndim=2)
        if w_hr.shape[0] != P:
            raise shape_error(
                "params['weight_hr']",
                f"(P, H) with P = weight_hh.shape[1] = {P}",
                w_hr.shape,
            )
        H = w_hr.shape[1]
    if w_hh.shape != (G * H, P):
        want = f"({G}*H, H) = {fmt_shape((G * H, H))} for cell={cell!r}"
        if H != P:
            want = f"({G}*H, P) = {fmt_shape((G * H, P))} with projections"
        raise shape_error("params['weight_hh']", want, w_hh.shape)
    w_ih = check_float(params["weight_ih"], "params['weight_ih']", ndim=2)
    if w_ih.shape[0] != G * H:
        raise shape_error("params['weight_ih']", f"({G * H}, H_in)", w_ih.shape)
    for k in ("bias_ih", "bias_hh"):
        b = check_float(params[k], f"params[{k!r}]", ndim=1)
        if b.shape != (G * H,):
            raise shape_error(f"params[{k!r}]", fmt_shape((G * H,)), b.shape)
    return w_ih.shape[1], H


def check_step_input(x, H_in: int, name: str = "x") -> int:
    """One time step of input, (N, H_in); returns N."""
    check_float(x, name, ndim=2)
    if x.shape[1] != H_in:
        raise shape_error(name, f"(N, {H_in})", x.shape)
    return x.shape[0]


def check_sequence_input(x, H_in: int, name: str = "x") -> tuple[int, int]:
    """A batch-first sequence, (N, L, H_in) with L >= 1; returns (N, L)."""
    check_float(x, name, ndim=3)
    if x.shape[2] != H_in or x.shape[1] == 0:
        raise shape_error(name, f"(N, L, {H_in}) with L >= 1", x.shape)
    return x.shape[0], x.shape[1]


def check_state(
    h, N: int, H: int, name: str, dtype=np.float64, size: str = "H"
) -> np.ndarray:
    """A state (h or c) of shape (N, H); ``None`` means zeros (of ``dtype``). ``size``
    names H in the message (``"P"`` for the h of an LSTM with projections)."""
    if h is None:
        return np.zeros((N, H), dtype=dtype)
    check_float(h, name)
    if h.shape != (N, H):
        hint = " (no leading num_layers axis, unlike torch.nn)" if h.ndim == 3 else ""
        raise shape_error(name, f"{fmt_shape((N, H))} = (N, {size}){hint}", h.shape)
    return h


def check_grad(g, shape: tuple, name: str) -> np.ndarray:
    """An upstream gradient, which must have the shape of the value it is the gradient
    of.
    """
    check_float(g, name)
    if g.shape != tuple(shape):
        raise shape_error(name, fmt_shape(shape), g.shape)
    return g


def init_params(
    rng: np.random.Generator,
    input_size: int,
    hidden_size: int,
    cell: str = "rnn",
    dtype=np.float64,
    proj_size: int = 0,
) -> dict[str, np.ndarray]:
    """Draw a parameter dict as ``torch.nn`` does: every entry from U(-k, k), k =
    1/sqrt(H), in ``torch.nn``'s order.

    ``cell`` is 'rnn', 'lstm' or 'gru'; ``proj_size`` P > 0 (LSTM only, P < H) adds
    ``weight_hr`` (P, H) and makes ``weight_hh`` (4*H, P). Introduced in the vanilla
    RNN chapter.
    """
    if cell not in GATES:
        raise ValueError(f"expected cell to be one of {tuple(GATES)}, got {cell!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"expected rng to be a numpy.random.Generator, got {type(rng).__name__}"
        )
    if proj_size and (cell != "lstm" or not 0 < proj_size < hidden_size):
        raise ValueError(
            f"expected proj_size=0, or 0 < proj_size < hidden_size = {hidden_size} "
            f"for cell='lstm', got proj_size={proj_size!r} for cell={cell!r}"
        )
    G, H, k = GATES[cell], hidden_size, 1.0 / np.sqrt(hidden_size)
    shapes = {
        "weight_ih": (G * H, input_size),
        "weight_hh": (G * H, proj_size or H),
        "bias_ih": (G * H,),
        "bias_hh": (G * H,),
    }
    if proj_size:
        shapes["weight_hr"] = (proj_size, H)
    return {
        name: rng.uniform(-k, k, size=s).astype(dtype) for name, s in shapes.items()
    }


def params_from_state_dict(
    state_dict: Mapping, suffix: str = "_l0", dtype=np.float64
) -> dict[str, np.ndarray]:
    """Copy ``weight_ih{suffix}`` etc. out of a ``torch.nn`` state dict into a parameter
    dict.

    Use ``suffix="_l0"`` for ``nn.RNN``/``LSTM``/``GRU`` (``"_l1"``, ``"_l0_reverse"``
    for other layers and directions) and ``suffix=""`` for the cells. No transpose: the
    layouts agree. An LSTM's projection ``weight_hr{suffix}`` is copied if present.
    """
    out = {}
    names = PARAM_NAMES + (("weight_hr",) if f"weight_hr{suffix}" in state_dict else ())
    for name in names:
        key = name + suffix
        if key not in state_dict:
            raise ValueError(
                f"expected a state dict with key {key!r}, got keys {tuple(state_dict)}"
            )
        v = state_dict[key]
        if hasattr(v, "detach"):  # a torch tensor
            v = v.detach().cpu().numpy()
        out[name] = np.array(v, dtype=dtype)
    return out
