"""Self-checks for the exercises of the LSTM chapter (``chapters/05-lstm.ipynb``).

Each checker calls the student's function on fresh random inputs, compares with an
oracle (``torch.nn.LSTM``'s own parameters, or the equations written out below), prints
one verdict line through :func:`rnnbook.checks.report` and returns a bool. Hints say
what is wrong (a shape, the order of the gate blocks, the parameters that should not
have changed), never the answer.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from rnnbook.checks import Hint, case_seed, expect_close, expect_shape, report

# PyTorch's order of the four blocks in W_ih, W_hh, b_ih, b_hh
GATES = ("i", "f", "g", "o")


def _as_tensor(name: str, value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise Hint(f"{name} should be a torch.Tensor, got {type(value).__name__}")
    return value


# --- Exercise 5.3: split the packed weights into the four gates -----------------------


def check_split_gates(split_gates: Callable) -> bool:
    """Exercise 5.3: ``split_gates(packed, hidden_size) -> dict`` with keys ``"i", "f",
    "g", "o"``.

    ``packed`` is one of an LSTM's packed parameters: ``weight_ih_l0`` ``(4 H_out,
    H_in)``, ``weight_hh_l0`` ``(4 H_out, H_out)`` or a bias ``(4 H_out,)``; each value
    of the dict is that gate's block, ``(H_out, H_in)``, ``(H_out, H_out)`` or
    ``(H_out,)``.
    """

    def check():
        with torch.random.fork_rng():  # leave the caller's random stream as it was
            torch.manual_seed(case_seed(5))
            lstm = nn.LSTM(3, 5, num_layers=2)
        H = lstm.hidden_size
        for name in (
            "weight_ih_l0",
            "weight_hh_l0",
            "bias_ih_l0",
            "weight_ih_l1",
            "bias_hh_l1",
        ):
            packed = getattr(lstm, name).detach().clone()
            got = split_gates(packed.clone(), H)
            if not isinstance(got, dict):
                raise Hint(
                    "return a dict with keys 'i', 'f', 'g', 'o', got "
                    f"{type(got).__name__}"
                )
            if set(got) != set(GATES):
                raise Hint(
                    "the dict should have exactly the keys 'i', 'f', 'g', 'o', got "
                    f"{sorted(got)}"
                )
            blocks = {k: packed[j * H : (j + 1) * H] for j, k in enumerate(GATES)}
            for k in GATES:
                value = _as_tensor(f"the block '{k}' of {name}", got[k])
                expect_shape(
                    f"the block '{k}' of {name} {tuple(packed.shape)}",
                    value,
                    tuple(blocks[k].shape),
                )
            for k in GATES:
                if not torch.equal(got[k], blocks[k]):
                    if any(torch.equal(got[k], blocks[other]) for other in GATES):
                        raise Hint(
                            f"{name}: the block you return as '{k}' belongs to another "
                            "gate: "
                            "check PyTorch's order of the four blocks"
                        )
                    raise Hint(
                        f"{name}: the block '{k}' has the right shape but not the "
                        "right entries: "
                        "the gates are stacked along the first dimension, in blocks of "
                        "hidden_size rows"
                    )

    return report("5.3", check)


# --- Exercise 5.4: set the forget-gate bias of every layer ----------------------------


def check_set_forget_bias(set_forget_bias: Callable) -> bool:
    """Exercise 5.4: ``set_forget_bias(lstm, value)`` changes ``lstm`` in place so that,
    in every layer and direction, the forget-gate bias ``b_if + b_hf`` equals ``value``
    in every unit, and leaves every other parameter (weights, and the i, g, o blocks of
    the biases) untouched."""

    def check():
        for value, (layers, bidir) in (
            (3.0, (1, False)),
            (1.0, (2, True)),
            (-0.5, (3, False)),
        ):
            with torch.random.fork_rng():  # leave the caller's random stream as it was
                torch.manual_seed(case_seed(7))
                lstm = nn.LSTM(4, 6, num_layers=layers, bidirectional=bidir)
            before = {k: v.detach().clone() for k, v in lstm.state_dict().items()}
            set_forget_bias(lstm, value)
            after = lstm.state_dict()
            if set(after) != set(before):
                raise Hint(
                    "the LSTM's parameter names changed: modify the existing "
                    "parameters in place"
                )
            H = lstm.hidden_size
            for k in before:
                if k.startswith("weight") and not torch.equal(after[k], before[k]):
                    raise Hint(
                        f"{k} changed: only the biases of the forget gate should change"
                    )
                if k.startswith("bias"):
                    for j, gate in enumerate(GATES):
                        if gate != "f" and not torch.equal(
                            after[k][j * H : (j + 1) * H],
                            before[k][j * H : (j + 1) * H],
                        ):
                            raise Hint(
                                f"the '{gate}' block of {k} changed: only the forget "
                                "block "
                                "(PyTorch's order is i, f, g, o) should change"
                            )
            where = f"num_layers={layers}, bidirectional={bidir}, value={value}"
            for k in before:
                if k.startswith("bias_ih"):
                    partner = "bias_hh" + k[len("bias_ih") :]
                    total = after[k][H : 2 * H] + after[partner][H : 2 * H]
                    if not torch.allclose(
                        total, torch.full_like(total, value), atol=1e-6
                    ):
                        if torch.allclose(
                            total, torch.full_like(total, 2 * value), atol=1e-6
                        ):
                            raise Hint(
                                f"{where}: the forget bias came out twice as large: "
                                "the gate adds "
                                "b_if and b_hf, so it is their sum that should equal "
                                "value"
                            )
                        raise Hint(
                            f"{where}: in {k[len('bias_ih_') :]}, b_if + b_hf does not "
                            "equal value in every unit"
                        )

    return report("5.4", check)


# --- Exercise 5.5: the coupled input-forget gate (CIFG) variant -----------------------


def _cifg_reference(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    a_f, a_g, a_o = (x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh).chunk(
        3, dim=1
    )
    f, g, o = torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
    c_new = f * c + (1 - f) * g  # i_t = 1 - f_t
    return o * torch.tanh(c_new), c_new


def _cifg_with_i_equal_f(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    a_f, a_g, a_o = (x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh).chunk(
        3, dim=1
    )
    f, g, o = torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
    c_new = f * c + f * g
    return o * torch.tanh(c_new), c_new


def check_cifg_step(cifg_step: Callable) -> bool:
    """Exercise 5.5: ``cifg_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh) ->
    (h_t, c_t)``, one step of the LSTM whose input gate is tied to the forget gate,
    ``i_t = 1 - f_t``, with the three remaining blocks stacked in the order f, g, o:
    ``weight_ih (3 H_out, H_in)``, ``weight_hh (3 H_out, H_out)``, biases ``(3
    H_out,)``; ``x`` is ``(N, H_in)``, ``h`` and ``c`` are ``(N, H_out)``."""

    def check():
        g = torch.Generator().manual_seed(case_seed(11))
        N, H_in, H = 4, 3, 5
        args = (
            torch.randn(N, H_in, generator=g, dtype=torch.float64),
            torch.randn(N, H, generator=g, dtype=torch.float64),
            torch.randn(N, H, generator=g, dtype=torch.float64),
            torch.randn(3 * H, H_in, generator=g, dtype=torch.float64),
            torch.randn(3 * H, H, generator=g, dtype=torch.float64),
            torch.randn(3 * H, generator=g, dtype=torch.float64),
            torch.randn(3 * H, generator=g, dtype=torch.float64),
        )
        out = cifg_step(*(a.clone() for a in args))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise Hint(f"return a tuple (h_t, c_t), got {type(out).__name__}")
        h_new, c_new = (_as_tensor(name, v) for name, v in zip(("h_t", "c_t"), out))
        expect_shape("h_t", h_new, (N, H))
        expect_shape("c_t", c_new, (N, H))
        h_ref, c_ref = _cifg_reference(*args)
        if not torch.allclose(c_new.double(), c_ref, atol=1e-6):
            _, c_same = _cifg_with_i_equal_f(*args)
            if torch.allclose(c_new.double(), c_same, atol=1e-6):
                raise Hint("c_t is off: the input gate is not the forget gate itself")
            if torch.allclose(c_new.double(), args[2]):
                raise Hint("c_t equals c_{t-1}: nothing was forgotten or written")
            expect_close("c_t", c_new, c_ref, atol=1e-6)
        if not torch.allclose(h_new.double(), h_ref, atol=1e-6):
            raise Hint(
                "c_t is right but h_t is not: check how the output gate reads the new "
                "cell state"
            )

    return report("5.5", check)
