"""rnnbook.npnn: bad input fails early with a TypeError/ValueError naming expected and
received.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnbook import npnn

RNG = np.random.default_rng(0)
P = {cell: npnn.init_params(RNG, 3, 4, cell) for cell in ("rnn", "lstm", "gru")}
X = np.zeros((2, 5, 3))
H = np.zeros((2, 4))

SEQ = {  # cell -> forward(x, state, params) with the kind's state convention
    "rnn": lambda x, s, p: npnn.rnn_forward(x, s, p),
    "lstm": lambda x, s, p: npnn.lstm_forward(x, (s, H), p),
    "gru": lambda x, s, p: npnn.gru_forward(x, s, p),
}
CELLS = {
    "rnn": lambda x, s, p: npnn.rnn_cell_forward(x, s, p),
    "lstm": lambda x, s, p: npnn.lstm_cell_forward(x, (s, H), p),
    "gru": lambda x, s, p: npnn.gru_cell_forward(x, s, p),
}


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize(
    "x,exc,message",
    [
        (
            np.zeros((2, 5, 3), dtype=np.int64),
            TypeError,
            "expected x with a floating-point dtype (float32 or float64), got dtype "
            "int64",
        ),
        (
            np.zeros((2, 5, 3), dtype=np.float16),
            TypeError,
            "expected x with dtype float32 or float64, got dtype float16",
        ),
        (
            np.zeros((5, 3)),
            ValueError,
            "expected x to be 3-D, got 2-D array of shape (5, 3)",
        ),
        (
            np.zeros((2, 5, 2)),
            ValueError,
            "expected x of shape (N, L, 3) with L >= 1, got (2, 5, 2)",
        ),
        (
            np.zeros((2, 0, 3)),
            ValueError,
            "expected x of shape (N, L, 3) with L >= 1, got (2, 0, 3)",
        ),
        ([[[0.0, 0.0, 0.0]]], TypeError, "expected x to be a numpy.ndarray, got list"),
    ],
)
def test_sequence_input(cell, x, exc, message):
    with pytest.raises(exc) as info:
        SEQ[cell](x, None, P[cell])
    assert str(info.value) == message


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_state_shapes(cell):
    with pytest.raises(
        ValueError,
        match=r"expected h0 of shape \(2, 4\) = \(N, H\) \(no leading num_layers axis, "
        r"unlike torch.nn\), got \(1, 2, 4\)",
    ):
        SEQ[cell](X, np.zeros((1, 2, 4)), P[cell])  # torch's (num_layers, N, H) layout
    with pytest.raises(
        ValueError, match=r"expected h_prev of shape \(2, 4\) = \(N, H\), got \(2, 5\)"
    ):
        CELLS[cell](X[:, 0], np.zeros((2, 5)), P[cell])
    with pytest.raises(
        TypeError, match="h0 with a floating-point dtype .* got dtype int64"
    ):
        SEQ[cell](X, np.zeros((2, 4), dtype=int), P[cell])
    with pytest.raises(ValueError, match=r"expected x of shape \(N, 3\), got \(2, 4\)"):
        CELLS[cell](np.zeros((2, 4)), None, P[cell])


def test_lstm_cell_state_shape():
    with pytest.raises(
        ValueError, match=r"expected c0 of shape \(2, 4\) = \(N, H\), got \(2, 3\)"
    ):
        npnn.lstm_forward(X, (H, np.zeros((2, 3))), P["lstm"])


@pytest.mark.parametrize(
    "cell,other", [("rnn", "lstm"), ("lstm", "gru"), ("gru", "rnn")]
)
def test_params_of_the_wrong_kind(cell, other):
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    with pytest.raises(
        ValueError, match=rf"expected params\['weight_hh'\] of shape \({G}\*H, H\)"
    ):
        SEQ[cell](X, None, P[other])


def test_params_problems():
    p = P["rnn"]
    with pytest.raises(ValueError, match=r"missing \('bias_hh',\)"):
        npnn.rnn_forward(X, None, {k: v for k, v in p.items() if k != "bias_hh"})
    with pytest.raises(
        ValueError, match=r"expected params\['bias_ih'\] of shape \(4,\), got \(3,\)"
    ):
        npnn.rnn_forward(X, None, dict(p, bias_ih=np.zeros(3)))
    with pytest.raises(
        ValueError,
        match=r"expected params\['weight_ih'\] of shape \(4, H_in\), got \(3, 3\)",
    ):
        npnn.rnn_forward(X, None, dict(p, weight_ih=np.zeros((3, 3))))
    with pytest.raises(
        TypeError, match=r"params\['weight_hh'\] with a floating-point dtype"
    ):
        npnn.rnn_forward(X, None, dict(p, weight_hh=np.zeros((4, 4), dtype=int)))
    with pytest.raises(TypeError, match="expected params to be a dict"):
        npnn.rnn_forward(X, None, [1, 2])
    with pytest.raises(
        ValueError, match="expected nonlinearity 'tanh' or 'relu', got 'sigmoid'"
    ):
        npnn.rnn_forward(X, None, p, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="expected cell to be one of"):
        npnn.init_params(RNG, 3, 4, "transformer")
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        npnn.init_params(0, 3, 4)
    with pytest.raises(ValueError, match="key 'weight_ih_l0'"):
        npnn.params_from_state_dict({"weight_ih": np.zeros((4, 3))})


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_backward_gradient_shapes(cell):
    hs, _, cache = SEQ[cell](X, None, P[cell])
    backward = {
        "rnn": npnn.rnn_backward,
        "lstm": npnn.lstm_backward,
        "gru": npnn.gru_backward,
    }[cell]
    with pytest.raises(
        ValueError, match=r"expected dhs of shape \(2, 5, 4\), got \(2, 4, 4\)"
    ):
        backward(np.zeros((2, 4, 4)), cache)
    bad_state = (np.zeros((2, 3)), None) if cell == "lstm" else np.zeros((2, 3))
    with pytest.raises(
        ValueError, match=r"expected dh_n of shape \(2, 4\), got \(2, 3\)"
    ):
        backward(np.zeros_like(hs), cache, bad_state)
    with pytest.raises(TypeError, match="dhs with a floating-point dtype"):
        backward(np.zeros((2, 5, 4), dtype=int), cache)
