"""RNN, LSTM and GRU in NumPy with hand-written backward passes (forward and backward
through time), the softmax cross-entropy loss, and the small network of the BPTT
chapter.

Everything mirrors ``torch.nn``: parameter names (``weight_ih``, ``weight_hh``,
``bias_ih``, ``bias_hh``), shapes, gate order (LSTM i, f, g, o; GRU r, z, n), row
vectors (``x @ W.T``) and ``batch_first=True`` sequences of shape (N, L, H_in), so the
same numbers load into ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` and give the same outputs
and gradients.

Each ``*_forward`` returns ``(output, state, cache)`` and each ``*_backward`` takes the
upstream gradients and the cache and returns ``(dinput, dstate, grads)``. Introduced in
the BPTT chapter ("Unrolling and backpropagation through time"); the LSTM and GRU
versions in their chapters.
"""

from rnnbook.npnn._common import init_params, params_from_state_dict, sigmoid
from rnnbook.npnn.gru import (
    gru_backward,
    gru_cell_backward,
    gru_cell_forward,
    gru_forward,
)
from rnnbook.npnn.losses import log_softmax, softmax, softmax_cross_entropy
from rnnbook.npnn.lstm import (
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
)
from rnnbook.npnn.network import TORCH_NAMES, SoftmaxRNN, one_hot
from rnnbook.npnn.rnn import (
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
)

__all__ = [
    "init_params",
    "params_from_state_dict",
    "sigmoid",
    "rnn_cell_forward",
    "rnn_cell_backward",
    "rnn_forward",
    "rnn_backward",
    "lstm_cell_forward",
    "lstm_cell_backward",
    "lstm_forward",
    "lstm_backward",
    "gru_cell_forward",
    "gru_cell_backward",
    "gru_forward",
    "gru_backward",
    "softmax",
    "log_softmax",
    "softmax_cross_entropy",
    "SoftmaxRNN",
    "TORCH_NAMES",
    "one_hot",
]
