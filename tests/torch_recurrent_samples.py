"""What the ports of PyTorch's recurrent-module tests share: the two libraries they run
against, and the sample inputs and error inputs of PyTorch's module database.

The samples are those of ``torch/testing/_internal/common_modules.py`` in torch 2.13.0
(``module_inputs_torch_nn_RNN_GRU``, ``module_inputs_torch_nn_LSTM``,
``module_inputs_torch_nn_RNN_GRU_Cell``, ``module_inputs_torch_nn_LSTMCell`` and the
matching ``module_error_inputs_*``), written out again here as plain data: that module
cannot be imported without PyTorch's test dependencies (``expecttest``). They come
from PyTorch, under its BSD license:

    From PyTorch:

    Copyright (c) 2016-     Facebook, Inc            (Adam Paszke)
    Copyright (c) 2014-     Facebook, Inc            (Soumith Chintala)
    Copyright (c) 2011-2014 Idiap Research Institute (Ronan Collobert)
    Copyright (c) 2012-2014 Deepmind Technologies    (Koray Kavukcuoglu)
    Copyright (c) 2011-2012 NEC Laboratories America (Koray Kavukcuoglu)
    Copyright (c) 2011-2013 NYU                      (Clement Farabet)
    Copyright (c) 2006-2010 NEC Laboratories America (Ronan Collobert, Leon Bottou,
                            Iain Melvin, Jason Weston)
    Copyright (c) 2006      Idiap Research Institute (Samy Bengio)
    Copyright (c) 2001-2004 Idiap Research Institute (Ronan Collobert, Samy Bengio,
                            Johnny Mariethoz)

    All rights reserved.

    Redistribution and use in source and binary forms, with or without modification,
    are permitted provided that the following conditions are met:

    1. Redistributions of source code must retain the above copyright notice, this
       list of conditions and the following disclaimer.

    2. Redistributions in binary form must reproduce the above copyright notice, this
       list of conditions and the following disclaimer in the documentation and/or
       other materials provided with the distribution.

    3. Neither the names of Facebook, Deepmind Technologies, NYU, NEC Laboratories
       America and IDIAP Research Institute nor the names of its contributors may be
       used to endorse or promote products derived from this software without
       specific prior written permission.

    THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
    ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
    WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
    DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE FOR
    ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES
    (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS
    OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
    THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING
    NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN
    IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from functools import partial

import pytest
import torch
from torch.testing import make_tensor

import rnnbook.nn

LAYERS = ("RNN", "GRU", "LSTM")
CELLS = ("RNNCell", "GRUCell", "LSTMCell")
KINDS = LAYERS + CELLS


# The library under test: torch.nn (the control: a port that fails there is wrong) or
# rnnbook.nn, whose six classes take the place of torch's.
LIBS = pytest.mark.parametrize(
    "lib", [torch.nn, rnnbook.nn], ids=["torch.nn", "rnnbook.nn"]
)


@dataclass
class Sample:
    """One ``ModuleInput``: how to build the module and what to call it with."""

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    forward: tuple = ()  # positional arguments of the call

    @property
    def batch_first(self) -> bool:
        return bool(self.kwargs.get("batch_first", False))


# Every flag combination with RNNBOOK_TORCH_SUITE=full; by default six, in which every
# two values of every two flags meet (a covering array: the columns are the 3-subsets
# of the 6 rows that contain row 0, so any two columns share a 1, differ both ways, and
# leave a row 0 in both).
FULL = os.environ.get("RNNBOOK_TORCH_SUITE") == "full"
_COLUMNS = [S for S in itertools.combinations(range(6), 3) if 0 in S]


def flag_rows(n: int) -> list[tuple[bool, ...]]:
    """Combinations of ``n`` boolean flags (n <= 10) to test."""
    if FULL:
        return list(itertools.product((False, True), repeat=n))
    return [tuple(row in S for S in _COLUMNS[:n]) for row in range(6)]


def samples(kind: str, dtype=torch.float64, requires_grad=False) -> list[Sample]:
    """The samples of ``module_inputs_torch_nn_<kind>``: all of them unbatched input
    (the module database checks the no-batch-dimension path against a batch of one).
    For the layers, the flag combinations of ``flag_rows``."""
    make = partial(make_tensor, device="cpu", dtype=dtype, requires_grad=requires_grad)
    out = []
    if kind in ("RNN", "GRU"):
        for flags in flag_rows(4 if kind == "RNN" else 3):
            b, bf, bidir = flags[:3]
            kw = dict(num_layers=2, batch_first=bf, bias=b, bidirectional=bidir)
            if kind == "RNN":
                kw["nonlinearity"] = "tanh" if flags[3] else "relu"
            D = 2 if bidir else 1
            small = dict(input_size=2, hidden_size=2, **kw)
            out.append(Sample(kwargs=small, forward=(make((3, 2)),)))
            wider = dict(input_size=2, hidden_size=3, **kw)
            out.append(Sample(kwargs=wider, forward=(make((3, 2)), make((2 * D, 3)))))
    elif kind == "LSTM":
        for b, bf, bidir, projected in flag_rows(4):
            proj = 2 if projected else 0
            kw = dict(input_size=2, hidden_size=3, num_layers=2, proj_size=proj)
            kw.update(batch_first=bf, bias=b, bidirectional=bidir)
            rows, h_out = 4 if bidir else 2, proj or 3
            out.append(Sample(kwargs=kw, forward=(make((2, 2)),)))
            hx = (make((rows, h_out)), make((rows, 3)))
            out.append(Sample(kwargs=dict(kw), forward=(make((3, 2)), hx)))
    elif kind == "LSTMCell":
        for kw in ({}, {"bias": True}):
            hx = (make(10), make(10))
            out.append(Sample((5, 10), kw, (make(5), hx)))
    else:  # RNNCell, GRUCell
        kws = [{}, {"bias": True}]
        if kind == "RNNCell":
            kws.append({"bias": True, "nonlinearity": "relu"})
        out += [Sample((5, 10), kw, (make(5), make(10))) for kw in kws]
    return out


def batch_of_one(sample: Sample, module):
    """The reference of the module database (``no_batch_dim_reference_*``): the
    unbatched call must equal a call on a batch of one, squeezed."""
    x, *hx = sample.forward
    hx = hx[0] if hx else None
    if type(module).__name__.endswith("Cell"):  # the batch axis is the first
        return _apply(
            lambda t: t.squeeze(0),
            module(x.unsqueeze(0), _apply(lambda t: t.unsqueeze(0), hx)),
        )
    # a layer's states have N second, its input first if batch_first
    batch_dim = 0 if sample.batch_first else 1
    output, h_n = module(x.unsqueeze(batch_dim), _apply(lambda t: t.unsqueeze(1), hx))
    return output.squeeze(batch_dim), _apply(lambda t: t.squeeze(1), h_n)


def _apply(f, state):
    """``f`` on a tensor, or on each tensor of a tuple (None stays None)."""
    if state is None or isinstance(state, torch.Tensor):
        return None if state is None else f(state)
    return tuple(f(t) for t in state)


@dataclass
class ErrorSample:
    """One ``ErrorModuleInput``: a constructor or a call that must fail with
    ``error`` and a message matching ``regex``."""

    args: tuple
    kwargs: dict
    forward: tuple | None  # None: the constructor fails
    error: type
    regex: str


def error_samples(kind: str, dtype=torch.float32) -> list[ErrorSample]:
    """``module_error_inputs_torch_nn_RNN_GRU`` (used for the LSTM too),
    ``module_error_inputs_torch_nn_RNN_GRU_Cell`` and ``..._LSTMCell``."""
    make = partial(make_tensor, device="cpu", dtype=dtype)
    E = ErrorSample
    if kind in LAYERS:
        other = torch.float64 if dtype == torch.float32 else torch.float32
        return [
            E(
                (10, 0, 1),
                {},
                None,
                ValueError,
                "hidden_size must be greater than zero",
            ),
            E(
                (10, 10, 0),
                {},
                None,
                ValueError,
                "num_layers must be greater than zero",
            ),
            E(
                (3, 5),
                {"dtype": dtype},
                (make((2, 4, 3), dtype=other),),
                ValueError,
                r"RNN input dtype .* does not match weight dtype .* "
                r"Convert input: input\.to\(.*\), or convert model: model\.to\(.*\)",
            ),
            E(
                (3, 5),
                {"bias": 0},
                None,
                TypeError,
                "bias should be of type bool, got: int",
            ),
            E(
                (3, 5),
                {"bias": 1},
                None,
                TypeError,
                "bias should be of type bool, got: int",
            ),
            E(
                (3, 5),
                {"bias": "True"},
                None,
                TypeError,
                "bias should be of type bool, got: str",
            ),
            E(
                (3, 5),
                {"batch_first": 0},
                None,
                TypeError,
                "batch_first should be of type bool, got: int",
            ),
            E(
                (3, 5),
                {"batch_first": 1},
                None,
                TypeError,
                "batch_first should be of type bool, got: int",
            ),
            E(
                (3, 5),
                {"batch_first": "False"},
                None,
                TypeError,
                "batch_first should be of type bool, got: str",
            ),
            E(
                (3.0, 5),
                {},
                None,
                TypeError,
                "input_size should be of type int, got: float",
            ),
            E(
                ("10", 5),
                {},
                None,
                TypeError,
                "input_size should be of type int, got: str",
            ),
            E((0, 5), {}, None, ValueError, "input_size must be greater than zero"),
            E((-1, 5), {}, None, ValueError, "input_size must be greater than zero"),
            E(
                (3, 5.0),
                {},
                None,
                TypeError,
                "hidden_size should be of type int, got: float",
            ),
        ]
    if kind == "LSTMCell":

        def fwd(x, h, c=None):
            return (make(x), (make(h), make(c or h)))

        return [
            E(
                (10, 20),
                {},
                fwd((3, 11), (3, 20)),
                RuntimeError,
                "input has inconsistent input_size: got 11 expected 10",
            ),
            E(
                (10, 20),
                {},
                fwd((3, 10), (3, 21)),
                RuntimeError,
                "hidden0 has inconsistent hidden_size: got 21, expected 20",
            ),
            E(
                (10, 20),
                {},
                fwd((3, 10), (5, 20)),
                RuntimeError,
                "Input batch size 3 doesn't match hidden0 batch size 5",
            ),
            E(
                (10, 20),
                {},
                fwd((3, 10), (3, 1, 1, 20)),
                ValueError,
                "Expected hx\\[0\\] to be 1D or 2D, got 4D instead",
            ),
        ]
    return [  # RNNCell, GRUCell (the third argument is bias: 'relu' is a true one)
        E(
            (10, 20),
            {},
            (make(3, 11), make(3, 20)),
            RuntimeError,
            "input has inconsistent input_size: got 11 expected 10",
        ),
        E(
            (10, 20),
            {},
            (make(3, 10), make(3, 21)),
            RuntimeError,
            "hidden0 has inconsistent hidden_size: got 21, expected 20",
        ),
        E(
            (10, 20),
            {},
            (make(3, 10), make(5, 20)),
            RuntimeError,
            "Input batch size 3 doesn't match hidden0 batch size 5",
        ),
        E(
            (10, 20),
            {},
            (make(3, 10), make(3, 1, 1, 20)),
            ValueError,
            "Expected hidden to be 1D or 2D, got 4D instead",
        ),
        E(
            (10, 20, "relu"),
            {},
            (make(3, 10), make(3, 21)),
            RuntimeError,
            "hidden0 has inconsistent hidden_size: got 21, expected 20",
        ),
        E(
            (10, 20, "tanh"),
            {},
            (make(3, 10), make(3, 21)),
            RuntimeError,
            "hidden0 has inconsistent hidden_size: got 21, expected 20",
        ),
    ]


def flatten(outputs) -> list[torch.Tensor]:
    """The tensors of a module's output, in order: ``output, h_n`` or ``output, (h_n,
    c_n)`` or a cell's state."""
    leaves, _ = torch.utils._pytree.tree_flatten(outputs)
    return [t for t in leaves if isinstance(t, torch.Tensor)]
