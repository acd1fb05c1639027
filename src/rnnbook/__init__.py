"""rnnbook: the reference implementations behind the course book on recurrent neural
networks.

Every chapter starts with::

    import rnnbook
    device = rnnbook.setup()

Subpackages and modules (each introduced in the chapter named):

- ``rnnbook.datasets``  the data sets shipped in ``data/`` and the synthetic series
  (Sequential data)
- ``rnnbook.baselines`` naive and linear forecasts (Sequential data)
- ``rnnbook.nn``        RNN, LSTM, GRU and their cells in plain PyTorch, drop-in for
  ``torch.nn``
- ``rnnbook.npnn``      the same models in NumPy with hand-written backward passes
  (Unrolling and BPTT)
- ``rnnbook.gradcheck`` central finite differences (Unrolling and BPTT)
- ``rnnbook.train``     a small model-agnostic training loop
- ``rnnbook.plots``     the book's recurring figures
- ``rnnbook.checks``    self-checks for the exercises
"""

from rnnbook.environment import device, setup

__all__ = ["setup", "device"]
__version__ = "0.1.0"
