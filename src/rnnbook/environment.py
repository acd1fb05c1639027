"""The one setup call at the top of every chapter: seeds, threads, plot style, device.

Introduced in the preface, section "How to run the book".
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

#: The seed every chapter uses unless it says otherwise.
DEFAULT_SEED = 0

_PLOT_STYLE = {
    "figure.figsize": (7.0, 3.2),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "lines.linewidth": 1.4,
    "image.cmap": "viridis",
}


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python's ``random``, NumPy's global generator and PyTorch (CPU and CUDA)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed))
    torch.manual_seed(int(seed))  # also seeds every CUDA device


def device(prefer: str | None = None) -> torch.device:
    """Return the device to train on: CUDA if available, else Apple MPS, else the CPU.

    ``prefer="cpu"`` (or the environment variable ``RNNBOOK_DEVICE=cpu``) forces a
    choice. The chapters' stored outputs were produced on the CPU; on a GPU the numbers
    agree to a few decimals but not bit for bit.
    """
    choice = prefer or os.environ.get("RNNBOOK_DEVICE")
    if choice is not None:
        if choice not in {"cpu", "cuda", "mps"} and not choice.startswith("cuda:"):
            raise ValueError(
                f"expected device 'cpu', 'cuda', 'cuda:N' or 'mps', got {choice!r}"
            )
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def setup(
    seed: int = DEFAULT_SEED,
    threads: int = 1,
    style: bool = True,
    prefer_device: str | None = "cpu",
) -> torch.device:
    """Make a chapter reproducible and return the device it runs on.

    - seeds ``random``, NumPy and PyTorch with ``seed``;
    - pins PyTorch to ``threads`` CPU threads: results are bit-identical run to run at a
      fixed thread count but drift (about 1e-8 relative) between thread counts, and one
      thread is the fastest for the book's small recurrent models;
    - sets the book's plot style (``style=False`` leaves matplotlib alone) and, in a
      Jupyter kernel, stores figures as "retina" PNGs (twice the pixels, shown at the
      same size), so that they stay sharp on high-density screens and in the PDF;
    - returns ``device(prefer_device)``. The chapters default to the CPU, where their
      stored outputs were produced; pass ``prefer_device=None`` to take a GPU when there
      is one.
    """
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    seed_everything(seed)
    torch.set_num_threads(threads)
    if style:
        import matplotlib as mpl

        mpl.rcParams.update(_PLOT_STYLE)
        _retina_figures()
    return device(prefer_device)


def _retina_figures() -> bool:
    """In an IPython kernel with the inline backend, store figures at twice the pixels.

    Returns whether it did (False outside IPython, where there is nothing to set).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    if get_ipython() is None:
        return False
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("retina")
    return True
