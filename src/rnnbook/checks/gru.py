"""Self-checks for the exercises of the GRU chapter (``chapters/06-gru.ipynb``).

Each checker calls the student's function on fresh random inputs, compares with an
oracle (``torch.nn`` modules, the equations written out below, or ``torch.autograd``),
prints one verdict line through :func:`rnnbook.checks.report` and returns a bool. Hints
say what is wrong (a leaking count, a missing path, a gate left open), never the answer.

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


# --- Exercise 6.3: an LSTM that counts ----------------------------------------------


def _one_hot(symbols: torch.Tensor) -> torch.Tensor:
    """Symbols (N, L) of 0 (a) and 1 (b) -> one-hot inputs (N, L, 2), float64."""
    return nn.functional.one_hot(symbols, 2).double()


def _count(x: torch.Tensor) -> torch.Tensor:
    """Inputs (N, L, 2) -> the number of a's minus the number of b's, (N,)."""
    return (x[..., 0] - x[..., 1]).sum(dim=1)


def check_counting_lstm(counting_lstm: Callable) -> bool:
    """Exercise 6.3: ``counting_lstm() -> lstm``, a one-unit ``nn.LSTM(2, 1,
    batch_first=True)`` whose cell state after reading one-hot symbols a = (1, 0) and
    b = (0, 1) from ``c_0 = 0`` is the number of a's minus the number of b's read so far
    (to a relative 1e-3), for sequences of up to 300 steps."""

    def check():
        lstm = counting_lstm()
        if not isinstance(lstm, nn.Module):
            raise Hint(f"return an LSTM module, got {type(lstm).__name__}")
        for attr, want in (
            ("input_size", 2),
            ("hidden_size", 1),
            ("num_layers", 1),
            ("batch_first", True),
            ("bidirectional", False),
        ):
            got = getattr(lstm, attr, None)
            if got != want:
                raise Hint(f"return an LSTM with {attr}={want}, got {attr}={got!r}")
        if getattr(lstm, "proj_size", 0):
            raise Hint("return an LSTM without projections (proj_size=0)")
        dtype = lstm.weight_ih_l0.dtype
        g = torch.Generator().manual_seed(case_seed(63))
        cases = [_one_hot(torch.randint(0, 2, (6, L), generator=g)) for L in (1, 5, 40)]
        long_runs = {
            "300 a's": _one_hot(torch.zeros(1, 300, dtype=torch.long)),
            "300 b's": _one_hot(torch.ones(1, 300, dtype=torch.long)),
            "200 a's then 100 b's": _one_hot(
                torch.cat([torch.zeros(1, 200), torch.ones(1, 100)], 1).long()
            ),
        }
        for name, x in list(long_runs.items()) + [(None, x) for x in cases]:
            with torch.no_grad():
                out = lstm(x.to(dtype))
            if not (isinstance(out, tuple) and len(out) == 2 and len(out[1]) == 2):
                raise Hint("the module should return (output, (h_n, c_n)) as nn.LSTM")
            c = _as_tensor("c_n", out[1][1]).double().reshape(-1)
            want = _count(x)
            if c.shape != want.shape:
                raise Hint(f"c_n should hold {len(want)} values, got {c.numel()}")
            if not torch.isfinite(c).all():
                raise Hint("the cell state contains NaN or infinite values")
            if torch.allclose(c, want, rtol=1e-3, atol=1e-3):
                continue
            if torch.allclose(c, -want, rtol=1e-3, atol=1e-3) and want.abs().max() > 0:
                raise Hint(
                    "the signs are swapped: an a should add 1 to c_t, a b take 1"
                )
            if name is not None and (c.abs() < 0.99 * want.abs()).all():
                raise Hint(
                    f"after {name} the cell state has fallen behind the count: it "
                    "leaks, so some gate is not exactly 1 (or 0) where it should be"
                )
            where = name or f"random sequences of length {x.shape[1]}"
            raise Hint(
                f"after {where} the cell state is not the number of a's minus the "
                "number of b's"
            )

    return report("6.3", _isolated(check))


# --- Exercise 6.4: the counting task -------------------------------------------------


def _counting_data(n_values, length):
    n = torch.as_tensor(list(n_values))
    is_a = torch.arange(1, length + 1)[None, :] <= n[:, None]  # (N, L)
    x = torch.stack([is_a, ~is_a], dim=2).double()  # (N, L, 2)
    count = (2 * is_a.double() - 1).cumsum(dim=1)  # a's minus b's after each step
    return x, (count < 0).double()


def check_counting_data(counting_data: Callable) -> bool:
    """Exercise 6.4: ``counting_data(n_values, length) -> (x, y)``: for each ``n`` the
    sequence of ``n`` a's then ``length - n`` b's, one-hot (a = (1, 0), b = (0, 1)), as
    a float tensor ``x`` of shape (N, length, 2), and ``y`` of shape (N, length), 1.0
    where more b's than a's have been read up to and including that step, else 0.0."""

    def check():
        g = torch.Generator().manual_seed(case_seed(64))  # and one no one can predict
        length = int(torch.randint(5, 50, (), generator=g))
        drawn = (torch.randint(0, length + 1, (4,), generator=g).tolist(), length)
        for n_values, length in (
            ([1, 3, 5, 12], 12),
            ([2, 20, 7], 30),
            ([40], 41),
            drawn,
        ):
            out = counting_data(list(n_values), length)
            if not (isinstance(out, tuple) and len(out) == 2):
                raise Hint("return a pair (x, y)")
            x, y = (_as_tensor(name, v) for name, v in zip("xy", out))
            N = len(n_values)
            expect_shape("x", x, (N, length, 2))
            expect_shape("y", y, (N, length))
            if not (x.is_floating_point() and y.is_floating_point()):
                raise Hint(
                    f"x and y should be float tensors, got {x.dtype} and {y.dtype}"
                )
            want_x, want_y = _counting_data(n_values, length)
            if not torch.equal(x.double(), want_x):
                if torch.equal(x.double(), want_x.flip(2)):
                    raise Hint("a should be (1, 0) and b (0, 1): yours are swapped")
                raise Hint(
                    f"x is not n one-hot a's followed by b's for n_values={n_values}"
                )
            if torch.equal(y.double(), want_y):
                continue
            count = (x[..., 0] - x[..., 1]).double().cumsum(dim=1)
            if torch.equal(y.double(), (count <= 0).double()):
                raise Hint("y should be 1 only where b's strictly outnumber a's")
            if torch.equal(y.double(), 1 - want_y):
                raise Hint("y is inverted: 1 where b's outnumber a's, 0 elsewhere")
            shifted = torch.cat([torch.zeros(N, 1), want_y[:, :-1]], dim=1)
            if torch.equal(y.double(), shifted):
                raise Hint(
                    "y is one step late: the target at a step counts the symbol read "
                    "at that step too"
                )
            raise Hint(
                f"y has the right shape but wrong values for n_values={n_values}"
            )

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
            m = h @ W_hn.T + b_hn
            n = torch.tanh(x_n + r * m)
            dn_direct = (1 - n**2)[:, None] * (r[:, None] * W_hn)
            dn_via_r = (1 - n**2)[:, None] * ((m * r * (1 - r))[:, None] * W_hr)
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
