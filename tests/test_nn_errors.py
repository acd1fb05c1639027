"""Bad input to rnnbook.nn fails early, with a message naming what was expected and received."""

from __future__ import annotations

import re

import pytest
import torch

import rnnbook.nn


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_non_tensor_input(kind):
    module = getattr(rnnbook.nn, kind)(3, 4)
    with pytest.raises(TypeError, match="expected input to be a torch.Tensor, got list"):
        module([[0.0, 1.0, 2.0]])


@pytest.mark.parametrize("shape", [(3,), (2, 5, 3, 1), (5, 2, 4), (5, 4)])
def test_layer_input_wrong_dims_or_features(shape):
    rnn = rnnbook.nn.RNN(3, 4)
    expected = "expected input of shape (L, N, 3) or (L, 3), got " + str(shape).replace(",)", ",)")
    with pytest.raises(ValueError, match=re.escape(expected)):
        rnn(torch.zeros(shape))


def test_batch_first_is_named_in_the_message():
    lstm = rnnbook.nn.LSTM(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=re.escape("(N, L, 3) or (L, 3), got (2, 5, 7)")):
        lstm(torch.zeros(2, 5, 7))


@pytest.mark.parametrize("shape", [(2, 3, 4), (3,), (2, 5)])
def test_cell_input_wrong_dims_or_features(shape):
    cell = rnnbook.nn.GRUCell(4, 3)
    with pytest.raises(ValueError, match=re.escape("expected input of shape (N, 4) or (4,)")):
        cell(torch.zeros(shape))


def test_hidden_state_of_wrong_shape():
    rnn = rnnbook.nn.RNN(10, 20, num_layers=2)
    with pytest.raises(ValueError, match=re.escape("expected hx of shape (2, 4, 20), got (1, 4, 20)")):
        rnn(torch.zeros(7, 4, 10), torch.zeros(1, 4, 20))
    with pytest.raises(ValueError, match=re.escape("expected hx of shape (2, 4, 20), got (2, 4, 21)")):
        rnn(torch.zeros(7, 4, 10), torch.zeros(2, 4, 21))
    with pytest.raises(ValueError, match=re.escape("expected hx of shape (2, 20), got (2, 1, 20)")):
        rnn(torch.zeros(7, 10), torch.zeros(2, 1, 20))  # unbatched input, batched state


def test_bidirectional_state_counts_directions():
    gru = rnnbook.nn.GRU(3, 5, num_layers=2, bidirectional=True)
    with pytest.raises(ValueError, match=re.escape("expected hx of shape (4, 2, 5), got (2, 2, 5)")):
        gru(torch.zeros(6, 2, 3), torch.zeros(2, 2, 5))


def test_batch_mismatch_between_input_and_state():
    lstm = rnnbook.nn.LSTM(3, 5, batch_first=True)
    h0, c0 = torch.zeros(1, 4, 5), torch.zeros(1, 2, 5)
    with pytest.raises(ValueError, match=r"batch size mismatch: input has batch size 2 but "
                                         r"hx\[0\] \(h_0\) has 4"):
        lstm(torch.zeros(2, 6, 3), (h0, c0))
    cell = rnnbook.nn.RNNCell(3, 5)
    with pytest.raises(ValueError, match=re.escape("expected hx of shape (2, 5), got (3, 5)")):
        cell(torch.zeros(2, 3), torch.zeros(3, 5))


def test_lstm_state_must_be_a_pair():
    lstm = rnnbook.nn.LSTM(3, 5)
    with pytest.raises(TypeError, match=r"expected hx to be a tuple \(h_0, c_0\) of two tensors, got Tensor"):
        lstm(torch.zeros(6, 2, 3), torch.zeros(1, 2, 5))
    with pytest.raises(TypeError, match="got tuple of length 1"):
        rnnbook.nn.LSTMCell(3, 5)(torch.zeros(2, 3), (torch.zeros(2, 5),))
    with pytest.raises(TypeError, match=r"expected hx\[1\] \(c_0\) to be a torch.Tensor, got list"):
        lstm(torch.zeros(6, 2, 3), (torch.zeros(1, 2, 5), [0.0]))


def test_state_must_be_a_tensor():
    with pytest.raises(TypeError, match="expected hx to be a torch.Tensor, got float"):
        rnnbook.nn.GRU(3, 4)(torch.zeros(5, 3), 0.0)


def test_dtype_mismatch():
    rnn = rnnbook.nn.RNN(3, 4, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"expected input of dtype torch.float64 .* got torch.float32"):
        rnn(torch.zeros(5, 2, 3))
    with pytest.raises(TypeError, match="expected hx of dtype torch.float64"):
        rnn(torch.zeros(5, 2, 3, dtype=torch.float64), torch.zeros(1, 2, 4))


def test_empty_sequence():
    with pytest.raises(ValueError, match="non-empty"):
        rnnbook.nn.GRU(3, 4)(torch.zeros(0, 2, 3))


def test_constructor_arguments():
    with pytest.raises(NotImplementedError, match="proj_size=0, got proj_size=2"):
        rnnbook.nn.LSTM(3, 5, proj_size=2)
    with pytest.raises(ValueError, match="expected nonlinearity 'tanh' or 'relu', got 'sigmoid'"):
        rnnbook.nn.RNN(3, 5, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="expected nonlinearity"):
        rnnbook.nn.RNNCell(3, 5, nonlinearity="gelu")
    with pytest.raises(ValueError, match=r"expected dropout to be a number in \[0, 1\].*got 1.5"):
        rnnbook.nn.GRU(3, 5, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="expected hidden_size > 0, got 0"):
        rnnbook.nn.RNN(3, 0)
    with pytest.raises(TypeError, match="expected input_size to be an int, got float"):
        rnnbook.nn.LSTMCell(3.0, 4)
    with pytest.raises(TypeError, match="expected bidirectional to be a bool, got int"):
        rnnbook.nn.GRU(3, 4, bidirectional=1)
    with pytest.raises(ValueError, match="expected num_layers > 0, got 0"):
        rnnbook.nn.LSTM(3, 4, num_layers=0)


def test_proj_size_zero_is_accepted_and_positional_order_is_torchs():
    lstm = rnnbook.nn.LSTM(3, 4, 2, True, True, 0.0, True, 0)
    ref = torch.nn.LSTM(3, 4, 2, True, True, 0.0, True, 0)
    assert repr(lstm) == repr(ref)
    rnn = rnnbook.nn.RNN(3, 4, 2, "relu", False, True)
    assert repr(rnn) == repr(torch.nn.RNN(3, 4, 2, "relu", False, True))
    assert (rnn.nonlinearity, rnn.mode, rnn.bias, rnn.batch_first) == ("relu", "RNN_RELU", False, True)
