"""Bad input to rnnbook.nn fails early, with a message naming what was expected and
received.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from single_thread import one_thread  # noqa: F401 (autouse: one CPU thread)

import rnnbook.nn


@pytest.mark.parametrize(
    "kind", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]
)
def test_non_tensor_input(kind):
    module = getattr(rnnbook.nn, kind)(3, 4)
    with pytest.raises(
        TypeError, match="expected input to be a torch.Tensor, got list"
    ):
        module([[0.0, 1.0, 2.0]])


@pytest.mark.parametrize("shape", [(3,), (2, 5, 3, 1), (5, 2, 4), (5, 4)])
def test_layer_input_wrong_dims_or_features(shape):
    rnn = rnnbook.nn.RNN(3, 4)
    expected = "expected input of shape (L, N, 3) or (L, 3), got " + str(shape).replace(
        ",)", ",)"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        rnn(torch.zeros(shape))


def test_batch_first_is_named_in_the_message():
    lstm = rnnbook.nn.LSTM(3, 4, batch_first=True)
    with pytest.raises(
        ValueError, match=re.escape("(N, L, 3) or (L, 3), got (2, 5, 7)")
    ):
        lstm(torch.zeros(2, 5, 7))


@pytest.mark.parametrize("shape", [(2, 3, 4), (3,), (2, 5)])
def test_cell_input_wrong_dims_or_features(shape):
    cell = rnnbook.nn.GRUCell(4, 3)
    with pytest.raises(
        ValueError, match=re.escape("expected input of shape (N, 4) or (4,)")
    ):
        cell(torch.zeros(shape))


def test_hidden_state_of_wrong_shape():
    rnn = rnnbook.nn.RNN(10, 20, num_layers=2)
    with pytest.raises(
        ValueError, match=re.escape("expected hx of shape (2, 4, 20), got (1, 4, 20)")
    ):
        rnn(torch.zeros(7, 4, 10), torch.zeros(1, 4, 20))
    with pytest.raises(
        ValueError, match=re.escape("expected hx of shape (2, 4, 20), got (2, 4, 21)")
    ):
        rnn(torch.zeros(7, 4, 10), torch.zeros(2, 4, 21))
    with pytest.raises(
        ValueError, match=re.escape("expected hx of shape (2, 20), got (2, 1, 20)")
    ):
        rnn(torch.zeros(7, 10), torch.zeros(2, 1, 20))  # unbatched input, batched state


def test_bidirectional_state_counts_directions():
    gru = rnnbook.nn.GRU(3, 5, num_layers=2, bidirectional=True)
    with pytest.raises(
        ValueError, match=re.escape("expected hx of shape (4, 2, 5), got (2, 2, 5)")
    ):
        gru(torch.zeros(6, 2, 3), torch.zeros(2, 2, 5))


def test_batch_mismatch_between_input_and_state():
    lstm = rnnbook.nn.LSTM(3, 5, batch_first=True)
    h0, c0 = torch.zeros(1, 4, 5), torch.zeros(1, 2, 5)
    with pytest.raises(
        ValueError,
        match=r"batch size mismatch: input has batch size 2 but "
        r"hx\[0\] \(h_0\) has 4",
    ):
        lstm(torch.zeros(2, 6, 3), (h0, c0))
    cell = rnnbook.nn.RNNCell(3, 5)
    with pytest.raises(
        ValueError, match=re.escape("expected hx of shape (2, 5), got (3, 5)")
    ):
        cell(torch.zeros(2, 3), torch.zeros(3, 5))


def test_lstm_state_must_be_a_pair():
    lstm = rnnbook.nn.LSTM(3, 5)
    with pytest.raises(
        TypeError,
        match=r"expected hx to be a tuple \(h_0, c_0\) of two tensors, got Tensor",
    ):
        lstm(torch.zeros(6, 2, 3), torch.zeros(1, 2, 5))
    with pytest.raises(TypeError, match="got tuple of length 1"):
        rnnbook.nn.LSTMCell(3, 5)(torch.zeros(2, 3), (torch.zeros(2, 5),))
    with pytest.raises(
        TypeError, match=r"expected hx\[1\] \(c_0\) to be a torch.Tensor, got list"
    ):
        lstm(torch.zeros(6, 2, 3), (torch.zeros(1, 2, 5), [0.0]))


def test_state_must_be_a_tensor():
    with pytest.raises(TypeError, match="expected hx to be a torch.Tensor, got float"):
        rnnbook.nn.GRU(3, 4)(torch.zeros(5, 3), 0.0)


def test_dtype_mismatch():
    rnn = rnnbook.nn.RNN(3, 4, dtype=torch.float64)
    with pytest.raises(
        TypeError, match=r"expected input of dtype torch.float64 .* got torch.float32"
    ):
        rnn(torch.zeros(5, 2, 3))
    with pytest.raises(TypeError, match="expected hx of dtype torch.float64"):
        rnn(torch.zeros(5, 2, 3, dtype=torch.float64), torch.zeros(1, 2, 4))


def test_empty_sequence_is_refused_but_an_empty_batch_is_not():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "expected a sequence of length L >= 1, got input of shape (0, 2, 3) (L = 0)"
        ),
    ):
        rnnbook.nn.GRU(3, 4)(torch.zeros(0, 2, 3))
    with pytest.raises(
        ValueError, match=re.escape("got input of shape (2, 0, 3) (L = 0)")
    ):
        rnnbook.nn.LSTM(3, 4, batch_first=True)(torch.zeros(2, 0, 3))
    for kind in ["RNN", "LSTM", "GRU"]:  # N = 0 works in torch.nn, so it must work here
        for batch_first in (False, True):
            kwargs = dict(num_layers=2, bidirectional=True, batch_first=batch_first)
            x = torch.zeros((0, 5, 3) if batch_first else (5, 0, 3))
            (out, state), (ref_out, ref_state) = [
                getattr(lib, kind)(3, 4, **kwargs)(x) for lib in (rnnbook.nn, torch.nn)
            ]
            assert out.shape == ref_out.shape
            for h, ref_h in zip(as_tuple(state), as_tuple(ref_state)):
                assert h.shape == ref_h.shape == (4, 0, 4)
        cell = getattr(rnnbook.nn, f"{kind}Cell")(3, 4)
        assert as_tuple(cell(torch.zeros(0, 3)))[0].shape == (0, 4)


def as_tuple(state):
    return tuple(state) if isinstance(state, tuple) else (state,)


def _state(kind, shape, dtype=torch.float32):
    h = torch.zeros(shape, dtype=dtype)
    return (h, h.clone()) if kind.startswith("LSTM") else h


def _meta_state(kind, shape):
    return (
        tuple(h.to("meta") for h in _state(kind, shape))
        if kind.startswith("LSTM")
        else _state(kind, shape).to("meta")
    )


def _numpy_state(kind, shape):
    h = np.zeros(shape, dtype=np.float32)
    return (h, h.copy()) if kind.startswith("LSTM") else h


# (description, constructor arguments, forward arguments as a function of the cell kind)
BAD_LAYER_INPUT = [
    ("1-D input", lambda k: (torch.zeros(3),)),
    ("4-D input", lambda k: (torch.zeros(2, 5, 3, 1),)),
    ("wrong feature size", lambda k: (torch.zeros(5, 2, 7),)),
    ("wrong feature size, unbatched", lambda k: (torch.zeros(5, 7),)),
    ("float64 input", lambda k: (torch.zeros(5, 2, 3, dtype=torch.float64),)),
    ("integer input", lambda k: (torch.zeros(5, 2, 3, dtype=torch.int64),)),
    (
        "state with another batch size",
        lambda k: (torch.zeros(5, 2, 3), _state(k, (1, 3, 4))),
    ),
    (
        "state with another hidden size",
        lambda k: (torch.zeros(5, 2, 3), _state(k, (1, 2, 5))),
    ),
    (
        "2-D state for batched input",
        lambda k: (torch.zeros(5, 2, 3), _state(k, (2, 4))),
    ),
    (
        "3-D state for unbatched input",
        lambda k: (torch.zeros(5, 3), _state(k, (1, 1, 4))),
    ),
    (
        "float64 state",
        lambda k: (torch.zeros(5, 2, 3), _state(k, (1, 2, 4), torch.float64)),
    ),
    ("sequence of length 0", lambda k: (torch.zeros(0, 2, 3),)),
    ("NumPy input", lambda k: (np.zeros((5, 2, 3), dtype=np.float32),)),
    ("nested list as input", lambda k: ([[[0.0, 1.0, 2.0]]],)),
    ("NumPy state", lambda k: (torch.zeros(5, 2, 3), _numpy_state(k, (1, 2, 4)))),
    ("a number as state", lambda k: (torch.zeros(5, 2, 3), 0.0)),
    (
        "a tuple of three states",
        lambda k: (torch.zeros(5, 2, 3), (torch.zeros(1, 2, 4),) * 3),
    ),
    ("4-D state", lambda k: (torch.zeros(5, 2, 3), _state(k, (1, 1, 2, 4)))),
    (
        "unbatched input, state with another hidden size",
        lambda k: (torch.zeros(5, 3), _state(k, (1, 5))),
    ),
    (
        "integer state",
        lambda k: (torch.zeros(5, 2, 3), _state(k, (1, 2, 4), torch.int64)),
    ),
    ("unbatched sequence of length 0", lambda k: (torch.zeros(0, 3),)),
    ("input on another device", lambda k: (torch.zeros(5, 2, 3, device="meta"),)),
    (
        "state on another device",
        lambda k: (torch.zeros(5, 2, 3), _meta_state(k, (1, 2, 4))),
    ),
]
# An LSTM's state is a pair (h_0, c_0); for RNN and GRU these are other mistakes (or no
# mistake).
BAD_LSTM_STATE = [
    ("one tensor instead of (h_0, c_0)", (torch.zeros(5, 2, 3), torch.zeros(1, 2, 4))),
    ("a stacked (2, 1, 2, 4) tensor", (torch.zeros(5, 2, 3), torch.zeros(2, 1, 2, 4))),
    ("a tuple of one tensor", (torch.zeros(5, 2, 3), (torch.zeros(1, 2, 4),))),
    (
        "a list of two tensors, the second a list",
        (torch.zeros(5, 2, 3), (torch.zeros(1, 2, 4), [0.0])),
    ),
    ("a (2, 2, 4) tensor", (torch.zeros(5, 2, 3), torch.zeros(2, 2, 4))),
    ("(h_0, None)", (torch.zeros(5, 2, 3), (torch.zeros(1, 2, 4), None))),
    ("a dict", (torch.zeros(5, 2, 3), {})),
    ("an empty list", (torch.zeros(5, 2, 3), [])),
]
BAD_LSTM_CELL_STATE = [
    ("one tensor instead of (h, c)", (torch.zeros(2, 3), torch.zeros(2, 4))),
    ("a tuple of one tensor", (torch.zeros(2, 3), (torch.zeros(2, 4),))),
    ("a tuple of three tensors", (torch.zeros(2, 3), (torch.zeros(2, 4),) * 3)),
    ("a number", (torch.zeros(2, 3), 0.0)),
    ("(h, None)", (torch.zeros(2, 3), (torch.zeros(2, 4), None))),
    ("a (2, 2, 4) tensor", (torch.zeros(2, 3), torch.zeros(2, 2, 4))),
]
BAD_CELL_INPUT = [
    ("3-D input", lambda k: (torch.zeros(2, 5, 3),)),
    ("0-D input", lambda k: (torch.tensor(1.0),)),
    ("wrong feature size", lambda k: (torch.zeros(2, 7),)),
    ("wrong feature size, unbatched", lambda k: (torch.zeros(7),)),
    ("float64 input", lambda k: (torch.zeros(2, 3, dtype=torch.float64),)),
    ("state with another batch size", lambda k: (torch.zeros(2, 3), _state(k, (3, 4)))),
    (
        "state with another hidden size",
        lambda k: (torch.zeros(2, 3), _state(k, (2, 5))),
    ),
    ("float64 state", lambda k: (torch.zeros(2, 3), _state(k, (2, 4), torch.float64))),
    ("NumPy input", lambda k: (np.zeros((2, 3), dtype=np.float32),)),
    ("NumPy state", lambda k: (torch.zeros(2, 3), _numpy_state(k, (2, 4)))),
    ("a number as state", lambda k: (torch.zeros(2, 3), 0.0)),
    ("4-D state", lambda k: (torch.zeros(2, 3), _state(k, (2, 1, 1, 4)))),
    ("1-D state for batched input", lambda k: (torch.zeros(2, 3), _state(k, (4,)))),
    ("2-D state for unbatched input", lambda k: (torch.zeros(3), _state(k, (1, 4)))),
    ("integer input", lambda k: (torch.zeros(2, 3, dtype=torch.int64),)),
]


@pytest.mark.parametrize(
    "kind", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]
)
def test_errors_are_also_what_torch_nn_raises(kind):
    """Code written for torch.nn catches torch's exception class; ours must be an
    instance of it too (while saying more: the expected and the received shape or
    dtype)."""
    cases = [
        (what, make_args(kind))
        for what, make_args in (
            BAD_CELL_INPUT if kind.endswith("Cell") else BAD_LAYER_INPUT
        )
    ]
    cases += {"LSTM": BAD_LSTM_STATE, "LSTMCell": BAD_LSTM_CELL_STATE}.get(kind, [])
    for what, args in cases:
        with pytest.raises(Exception) as theirs:
            getattr(torch.nn, kind)(3, 4)(*args)
        with pytest.raises(Exception) as ours:
            getattr(rnnbook.nn, kind)(3, 4)(*args)
        assert isinstance(ours.value, theirs.type), (
            f"{kind}, {what}: torch.nn raises {theirs.type.__name__}, rnnbook.nn "
            f"{type(ours.value).__mro__}"
        )
        assert "expected" in str(ours.value) and "got" in str(ours.value), (
            kind,
            what,
            str(ours.value),
        )
        # torch's words (up to the list of signatures of an argument error)
        words = str(theirs.value).split(" - got ")[0]
        assert words in str(ours.value), (kind, what, words, str(ours.value))


def test_constructor_arguments():
    """What torch.nn refuses, refused with torch's class and words, then ours."""
    cases = [
        (
            "RNN",
            (3, 5),
            {"nonlinearity": "sigmoid"},
            ValueError,
            "Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'.",
        ),
        (
            "GRU",
            (3, 5, 2),
            {"dropout": 1.5},
            ValueError,
            r"dropout should be a number in range \[0, 1\] representing the "
            r"probability of an element being zeroed; got dropout=1.5",
        ),
        (
            "RNN",
            (3, 0),
            {},
            ValueError,
            "hidden_size must be greater than zero; got hidden_size=0",
        ),
        (
            "LSTM",
            (3, 4),
            {"num_layers": 0},
            ValueError,
            "num_layers must be greater than zero",
        ),
        (
            "LSTM",
            (3.0, 4),
            {},
            TypeError,
            "input_size should be of type int, got: float; expected input_size to be "
            "an int, got 3.0",
        ),
        (
            "GRU",
            (3, 4),
            {"bias": 1},
            TypeError,
            "bias should be of type bool, got: int",
        ),
        (
            "LSTM",
            (3, 4),
            {"num_layers": 2.0},
            TypeError,
            "'float' object cannot be interpreted as an integer",
        ),
        (
            "LSTM",
            (3, 5),
            {"proj_size": -1},
            ValueError,
            "proj_size should be a positive integer or zero to disable projections",
        ),
        (
            "LSTM",
            (3, 5),
            {"proj_size": 5},
            ValueError,
            "proj_size has to be smaller than hidden_size; got proj_size=5, "
            "hidden_size=5",
        ),
        ("LSTM", (3, 5), {"proj_size": 2.0}, TypeError, "must be tuple of ints"),
        (
            "RNN",
            (3, 5),
            {"proj_size": 2},
            ValueError,
            "proj_size argument is only supported for LSTM, not RNN or GRU",
        ),
        (
            "GRU",
            (3, 5),
            {"proj_size": 0},
            ValueError,
            "proj_size argument is only supported for LSTM",
        ),
        (
            "RNNCell",
            (3, -1),
            {},
            RuntimeError,
            re.escape("Trying to create tensor with negative dimension -1: [-1, 3]"),
        ),
        ("LSTMCell", (3.0, 4), {}, TypeError, "must be tuple of ints"),
    ]
    for kind, args, kwargs, error, words in cases:
        with pytest.raises(error, match=words):
            getattr(rnnbook.nn, kind)(*args, **kwargs)
        with pytest.raises(error, match=words.split("; ")[0]):  # torch's own words
            getattr(torch.nn, kind)(*args, **kwargs)


def test_deliberate_differences_from_torch_nn():
    """Refused here, accepted by torch.nn (the class docstrings say why): a bool as a
    size, an unknown RNNCell nonlinearity before the first call, a third state."""
    with pytest.raises(TypeError, match="expected num_layers to be an int, got True"):
        rnnbook.nn.RNN(3, 4, True)
    assert torch.nn.RNN(3, 4, True).num_layers is True
    with pytest.raises(TypeError, match="expected input_size to be an int, got True"):
        rnnbook.nn.GRUCell(True, 4)
    with pytest.raises(ValueError, match="Unknown nonlinearity: gelu"):
        rnnbook.nn.RNNCell(3, 5, nonlinearity="gelu")
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: gelu"):
        torch.nn.RNNCell(3, 5, nonlinearity="gelu")(torch.zeros(2, 3))
    # an LSTM state of three tensors: torch.nn drops the third for unbatched input
    hx = (torch.zeros(1, 4),) * 3
    torch.nn.LSTM(3, 4)(torch.zeros(5, 3), hx)
    with pytest.raises(TypeError, match="lstm expects two hidden states"):
        rnnbook.nn.LSTM(3, 4)(torch.zeros(5, 3), hx)


def test_constructor_accepts_what_torch_nn_accepts():
    """NumPy integers as sizes; any value as bidirectional (only its truth counts), as
    in torch.nn; for the cells any bias and sizes of 0."""
    lstm = rnnbook.nn.LSTM(
        np.int64(3), np.int64(4), num_layers=np.int64(2), bidirectional=1
    )
    assert (lstm.input_size, lstm.hidden_size, lstm.num_layers, lstm.bidirectional) == (
        3,
        4,
        2,
        1,
    )
    assert type(lstm.num_layers) is int and "weight_hh_l1_reverse" in dict(
        lstm.named_parameters()
    )
    assert rnnbook.nn.GRUCell(np.int32(3), 4).weight_ih.shape == (12, 3)
    assert not rnnbook.nn.RNN(3, 4, bidirectional=0).bidirectional
    for value in ("yes", 2, None, []):  # truthy or falsy, kept as given like torch.nn
        ours, theirs = (
            rnnbook.nn.GRU(3, 4, bidirectional=value),
            torch.nn.GRU(3, 4, bidirectional=value),
        )
        assert repr(ours) == repr(theirs)
        assert [n for n, _ in ours.named_parameters()] == [
            n for n, _ in theirs.named_parameters()
        ]
    for kind in ["RNNCell", "GRUCell", "LSTMCell"]:
        for bias in ("relu", 0, None, 1.0):
            ours = getattr(rnnbook.nn, kind)(10, 20, bias)
            theirs = getattr(torch.nn, kind)(10, 20, bias)
            assert repr(ours) == repr(theirs)
            assert (ours.bias_ih is None) == (theirs.bias_ih is None)
        for sizes in [(10, 0), (0, 5), (0, 0)]:
            cell = getattr(rnnbook.nn, kind)(*sizes)
            x = torch.randn(3, sizes[0])
            out = as_tuple(cell(x, None))
            assert out[0].shape == as_tuple(getattr(torch.nn, kind)(*sizes)(x))[0].shape


def test_lstm_cell_takes_a_cell_state_of_another_dtype_as_torch_does():
    cell, ref = rnnbook.nn.LSTMCell(3, 4), torch.nn.LSTMCell(3, 4)
    ref.load_state_dict(cell.state_dict())
    x, h = torch.randn(2, 3), torch.randn(2, 4)
    for dtype in (torch.float64, torch.float16, torch.int64):
        c = torch.randn(2, 4).to(dtype)
        ours, theirs = cell(x, (h, c)), ref(x, (h, c))
        assert [t.dtype for t in ours] == [t.dtype for t in theirs]
        torch.testing.assert_close(ours, theirs)


def test_proj_size_zero_is_accepted_and_positional_order_is_torchs():
    lstm = rnnbook.nn.LSTM(3, 4, 2, True, True, 0.0, True, 0)
    ref = torch.nn.LSTM(3, 4, 2, True, True, 0.0, True, 0)
    assert repr(lstm) == repr(ref)
    rnn = rnnbook.nn.RNN(3, 4, 2, "relu", False, True)
    assert repr(rnn) == repr(torch.nn.RNN(3, 4, 2, "relu", False, True))
    assert (rnn.nonlinearity, rnn.mode, rnn.bias, rnn.batch_first) == (
        "relu",
        "RNN_RELU",
        False,
        True,
    )


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_packed_input_errors_are_torchs(kind):
    """Packed input: the class and the words of torch.nn. (torch.nn.LSTM checks
    nothing of packed input and fails inside its C++ code with words that do not name
    the mistake, such as "mat1 and mat2 shapes cannot be multiplied" or "got an
    incorrect number of RNN parameters": there, only the class is compared, and ours
    are the words torch.nn uses for the same mistake elsewhere.)"""
    from torch.nn.utils.rnn import pack_padded_sequence

    lengths = torch.tensor([5, 3, 2])
    packed = pack_padded_sequence(torch.zeros(5, 3, 3), lengths)
    unsorted = pack_padded_sequence(
        torch.zeros(5, 3, 3), torch.tensor([2, 5, 3]), enforce_sorted=False
    )
    cases = [
        (pack_padded_sequence(torch.zeros(5, 3, 7), lengths), None),
        (
            pack_padded_sequence(torch.zeros(5, 3, 3, dtype=torch.float64), lengths),
            None,
        ),
    ]
    if kind != "LSTM":
        cases += [(packed, torch.zeros(1, 2, 4)), (packed, torch.zeros(3, 4))]
        cases += [(packed, 0.0), (unsorted, 0.0)]
    for args in cases:
        with pytest.raises(Exception) as theirs:
            getattr(torch.nn, kind)(3, 4)(*args)
        with pytest.raises(theirs.type) as ours:
            getattr(rnnbook.nn, kind)(3, 4)(*args)
        assert kind == "LSTM" or str(theirs.value) in str(ours.value)


def test_packed_input_must_have_two_dimensional_data():
    """Packing an (L, N) tensor gives 1-D data: there is no unbatched form of packed
    input.
    """
    from torch.nn.utils.rnn import pack_padded_sequence

    for L in (4, 2):  # 5 valid steps, then 3: as many as there are features
        packed = pack_padded_sequence(torch.zeros(L, 2), torch.tensor([L, 1]))
        with pytest.raises(RuntimeError):
            torch.nn.GRU(3, 4)(packed)
        with pytest.raises(
            RuntimeError,
            match=re.escape(
                f"expected input of shape (number of valid steps, 3), got ({L + 1},)"
            ),
        ):
            rnnbook.nn.GRU(3, 4)(packed)
