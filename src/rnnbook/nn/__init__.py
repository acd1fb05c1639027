"""``rnnbook.nn``: RNN, LSTM and GRU layers and cells written with plain tensor
operations.

Drop-in replacements for ``torch.nn.RNN``, ``LSTM``, ``GRU``, ``RNNCell``, ``LSTMCell``
and ``GRUCell``: same constructor arguments, parameter names, shapes, gate order and
initialisation, so ``load_state_dict`` works both ways; same forward signatures and
return values. Each forward pass is an explicit loop over time that autograd
differentiates (no cuDNN, no fused kernels).

- ``rnn.py``   the Elman RNN (Introduced in the vanilla RNN chapter)
- ``lstm.py``  the LSTM (LSTM chapter)
- ``gru.py``   the GRU (GRU chapter)
- ``recurrent.py`` layers: the loop over time, stacking, directions (Deep and
  Bidirectional RNNs chapters)
- ``parameters.py`` the parameters of a layer, named and initialised as in ``torch.nn``
- ``cell.py``  what the three cells share
- ``packing.py`` ``PackedSequence`` input (Task types chapter)
- ``_config.py`` the constructors' arguments, checked as ``torch.nn`` checks them
- ``_checks.py`` what a call checks, in ``torch.nn``'s order; bad input raises
  ``ShapeError`` (a ``ValueError``), ``DtypeError``, ``NotATensorError`` or
  ``StateStructureError`` (each a ``TypeError``), each also an instance of what
  ``torch.nn`` raises for the same mistake (``_errors.py``), with a message that starts
  with ``torch.nn``'s words and names the expected and the received shape, dtype or
  type

The LSTM supports projections (``proj_size``, Sak et al. 2014) as ``torch.nn.LSTM``
does. Where the modules deliberately differ from ``torch.nn`` (sizes given as ``bool``,
an ``RNNCell`` nonlinearity refused when the cell is built), the class docstrings say
so and why.
"""

from rnnbook.nn._errors import (
    DeviceError,
    DtypeError,
    NotATensorError,
    ShapeError,
    StateStructureError,
)
from rnnbook.nn.gru import GRU, GRUCell, gru_step
from rnnbook.nn.lstm import LSTM, LSTMCell, lstm_step
from rnnbook.nn.rnn import RNN, RNNCell, rnn_step

__all__ = [
    "RNN",
    "LSTM",
    "GRU",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "rnn_step",
    "lstm_step",
    "gru_step",
    "ShapeError",
    "DtypeError",
    "NotATensorError",
    "StateStructureError",
    "DeviceError",
]
