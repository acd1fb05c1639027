"""Self-checks for the exercises of the GRU chapter (``chapters/06-gru.ipynb``).

Each checker calls the student's function on fresh random inputs, compares with an
oracle (``torch.nn`` modules, the equations written out below, or ``torch.autograd``),
prints one verdict line through :func:`rnnbook.checks.report` and returns a bool. Hints
say what is wrong (a gate count, a missing path, the wrong variant of the reset gate),
never the answer.

The GRU in PyTorch's gate order (r, z, n), with row vectors (Introduced in the GRU
chapter)::

    r_t = sigma(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)
    z_t = sigma(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)
    n_t = tanh (x_t W_in^T + b_in + r_t * (h_{t-1} W_hn^T + b_hn))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from rnnbook.checks import Hint, case_seed, expect_close, expect_shape, report

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}  # blocks stacked in weight_ih / weight_hh


def _as_tensor(name: str, value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise Hint(f"{name} should be a torch.Tensor, got {type(value).__name__}")
    return value


def _isolated(check: Callable[[], None]) -> Callable[[], None]:
    """``check`` run inside ``fork_rng``: the caller's random stream is left as it was,
    even when the student's function draws random numbers (e.g. by building a
    module)."""

    def run():
        with torch.random.fork_rng():
            check()

    return run


def _random_params(g: torch.Generator, N: int, H_in: int, H: int, scale: float = 1.0):
    """x (N, H_in), h (N, H), weight_ih (3H, H_in), weight_hh (3H, H), bias_ih, bias_hh
    (3H,), float64.
    """

    def r(*shape):
        return scale * torch.randn(*shape, generator=g, dtype=torch.float64)

    return r(N, H_in), r(N, H), r(3 * H, H_in), r(3 * H, H), r(3 * H), r(3 * H)


def _gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    x_r, x_z, x_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=-1)
    return x_r, x_z, x_n, weight_hh.chunk(3, dim=0), bias_hh.chunk(3, dim=0)


def _gru_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """PyTorch's GRU step (reset gate applied to h W_hn^T + b_hn)."""
    x_r, x_z, x_n, (W_hr, W_hz, W_hn), (b_hr, b_hz, b_hn) = _gates(
        x, h, weight_ih, weight_hh, bias_ih, bias_hh
    )
    r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
    n = torch.tanh(x_n + r * (h @ W_hn.T + b_hn))
    return (1 - z) * n + z * h


def _cho_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh, swap_z=False):
    """Cho et al. (2014): the reset gate multiplies h_{t-1} before the product with
    W_hn.

    ``swap_z=True`` gives the common slip ``h_t = z_t * n_t + (1 - z_t) * h_{t-1}``."""
    x_r, x_z, x_n, (W_hr, W_hz, W_hn), (b_hr, b_hz, b_hn) = _gates(
        x, h, weight_ih, weight_hh, bias_ih, bias_hh
    )
    r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
    n = torch.tanh(x_n + (r * h) @ W_hn.T + b_hn)
    if swap_z:
        return z * n + (1 - z) * h
    return (1 - z) * n + z * h


# --- Exercise 6.3: parameter count of RNN, LSTM and GRU -------------------------------


def check_param_count(param_count: Callable) -> bool:
    """Exercise 6.3: ``param_count(mode, input_size, hidden_size, num_layers=1,
    bias=True, bidirectional=False) -> int`` for ``mode`` in ``"RNN"``, ``"LSTM"``,
    ``"GRU"``, equal to ``sum(p.numel() for p in getattr(torch.nn,
    mode)(...).parameters())``."""

    configs = [  # (mode, H_in, H, num_layers, bias, bidirectional)
        ("GRU", 1, 20, 1, True, False),
        ("LSTM", 1, 20, 1, True, False),
        ("RNN", 1, 20, 1, True, False),
        ("GRU", 1, 20, 2, True, False),
        ("LSTM", 7, 5, 3, True, False),
        ("RNN", 3, 8, 2, True, False),
        ("GRU", 4, 6, 1, False, False),
        ("LSTM", 3, 4, 2, False, False),
        ("GRU", 5, 3, 1, True, True),
        ("GRU", 2, 6, 3, True, True),
        ("LSTM", 9, 2, 2, False, True),
    ]

    def check():
        for mode, H_in, H, layers, bias, bidir in configs:
            got = param_count(
                mode, H_in, H, num_layers=layers, bias=bias, bidirectional=bidir
            )
            if isinstance(got, torch.Tensor) and got.numel() == 1:
                got = got.item()
            if isinstance(got, float) and got.is_integer():
                got = int(got)
            if not isinstance(got, int) or isinstance(got, bool):
                raise Hint(f"return an int, got {type(got).__name__}")
            with torch.random.fork_rng():
                module = getattr(nn, mode)(
                    H_in, H, num_layers=layers, bias=bias, bidirectional=bidir
                )
            want = sum(p.numel() for p in module.parameters())
            if got == want:
                continue
            where = (
                f"{mode}(input_size={H_in}, hidden_size={H}, num_layers={layers}, "
                f"bias={bias}, bidirectional={bidir})"
            )
            G = GATES[mode]
            if layers == 1 and not bidir and bias:
                if got in {
                    k * (H_in * H + H * H + 2 * H) for k in GATES.values() if k != G
                }:
                    raise Hint(
                        f"{where}: off by a factor; how many blocks does {mode} stack "
                        "in each weight?"
                    )
                if got == want - G * H:
                    raise Hint(
                        f"{where}: {mode} has two bias vectors per layer, b_ih and b_hh"
                    )
                raise Hint(f"{where}: the count for one layer is off")
            if not bias:
                raise Hint(
                    f"{where}: the count is off; with bias=False there are no bias "
                    "vectors at all"
                )
            if bidir:
                raise Hint(
                    f"{where}: the count is off; a bidirectional stack has two sets of "
                    "parameters "
                    "per layer, and a layer above the first reads both directions"
                )
            raise Hint(
                f"{where}: the count is off; the layers above the first read the "
                "hidden state "
                "of the layer below, not the input"
            )

    return report("6.3", _isolated(check))


# --- Exercise 6.4: the GRU cell of Cho et al. (2014) ----------------------------------


def check_cho_gru_cell(cho_gru_cell: Callable) -> bool:
    """Exercise 6.4: ``cho_gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh) ->
    h_t`` with the reset gate applied to ``h_{t-1}`` *before* the product with ``W_hn``;
    ``x`` is ``(N, H_in)``, ``h`` is ``(N, H_out)``, the parameters as in
    ``torch.nn.GRUCell``."""

    def check():
        g = torch.Generator().manual_seed(case_seed(64))
        for N, H_in, H in ((4, 3, 5), (2, 6, 2)):
            args = _random_params(g, N, H_in, H)
            got = _as_tensor("h_t", cho_gru_cell(*(a.clone() for a in args)))
            expect_shape("h_t", got, (N, H))
            want = _cho_step(*args)
            if torch.allclose(got.double(), want, atol=1e-6):
                continue
            if torch.allclose(got.double(), _gru_step(*args), atol=1e-6):
                raise Hint(
                    "this is PyTorch's variant: in Cho et al.'s cell the reset gate "
                    "acts on h_{t-1} "
                    "before it is multiplied by W_hn"
                )
            if torch.allclose(got.double(), _cho_step(*args, swap_z=True), atol=1e-6):
                raise Hint(
                    "z_t and 1 - z_t are swapped: in PyTorch's convention z_t is the "
                    "share of h_{t-1} kept"
                )
            expect_close("h_t", got, want, atol=1e-6)

    return report("6.4", _isolated(check))


# --- Exercise 6.5: a GRU that is a tanh RNN -------------------------------------------


def check_gru_from_rnn(gru_from_rnn: Callable) -> bool:
    """Exercise 6.5: ``gru_from_rnn(rnn) -> gru``: given a one-layer ``nn.RNN`` (tanh),
    return a one-layer GRU module (``torch.nn.GRU`` or ``rnnbook.nn.GRU``) with the same
    sizes and ``batch_first`` whose outputs equal the RNN's (to 1e-6) on any input."""

    def check():
        g = torch.Generator().manual_seed(case_seed(65))
        for H_in, H, batch_first in ((3, 5, True), (2, 4, False)):
            with torch.random.fork_rng():
                torch.manual_seed(int(torch.randint(0, 10_000, (1,), generator=g)))
                rnn = nn.RNN(H_in, H, batch_first=batch_first, dtype=torch.float64)
            before = {k: v.clone() for k, v in rnn.state_dict().items()}
            gru = gru_from_rnn(rnn)
            if not isinstance(gru, nn.Module):
                raise Hint(f"return a GRU module, got {type(gru).__name__}")
            if not all(torch.equal(v, before[k]) for k, v in rnn.state_dict().items()):
                raise Hint(
                    "the RNN's parameters changed: build a new GRU and leave the RNN "
                    "as it was"
                )
            names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
            if not all(hasattr(gru, k) for k in names):
                raise Hint(
                    "return a GRU with PyTorch's parameter names (weight_ih_l0, "
                    "weight_hh_l0, ...)"
                )
            expect_shape("weight_ih_l0", gru.weight_ih_l0, (3 * H, H_in))
            expect_shape("weight_hh_l0", gru.weight_hh_l0, (3 * H, H))
            if getattr(gru, "batch_first", None) != batch_first:
                raise Hint(
                    f"the GRU should have batch_first={batch_first}, like the RNN"
                )
            N, L = 3, 12
            x = torch.randn(
                (N, L, H_in) if batch_first else (L, N, H_in),
                generator=g,
                dtype=torch.float64,
            )
            with torch.no_grad():
                want, _ = rnn(x)
                got, _ = gru(x.to(gru.weight_ih_l0.dtype))
            got = _as_tensor("the GRU's output", got).double()
            if got.shape == want.shape and torch.allclose(got, want, atol=1e-6):
                continue
            # say which gate is off, from the GRU's own parameters at the first step
            x0 = (x[:, 0] if batch_first else x[0]).to(gru.weight_ih_l0.dtype)
            with torch.no_grad():
                a = x0 @ gru.weight_ih_l0.T + gru.bias_ih_l0
                h1 = torch.tanh(a.chunk(3, dim=1)[2] + gru.bias_hh_l0.chunk(3)[2])
                hh = h1 @ gru.weight_hh_l0.T + gru.bias_hh_l0
                x1 = (x[:, 1] if batch_first else x[1]).to(x0.dtype)
                a1 = x1 @ gru.weight_ih_l0.T + gru.bias_ih_l0
                r = torch.sigmoid(a1.chunk(3, dim=1)[0] + hh.chunk(3, dim=1)[0])
                z = torch.sigmoid(a1.chunk(3, dim=1)[1] + hh.chunk(3, dim=1)[1])
            if z.max() > 1e-6:
                raise Hint(
                    "the update gate is not shut: h_t still keeps a share z_t of "
                    "h_{t-1}, "
                    "which a tanh RNN does not"
                )
            if r.min() < 1 - 1e-6:
                raise Hint(
                    "the reset gate is not fully open: r_t scales the recurrent term "
                    "of n_t"
                )
            raise Hint(
                "the gates are right but the outputs differ: check which blocks of the "
                "GRU's "
                "weights and biases hold the RNN's W_ih, W_hh, b_ih and b_hh"
            )

    return report("6.5", _isolated(check))


# --- Exercise 6.6: the Jacobian of one GRU step ---------------------------------------


def check_gru_jacobian(gru_jacobian: Callable) -> bool:
    """Exercise 6.6: ``gru_jacobian(x, h, weight_ih, weight_hh, bias_ih, bias_hh) -> J``
    for one unbatched step: ``x`` is ``(H_in,)``, ``h`` is ``(H_out,)``, and ``J[i, j]``
    is ``d h_t[i] / d h_{t-1}[j]``, shape ``(H_out, H_out)``, computed analytically."""

    def check():
        g = torch.Generator().manual_seed(case_seed(66))
        for H_in, H in ((3, 4), (2, 6)):
            x, h, w_ih, w_hh, b_ih, b_hh = _random_params(g, 1, H_in, H, scale=0.7)
            x, h = x[0], h[0]
            got = _as_tensor(
                "J", gru_jacobian(x.clone(), h.clone(), w_ih, w_hh, b_ih, b_hh)
            )
            expect_shape("J", got, (H, H))
            got = got.double()
            want = torch.autograd.functional.jacobian(
                lambda hh: _gru_step(x, hh, w_ih, w_hh, b_ih, b_hh), h
            )  # (H, H)
            if torch.allclose(got, want, atol=1e-8):
                continue
            if torch.allclose(got.T, want, atol=1e-8):
                raise Hint("J is transposed: rows index h_t, columns index h_{t-1}")
            # the same Jacobian with one path cut, to name the missing one
            x_r, x_z, x_n, (W_hr, W_hz, W_hn), (b_hr, b_hz, b_hn) = _gates(
                x, h, w_ih, w_hh, b_ih, b_hh
            )
            r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
            z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
            a_n = h @ W_hn.T + b_hn
            n = torch.tanh(x_n + r * a_n)
            dn_direct = (1 - n**2)[:, None] * (r[:, None] * W_hn)
            dn_via_r = (1 - n**2)[:, None] * ((a_n * r * (1 - r))[:, None] * W_hr)
            dz = (z * (1 - z))[:, None] * W_hz
            eye = torch.diag(z)
            if torch.allclose(
                got, eye + (1 - z)[:, None] * (dn_direct + dn_via_r), atol=1e-8
            ):
                raise Hint(
                    "you left out the path through the update gate z_t (h_t depends on "
                    "h_{t-1} through z_t too)"
                )
            if torch.allclose(
                got,
                eye + (1 - z)[:, None] * dn_direct + (h - n)[:, None] * dz,
                atol=1e-8,
            ):
                raise Hint(
                    "you left out the path through the reset gate r_t inside n_t"
                )
            if torch.allclose(got, eye, atol=1e-8):
                raise Hint(
                    "diag(z_t) is only the direct path; n_t and z_t depend on h_{t-1} "
                    "as well"
                )
            expect_close("J", got, want, atol=1e-8)

    return report("6.6", _isolated(check))
