"""Self-checks for the exercises of the Bidirectional RNNs chapter
(``chapters/09-bidirectional.ipynb``).

Each checker calls the student's function on fresh random inputs, compares with an
oracle (``torch.nn.GRU``'s own final states, a loop written out below, or models whose
dependence on the future is known by construction), prints one verdict line through
:func:`rnnbook.checks.report` and returns a bool. Hints say what is wrong, never the
answer.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from rnnbook.checks import Hint, case_seed, expect_shape, report


def _as_tensor(name: str, value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise Hint(f"{name} should be a torch.Tensor, got {type(value).__name__}")
    return value


# --- Exercise 9.2: one vector per sequence from a bidirectional output ----------------


def check_sequence_summary(sequence_summary: Callable) -> bool:
    """Exercise 9.2: ``sequence_summary(output, hidden_size) -> (N, 2 H_out)``.

    ``output`` is the ``(N, L, 2 H_out)`` output of a one-layer bidirectional RNN with
    ``batch_first=True``; the summary is the last forward state next to the last
    backward state, ``[h_L^fwd ; h_1^bwd]``, which must equal ``torch.cat([h_n[-2],
    h_n[-1]], dim=1)``.
    """

    def check():
        for N, L, H_in, H in ((3, 7, 2, 4), (1, 5, 3, 6), (4, 1, 1, 2)):
            with torch.random.fork_rng():  # leave the caller's random stream as it was
                torch.manual_seed(case_seed(9 + L))
                gru = nn.GRU(H_in, H, batch_first=True, bidirectional=True)
                x = torch.randn(N, L, H_in)
            with torch.no_grad():
                output, h_n = gru(x)  # (N, L, 2H), (2, N, H)
            target = torch.cat([h_n[-2], h_n[-1]], dim=1)  # (N, 2H)
            got = _as_tensor("the summary", sequence_summary(output.clone(), H))
            expect_shape(
                f"the summary of an output of shape {tuple(output.shape)}",
                got,
                (N, 2 * H),
            )
            if torch.allclose(got, target, atol=1e-6):
                continue
            if torch.allclose(got, output[:, -1], atol=1e-6):
                raise Hint(
                    "you took the output at the last step for both directions: its "
                    "backward half "
                    "has read only the last input; the backward direction ends at the "
                    "first step"
                )
            if torch.allclose(got, torch.cat([h_n[-1], h_n[-2]], dim=1), atol=1e-6):
                raise Hint(
                    "both halves are there but in the wrong order: PyTorch puts the "
                    "forward "
                    "direction first"
                )
            if torch.allclose(got[:, :H], target[:, :H], atol=1e-6):
                raise Hint(
                    "the forward half is right, the backward half is not: where does "
                    "the "
                    "backward direction finish reading?"
                )
            raise Hint(
                "the summary has the right shape but not the right values: which step "
                "holds "
                "the last state of each direction?"
            )

    return report("9.2", check)


# --- Exercise 9.3: reverse each sequence of a padded batch within its own length ------


def _reverse_padded_reference(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    out = x.clone()
    for n, length in enumerate(lengths.tolist()):
        out[n, :length] = x[n, :length].flip(0)
    return out


def check_reverse_padded(reverse_padded: Callable) -> bool:
    """Exercise 9.3: ``reverse_padded(x, lengths) -> tensor like x``.

    ``x`` is ``(N, L, H_in)``, sequence ``n`` occupying steps ``0 .. lengths[n] - 1``
    and padding after that; the result reverses each sequence's valid steps and leaves
    the padding where it is. ``x`` itself must not change.
    """

    def check():
        g = torch.Generator().manual_seed(case_seed(93))
        for N, L, H_in in ((4, 6, 2), (5, 9, 1), (1, 3, 3)):
            lengths = torch.randint(1, L + 1, (N,), generator=g)
            lengths[0] = L  # one full-length sequence, one of length 1 where N allows
            if N > 1:
                lengths[-1] = 1
            x = torch.randn(N, L, H_in, generator=g)
            for n, length in enumerate(lengths.tolist()):
                x[n, length:] = 0.0  # zero padding, as pad_sequence makes it
            before = x.clone()
            got = _as_tensor("the result", reverse_padded(x, lengths.clone()))
            if not torch.equal(x, before):
                raise Hint(
                    "your function changed its input x in place: return a new tensor"
                )
            expect_shape("the result", got, tuple(x.shape))
            target = _reverse_padded_reference(x, lengths)
            if torch.equal(got, target):
                continue
            if torch.equal(got, x.flip(1)):
                raise Hint(
                    "flipping the whole time axis moves the padding to the front of "
                    "the shorter "
                    "sequences: reverse only the first lengths[n] steps of sequence n"
                )
            # (N, L): True on padding
            pad = torch.arange(L)[None, :] >= lengths[:, None]
            if not torch.equal(got[pad], x[pad]):
                raise Hint(
                    "the padding should stay where it was, after each sequence's valid "
                    "steps"
                )
            raise Hint(
                "the padding is in place but the valid steps are not reversed correctly"
            )

    return report("9.3", check)


# --- Exercise 9.5: does a sequence model read the future? -----------------------------


class _Wrapped(nn.Module):
    """A recurrent layer with batch_first=True that returns only its output, (N, L,
    D*H_out).
    """

    def __init__(self, rnn: nn.Module, flip: bool = False):
        super().__init__()
        self.rnn, self.flip = rnn, flip

    def forward(self, x):
        # a left-to-right layer run right to left: every output depends on the future
        if self.flip:
            return self.rnn(x.flip(1))[0].flip(1)
        return self.rnn(x)[0]


class _Peek(nn.Module):
    """A causal GRU plus a tiny dependence of one step's output on the input one step
    later.
    """

    def __init__(self, input_size: int, step: int, weight: float):
        super().__init__()
        self.rnn = nn.GRU(input_size, 3, batch_first=True)
        self.step, self.weight = step, weight

    def forward(self, x):
        out = self.rnn(x)[0].clone()  # (N, L, 3)
        t = self.step % x.shape[1]
        if t + 1 < x.shape[1]:
            out[:, t] = out[:, t] + self.weight * x[:, t + 1, :1]
        return out


class _PastOnly(nn.Module):
    """Causal but not recurrent: out_t = x_t + x_{t-1} (a look-back of one step)."""

    def forward(self, x):
        prev = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1)
        return x + prev


def check_leaks_future(leaks_future: Callable) -> bool:
    """Exercise 9.5: ``leaks_future(model, input_size, length=8) -> bool``.

    ``model`` maps an input ``(N, L, H_in)`` to an output ``(N, L, ...)``; the answer is
    True when the output at some step ``t`` changes if only inputs after ``t`` are
    changed.
    """

    def check():
        with torch.random.fork_rng():  # leave the caller's random stream as it was
            torch.manual_seed(case_seed(95))
            cases = [
                (
                    "a one-directional nn.GRU",
                    _Wrapped(nn.GRU(2, 4, batch_first=True)),
                    2,
                    False,
                ),
                (
                    "a bidirectional nn.GRU",
                    _Wrapped(nn.GRU(2, 4, batch_first=True, bidirectional=True)),
                    2,
                    True,
                ),
                (
                    "a one-directional two-layer nn.LSTM",
                    _Wrapped(nn.LSTM(3, 4, num_layers=2, batch_first=True)),
                    3,
                    False,
                ),
                (
                    "a one-directional nn.RNN run over the reversed sequence",
                    _Wrapped(nn.RNN(1, 4, batch_first=True), flip=True),
                    1,
                    True,
                ),
                (
                    "a model whose output at the first step depends slightly on the "
                    "second input",
                    _Peek(2, 0, 1e-3),
                    2,
                    True,
                ),
                (
                    "a model whose output at step 6 depends on the input at step 7",
                    _Peek(1, 5, 1.0),
                    1,
                    True,
                ),
                (
                    "a model that adds the previous input to the current one",
                    _PastOnly(),
                    2,
                    False,
                ),
            ]
        for name, model, H_in, leaks in cases:
            model.eval()
            got = leaks_future(model, H_in)
            if isinstance(got, torch.Tensor) and got.numel() == 1:
                got = got.item()
            if not isinstance(got, bool) and type(got).__name__ != "bool_":
                raise Hint(f"return True or False, got {type(got).__name__}")
            if bool(got) != leaks:
                if leaks:
                    raise Hint(
                        f"{name} reads the future, but your function says it does not: "
                        "change "
                        "every input after step t, for every t, and compare the "
                        "outputs at steps up to t"
                    )
                raise Hint(
                    f"{name} never reads the future, but your function says it does: "
                    "compare "
                    "only the outputs at steps up to t, after changing only inputs "
                    "after t"
                )

    return report("9.5", check)
