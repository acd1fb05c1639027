"""Self-checks for the exercises of the vanilla RNN chapter
(``chapters/02-vanilla-rnn.ipynb``).

Each checker calls the student's function on fresh random inputs, compares with
``torch.nn.RNN`` (the oracle), prints one verdict line through
:func:`rnnbook.checks.report` and returns a bool. Hints say what is wrong (a shape, one
direction, the layers above the first), never the answer.
"""

from __future__ import annotations

import numbers
import random
from typing import Callable

import torch
from torch import nn

from rnnbook.checks import (
    Hint,
    case_seed,
    expect_close,
    expect_shape,
    forbidding,
    report,
)

# What 2.4 may not call: a recurrent layer of torch.nn or rnnbook.nn, or the fused
# kernels behind them; 2.1 may not even build one.
_RUN_LAYER = (
    "torch.nn.modules.rnn.RNNBase.forward",
    "torch.nn.modules.rnn.RNN.forward",
    "rnnbook.nn.recurrent.RecurrentBase.forward",
    "torch._VF.rnn_tanh",
    "torch._VF.rnn_relu",
)
_BUILD_LAYER = (
    "torch.nn.modules.rnn.RNNBase.__init__",
    "torch.nn.modules.rnn.RNNCellBase.__init__",
    "rnnbook.nn.recurrent.RecurrentBase.__init__",
    "rnnbook.nn.cell.RecurrentCellBase.__init__",
)


def _torch_param_count(
    input_size: int, hidden_size: int, num_layers: int, bidirectional: bool, bias: bool
) -> int:
    rnn = nn.RNN(
        input_size,
        hidden_size,
        num_layers=num_layers,
        bidirectional=bidirectional,
        bias=bias,
    )
    return sum(p.numel() for p in rnn.parameters())


def check_param_count(param_count: Callable) -> bool:
    """Exercise 2.1: ``param_count(input_size, hidden_size, num_layers=1,
    bidirectional=False, bias=True) -> int`` must equal the number of parameters of the
    matching ``nn.RNN``."""

    def check():
        configs = [  # (H_in, H_out, num_layers, bidirectional, bias), simplest first
            (1, 2, 1, False, True),
            (3, 5, 1, False, True),
            (7, 4, 1, False, False),
            (3, 5, 1, True, True),
            (3, 5, 3, False, True),
            (6, 4, 2, True, True),
            (2, 9, 3, True, False),
        ]
        rng = random.Random(case_seed(21))  # and three the grader draws
        configs += [
            (rng.randint(1, 40), rng.randint(1, 40), rng.randint(1, 4))
            + (rng.random() < 0.5, rng.random() < 0.5)
            for _ in range(3)
        ]
        for H_in, H, layers, bidir, bias in configs:
            with forbidding("count with arithmetic alone", *_BUILD_LAYER, *_RUN_LAYER):
                got = param_count(
                    H_in, H, num_layers=layers, bidirectional=bidir, bias=bias
                )
            if isinstance(got, torch.Tensor) and got.numel() == 1:
                got = got.item()
            if isinstance(got, bool) or not isinstance(got, numbers.Integral):
                raise Hint(f"return the count as an int, got {type(got).__name__}")
            if int(got) != _torch_param_count(H_in, H, layers, bidir, bias):
                what = (
                    f"input_size={H_in}, hidden_size={H}, num_layers={layers}, "
                    f"bidirectional={bidir}, bias={bias}"
                )
                if not bias:
                    why = (
                        "without biases only the two weight matrices of each layer "
                        "and direction remain"
                    )
                elif layers > 1:
                    why = (
                        "layers above the first read the previous layer's output, "
                        "not x: what is their input size?"
                    )
                elif bidir:
                    why = (
                        "a bidirectional layer has a complete second set of parameters"
                    )
                else:
                    why = "count the entries of W_ih, W_hh, b_ih and b_hh"
                raise Hint(f"wrong count for {what}: {why}")

    return report("2.1", check)


def _reference_sequence(images: torch.Tensor, order: str) -> torch.Tensor:
    N, R, C = images.shape
    if order == "rows":
        return images.clone()  # (N, R, C): step t reads row t
    if order == "columns":
        return images.transpose(1, 2).clone()  # (N, C, R): step t reads column t
    if order == "pixels":
        # (N, R*C, 1): raster order, one pixel per step
        return images.reshape(N, R * C, 1).clone()
    snake = images.clone()
    snake[:, 1::2] = snake[:, 1::2].flip(-1)  # every second row read right to left
    return snake.reshape(N, R * C, 1)  # (N, R*C, 1)


def check_image_to_sequence(image_to_sequence: Callable) -> bool:
    """Exercise 2.3: ``image_to_sequence(images, order)`` turns a batch of images ``(N,
    R, C)`` into a batch of sequences ``(N, L, H_in)`` for ``order`` in ``"rows"``,
    ``"columns"``, ``"pixels"`` (raster order: left to right, top to bottom) and
    ``"snake"`` (as ``"pixels"`` but every second row right to left); any other order
    must raise ``ValueError``."""

    def check():
        g = torch.Generator().manual_seed(case_seed(23))
        # not square, so rows and columns differ
        images = torch.rand(3, 4, 6, generator=g)
        for order in ("rows", "columns", "pixels", "snake"):
            got = image_to_sequence(images.clone(), order)
            want = _reference_sequence(images, order)
            if not isinstance(got, torch.Tensor):
                raise Hint(
                    f"order={order!r}: return a torch.Tensor, got {type(got).__name__}"
                )
            if got.shape != want.shape:
                raise Hint(
                    f"order={order!r}: for images of shape (3, 4, 6) the sequence "
                    f"should have shape (N, L, H_in) = {tuple(want.shape)}, "
                    f"got {tuple(got.shape)}"
                )
            if not torch.equal(got, want):
                if order == "pixels":
                    raise Hint(
                        "order='pixels': right shape but wrong order; read each row "
                        "left to right, top row first"
                    )
                if order == "snake":
                    raise Hint(
                        "order='snake': right shape but wrong order; the first row "
                        "goes left to right, the second right to left, and so on"
                    )
                raise Hint(
                    f"order={order!r}: right shape but step t does not hold the right "
                    f"{order[:-1]}"
                )
        try:
            image_to_sequence(images, "diagonal")
        except ValueError:
            return
        except Exception as err:  # any other error type is a less helpful message
            raise Hint(
                f"an unknown order should raise ValueError, got {type(err).__name__}"
            ) from None
        raise Hint("an unknown order such as 'diagonal' should raise ValueError")

    return report("2.3", check)


def check_birnn_forward(birnn_forward: Callable) -> bool:
    """Exercise 2.4: ``birnn_forward(x, rnn) -> (output, h_n)`` must reproduce
    ``rnn(x)`` for a one-layer bidirectional ``nn.RNN`` with ``batch_first=True``, using
    only the module's parameters."""

    def check():
        for seed, (N, L, H_in, H, nonlinearity) in enumerate(
            [(2, 5, 3, 4, "tanh"), (3, 7, 1, 2, "tanh"), (1, 4, 2, 3, "relu")]
        ):
            torch.manual_seed(case_seed(100 + seed))
            rnn = nn.RNN(
                H_in,
                H,
                batch_first=True,
                bidirectional=True,
                nonlinearity=nonlinearity,
                dtype=torch.float64,
            )
            x = torch.randn(N, L, H_in, dtype=torch.float64)
            with torch.no_grad():
                want_out, want_h = rnn(x)
                with forbidding(
                    "compute both directions from the parameters, without calling the "
                    "module or a torch.nn recurrent layer",
                    *_RUN_LAYER,
                ):
                    result = birnn_forward(x.clone(), rnn)
            if not isinstance(result, tuple) or len(result) != 2:
                raise Hint("return a tuple (output, h_n), like nn.RNN")
            out, h_n = result
            expect_shape("output", out, (N, L, 2 * H))
            expect_shape("h_n", h_n, (2, N, H))
            fwd_ok = torch.allclose(
                out[..., :H].to(want_out), want_out[..., :H], atol=1e-10
            )
            bwd_ok = torch.allclose(
                out[..., H:].to(want_out), want_out[..., H:], atol=1e-10
            )
            if not fwd_ok and bwd_ok:
                raise Hint(
                    "the backward half of output is right but the forward half is not"
                )
            if fwd_ok and not bwd_ok:
                flipped = torch.allclose(
                    out[..., H:].flip(1).to(want_out), want_out[..., H:], atol=1e-10
                )
                if flipped:
                    raise Hint(
                        "the backward half is in reversed time order: output[:, t] "
                        "must hold the reverse direction's state at step t"
                    )
                raise Hint(
                    "the forward half of output is right; the reverse direction is not "
                    "(it reads the sequence from t = L down to 1, with its own "
                    "*_reverse weights)"
                )
            if nonlinearity == "relu" and not (fwd_ok and bwd_ok):
                raise Hint(
                    "right for tanh but not for nonlinearity='relu': use "
                    "rnn.nonlinearity"
                )
            expect_close("output", out, want_out, rtol=1e-7, atol=1e-10)
            if torch.allclose(h_n.to(want_h), want_h.flip(0), atol=1e-10):
                raise Hint(
                    "h_n has its two rows swapped: the forward direction comes first"
                )
            expect_close("h_n", h_n, want_h, rtol=1e-7, atol=1e-10)

    return report("2.4", check)


def check_delay_rnn(delay_rnn: Callable) -> bool:
    """Exercise 2.5: ``delay_rnn(k)`` returns an RNN module (``input_size=1``,
    ``batch_first=True``, hand-set weights) whose output channel ``k`` at step ``t`` is
    ``x_{t-k}`` for inputs ``x_t >= 0`` (and 0 while ``t <= k``, before the first input
    has arrived)."""

    def check():
        g = torch.Generator().manual_seed(case_seed(5))
        # (N, L, 1), values in [0, 3)
        x = torch.rand(4, 12, 1, generator=g, dtype=torch.float64) * 3
        for k in (0, 1, 3, 6):
            rnn = delay_rnn(k)
            if not isinstance(rnn, nn.Module):
                raise Hint(
                    f"delay_rnn({k}) should return an RNN module, got "
                    f"{type(rnn).__name__}"
                )
            if (
                getattr(rnn, "input_size", None) != 1
                or getattr(rnn, "batch_first", None) is not True
            ):
                raise Hint(
                    f"delay_rnn({k}) should have input_size=1 and batch_first=True"
                )
            if getattr(rnn, "hidden_size", 0) < k + 1:
                raise Hint(
                    f"delay_rnn({k}) needs a hidden state of at least k + 1 = {k + 1} "
                    f"units to remember {k + 1} values, got "
                    f"hidden_size={getattr(rnn, 'hidden_size', None)}"
                )
            rnn = rnn.to(torch.float64)
            with torch.no_grad():
                out, _ = rnn(x)
            want = torch.zeros(4, 12, dtype=torch.float64)
            # x_{t-k}, zero before the first input arrives
            want[:, k:] = x[:, : 12 - k, 0]
            got = out[..., k]
            if not torch.allclose(got, want, atol=1e-9):
                if k > 0 and torch.allclose(out[..., 0], x[..., 0], atol=1e-9):
                    raise Hint(
                        f"channel 0 copies x_t, but channel {k} is not x_(t-{k}): "
                        "shift the state one unit per step with W_hh"
                    )
                raise Hint(
                    f"for k={k}, output channel {k} is not the input delayed by {k} "
                    "steps"
                )

    return report("2.5", check)
