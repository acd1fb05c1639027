"""Self-checks for the exercises of the Deep (stacked) RNNs chapter
(``chapters/08-deep-rnns.ipynb``).

Each checker calls the student's function on fresh inputs, compares with an oracle
(``torch.nn.RNN`` / ``LSTM`` / ``GRU`` themselves, or the definition written out below),
prints one verdict line through :func:`rnnbook.checks.report` and returns a bool. Hints
say what is wrong (a shape, the input size of the upper layers, the order of the rows of
``h_n``), never the answer.
"""

from __future__ import annotations

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

_MODES = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
# What 8.2 may not call (building a layer of torch.nn or rnnbook.nn) and what 8.3 may
# not call (a whole GRU layer; nn.GRUCell is allowed).
_NO_MODULES = (
    "torch.nn.modules.rnn.RNNBase.__init__",
    "torch.nn.modules.rnn.RNNCellBase.__init__",
    "rnnbook.nn.recurrent.RecurrentBase.__init__",
    "rnnbook.nn.cell.RecurrentCellBase.__init__",
)
_NO_WHOLE_GRU = (
    "torch.nn.modules.rnn.GRU.forward",
    "torch.nn.modules.rnn.RNNBase.forward",
    "rnnbook.nn.recurrent.RecurrentBase.forward",
    "torch._VF.gru",
)


def _as_tensor(name: str, value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise Hint(f"{name} should be a torch.Tensor, got {type(value).__name__}")
    return value


# --- Exercise 8.2: count the parameters of a stack ------------------------------------


def check_count_parameters(count_parameters: Callable) -> bool:
    """Exercise 8.2: ``count_parameters(mode, input_size, hidden_size, num_layers=1,
    bidirectional=False) -> int``, the number of parameters of ``torch.nn.<mode>`` built
    with those arguments (``mode`` is ``"RNN"``, ``"LSTM"`` or ``"GRU"``, with
    biases)."""

    configs = [
        ("RNN", 1, 64, 1, False),
        ("RNN", 1, 38, 2, False),
        ("LSTM", 3, 20, 2, False),
        ("GRU", 5, 7, 3, False),
        ("RNN", 4, 6, 2, True),
        ("LSTM", 2, 5, 3, True),
        ("GRU", 10, 16, 1, True),
    ]

    def check():
        rng = random.Random(case_seed(82))  # and three the grader draws
        drawn = [
            (rng.choice(list(_MODES)), rng.randint(1, 40), rng.randint(1, 40))
            + (rng.randint(1, 4), rng.random() < 0.5)
            for _ in range(3)
        ]
        for mode, H_in, H, layers, bidir in configs + drawn:
            with forbidding("count without building the module", *_NO_MODULES):
                got = count_parameters(
                    mode, H_in, H, num_layers=layers, bidirectional=bidir
                )
            where = (
                f"count_parameters({mode!r}, input_size={H_in}, hidden_size={H}, "
                f"num_layers={layers}, bidirectional={bidir})"
            )
            if isinstance(got, torch.Tensor) and got.numel() == 1:
                got = got.item()
            if not isinstance(got, int) or isinstance(got, bool):
                if isinstance(got, float) and got.is_integer():
                    got = int(got)
                else:
                    raise Hint(
                        f"{where} should return an int, got {type(got).__name__}"
                    )
            with torch.random.fork_rng():  # building a module draws its initial weights
                module = _MODES[mode](H_in, H, num_layers=layers, bidirectional=bidir)
            want = sum(p.numel() for p in module.parameters())
            if got == want:
                continue
            G = {"RNN": 1, "LSTM": 4, "GRU": 3}[mode]
            D = 2 if bidir else 1
            same_input = D * layers * G * H * (H_in + H + 2)  # every layer reads H_in
            one_bias = want - D * layers * G * H
            undirected = want // D
            if got == same_input and layers > 1:
                raise Hint(
                    f"{where} is off: the layers above the first do not read the input "
                    "x_t; "
                    "what do they read, and how wide is it?"
                )
            if got == one_bias:
                raise Hint(
                    f"{where} is off by one bias vector per layer and direction: "
                    "PyTorch keeps both b_ih and b_hh"
                )
            if bidir and got == undirected:
                raise Hint(
                    f"{where} is off: a bidirectional stack has a second set of "
                    "weights per layer"
                )
            if got * G == want or got == want * G:
                raise Hint(
                    f"{where} is off: check how many gate blocks the weights of a "
                    f"{mode} stack"
                )
            raise Hint(
                f"{where} returned {got}, which does not match the module "
                f"(it is {'too large' if got > want else 'too small'})"
            )

    return report("8.2", check)


# --- Exercise 8.3: a stacked GRU with explicit loops ----------------------------------


def check_deep_gru_forward(deep_gru_forward: Callable) -> bool:
    """Exercise 8.3: ``deep_gru_forward(gru, x) -> (output, h_n)`` for an ``nn.GRU``
    with ``batch_first=True`` (any ``num_layers``, one direction, in eval mode) and
    ``x`` of shape ``(N, L, H_in)``; the result must equal ``gru(x)``."""

    def check():
        for seed, (N, L, H_in, H, layers) in enumerate(
            [(3, 6, 2, 4, 2), (2, 5, 3, 5, 3), (4, 3, 1, 3, 1)]
        ):
            with torch.random.fork_rng():  # leave the caller's random stream as it was
                torch.manual_seed(case_seed(80 + seed))
                gru = nn.GRU(
                    H_in, H, num_layers=layers, batch_first=True, dtype=torch.float64
                ).eval()
                x = torch.randn(N, L, H_in, dtype=torch.float64)
                # layer 1 alone
                first = nn.GRU(H_in, H, batch_first=True, dtype=torch.float64).eval()
            first.load_state_dict(
                {k: v for k, v in gru.state_dict().items() if k.endswith("_l0")}
            )
            with torch.no_grad():
                want_out, want_h = gru(x)
                first_out, _ = first(x)
            with forbidding(
                "loop over layers and time yourself, without calling the whole GRU",
                *_NO_WHOLE_GRU,
            ):
                result = deep_gru_forward(gru, x.clone())
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise Hint(f"return a tuple (output, h_n), got {type(result).__name__}")
            out, h_n = (
                _as_tensor(name, v) for name, v in zip(("output", "h_n"), result)
            )
            where = f"(num_layers={layers}, N={N}, L={L})"
            if tuple(out.shape) == (L, N, H):
                raise Hint(
                    f"output {where} is time-first: the GRU is batch_first, so return "
                    "(N, L, H_out)"
                )
            expect_shape(f"output {where}", out, (N, L, H))
            expect_shape(f"h_n {where}", h_n, (layers, N, H))
            out, h_n = out.detach().double(), h_n.detach().double()
            if layers > 1 and torch.allclose(out, first_out, atol=1e-6):
                raise Hint(
                    f"output {where} is the first layer's hidden sequence: return the "
                    "top layer's"
                )
            if not torch.allclose(out, want_out, atol=1e-6):
                expect_close(f"output {where}", out, want_out, atol=1e-6)
            if layers > 1 and torch.allclose(h_n, want_h.flip(0), atol=1e-6):
                raise Hint(
                    f"h_n {where} has its rows in the wrong order: row 0 is the first "
                    "layer"
                )
            expect_close(f"h_n {where}", h_n, want_h, atol=1e-6)

    return report("8.3", check)


# --- Exercise 8.4: the rows of h_n by layer and direction -----------------------------


def check_split_h_n(split_h_n: Callable) -> bool:
    """Exercise 8.4: ``split_h_n(h_n, num_layers, bidirectional) -> tensor`` of shape
    ``(num_layers, D, N, H_out)``, entry ``[l, d]`` the final state of layer ``l`` in
    direction ``d`` (0 forward, 1 reverse)."""

    def check():
        for layers, bidir in [(3, True), (2, False), (1, True)]:
            with torch.random.fork_rng():
                torch.manual_seed(case_seed(84 + layers))
                rnn = nn.RNN(
                    2, 3, num_layers=layers, bidirectional=bidir, batch_first=True
                )
                x = torch.randn(4, 5, 2)
            with torch.no_grad():
                out, h_n = rnn(x)
            D = 2 if bidir else 1
            got = _as_tensor("the result", split_h_n(h_n.clone(), layers, bidir))
            where = f"(num_layers={layers}, bidirectional={bidir})"
            expect_shape(f"the result {where}", got, (layers, D, 4, 3))
            H = rnn.hidden_size
            # Oracles from the output sequence: the top layer's forward state ends at t
            # = L, its reverse state at t = 1.
            if not torch.allclose(got[-1, 0], out[:, -1, :H]):
                raise Hint(
                    f"{where}: [num_layers - 1, 0] should be the top layer's forward "
                    "final state; "
                    "how are the rows of h_n ordered?"
                )
            if bidir and not torch.allclose(got[-1, 1], out[:, 0, H:]):
                raise Hint(
                    f"{where}: [num_layers - 1, 1] should be the top layer's reverse "
                    "final state"
                )
            want = torch.stack(
                [torch.stack([h_n[k * D + d] for d in range(D)]) for k in range(layers)]
            )
            if not torch.equal(got, want):
                raise Hint(
                    f"{where}: the top layer is right, but a lower layer's rows are "
                    "not: "
                    "the rows of h_n go layer by layer, forward before reverse within "
                    "a layer"
                )

    return report("8.4", check)


# --- Exercise 8.6: one dropout mask per sequence --------------------------------------


def check_locked_dropout(locked_dropout: Callable) -> bool:
    """Exercise 8.6: ``locked_dropout(x, p, training) -> tensor``: for ``x`` of shape
    ``(N, L, H)``, in training mode, zero each of the ``N * H`` (sequence, unit) pairs
    with probability ``p`` at *every* step and scale the rest by ``1 / (1 - p)``;
    outside training, or with ``p = 0``, return ``x`` unchanged."""

    def check():
        g = torch.Generator().manual_seed(case_seed(86))
        x = torch.randn(3, 7, 5, generator=g)
        got = _as_tensor(
            "locked_dropout(x, 0.5, training=False)",
            locked_dropout(x.clone(), 0.5, False),
        )
        expect_shape("locked_dropout(x, 0.5, training=False)", got, tuple(x.shape))
        if not torch.equal(got, x):
            raise Hint("outside training mode the input should come back unchanged")
        got = _as_tensor(
            "locked_dropout(x, 0.0, training=True)",
            locked_dropout(x.clone(), 0.0, True),
        )
        if not torch.allclose(got, x):
            raise Hint("with p = 0 nothing should be dropped or rescaled")

        ones = torch.ones(400, 6, 50)  # (N, L, H): the output *is* the scaled mask
        p = 0.3
        with torch.random.fork_rng():
            torch.manual_seed(case_seed(87))
            mask = _as_tensor(
                "locked_dropout(x, 0.3, training=True)",
                locked_dropout(ones.clone(), p, True),
            )
        expect_shape("locked_dropout(x, 0.3, training=True)", mask, tuple(ones.shape))
        mask = mask.detach().double()
        kept = mask != 0
        if kept.all():
            raise Hint("in training mode with p = 0.3 nothing was dropped")
        if torch.allclose(mask[kept], torch.ones_like(mask[kept])):
            raise Hint(
                "the kept entries are not rescaled: divide them by (1 - p) so the "
                "expected value is unchanged"
            )
        if not torch.allclose(mask[kept], torch.full_like(mask[kept], 1 / (1 - p))):
            raise Hint(
                "the kept entries should all be scaled by the same factor, 1 / (1 - p)"
            )
        if not torch.equal(mask, mask[:, :1].expand_as(mask)):
            raise Hint(
                "the mask changes from one time step to the next: draw one mask per "
                "(sequence, unit) and reuse it at every step"
            )
        if torch.equal(mask, mask[:1].expand_as(mask)):
            raise Hint(
                "every sequence of the batch got the same mask: draw one per sequence"
            )
        rate = 1 - kept.double().mean().item()
        if abs(rate - p) > 0.05:
            raise Hint(
                f"with p = {p} about that fraction of units should be dropped, got "
                f"{rate:.2f}"
            )

        y = _as_tensor(
            "locked_dropout(x, 0.5, training=True)",
            locked_dropout(x.clone(), 0.5, True),
        )
        expect_shape("locked_dropout(x, 0.5, training=True)", y, tuple(x.shape))
        kept = y != 0
        if not torch.allclose(y[kept], 2 * x[kept]):
            raise Hint(
                "the kept entries should be the input's entries times 1 / (1 - p)"
            )

    return report("8.6", check)


# --- Exercise 8.7: an LSTMP is an LSTM with a low-rank recurrent matrix --------------


def check_unproject(unproject: Callable) -> bool:
    """Exercise 8.7: ``unproject(lstmp) -> (lstm, proj)`` for a one-layer,
    one-directional ``nn.LSTM`` with ``proj_size=P > 0`` and ``batch_first=True``:
    ``lstm`` is a plain ``nn.LSTM`` (``proj_size=0``) with the same input and hidden
    sizes, ``proj`` an ``nn.Linear(H, P, bias=False)``, and ``proj(lstm(x)[0])`` equals
    ``lstmp(x)[0]`` while the two final cell states agree."""

    def check():
        for seed, (H_in, H, P) in enumerate([(3, 8, 2), (1, 6, 5), (4, 5, 1)]):
            with torch.random.fork_rng():  # leave the caller's random stream as it was
                torch.manual_seed(case_seed(870 + seed))
                lstmp = nn.LSTM(
                    H_in, H, proj_size=P, batch_first=True, dtype=torch.float64
                )
                x = torch.randn(3, 7, H_in, dtype=torch.float64)  # (N, L, H_in)
                # a copy for the student, who may change it
                given = nn.LSTM(
                    H_in, H, proj_size=P, batch_first=True, dtype=torch.float64
                )
            given.load_state_dict(lstmp.state_dict())
            with torch.no_grad():
                want_out, (_, want_c) = lstmp(x)
            result = unproject(given)
            where = f"(H_in={H_in}, H={H}, P={P})"
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise Hint(f"return a pair (lstm, proj), got {type(result).__name__}")
            lstm, proj = result
            if not isinstance(lstm, nn.LSTM):
                raise Hint(
                    f"the first element should be an nn.LSTM, got {type(lstm).__name__}"
                )
            if lstm.proj_size != 0:
                raise Hint(
                    f"lstm {where} still has proj_size={lstm.proj_size}: build a plain "
                    "LSTM, whose hidden state is m_t"
                )
            if (lstm.input_size, lstm.hidden_size) != (H_in, H):
                raise Hint(
                    f"lstm {where} should have input_size={H_in} and hidden_size={H}, "
                    f"got {lstm.input_size} and {lstm.hidden_size}"
                )
            if lstm.num_layers != 1 or lstm.bidirectional or not lstm.batch_first:
                raise Hint(
                    f"lstm {where} should be one layer, one direction and batch_first, "
                    "like the LSTMP it replaces"
                )
            if not isinstance(proj, nn.Linear):
                raise Hint(
                    f"the second element should be an nn.Linear, got "
                    f"{type(proj).__name__}"
                )
            if proj.bias is not None:
                raise Hint("the projection of an LSTMP has no bias: use bias=False")
            expect_shape(f"proj.weight {where}", proj.weight, (P, H))
            with torch.no_grad():
                m, (_, c_n) = lstm(x.to(lstm.weight_ih_l0.dtype))
                out = proj(m.to(proj.weight.dtype))  # (N, L, P)
            out, c_n = out.double(), c_n.double()
            expect_shape(f"proj(lstm(x)[0]) {where}", out, (3, 7, P))
            if not torch.allclose(out[:, 0], want_out[:, 0], atol=1e-6):
                raise Hint(
                    f"proj(lstm(x)[0]) {where} differs from lstmp(x)[0] already at the "
                    "first step, where h_0 = 0: check the input weights, the biases "
                    "and proj.weight"
                )
            if not torch.allclose(out, want_out, atol=1e-6):
                raise Hint(
                    f"proj(lstm(x)[0]) {where} agrees at the first step but not later: "
                    "the recurrent matrix must turn m_(t-1) into what lstmp's W_hh "
                    "receives"
                )
            expect_close(f"lstm's final cell state {where}", c_n, want_c, atol=1e-6)

    return report("8.7", check)
