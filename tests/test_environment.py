"""rnnbook.setup() and rnnbook.device(): the reproducibility promise of each chapter."""

import random

import matplotlib as mpl
import numpy as np
import pytest
import torch

import rnnbook
from rnnbook.environment import seed_everything


@pytest.fixture(autouse=True)
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def draw():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_setup_seeds_every_generator_the_same_way():
    rnnbook.setup(seed=3, style=False)
    first = draw()
    rnnbook.setup(seed=3, style=False)
    assert draw() == first
    rnnbook.setup(seed=4, style=False)
    assert draw() != first


def test_setup_pins_threads_and_returns_cpu_by_default():
    dev = rnnbook.setup(threads=1, style=False)
    assert torch.get_num_threads() == 1
    assert dev == torch.device("cpu")


def test_setup_sets_the_plot_style():
    mpl.rcParams["axes.grid"] = False
    rnnbook.setup()
    assert mpl.rcParams["axes.grid"] is True


def test_training_is_bit_identical_after_setup():
    def train():
        rnnbook.setup(seed=0, style=False)
        rnn = torch.nn.RNN(3, 8, batch_first=True)
        opt = torch.optim.SGD(rnn.parameters(), lr=0.1)
        x = torch.randn(4, 6, 3)
        for _ in range(5):
            opt.zero_grad()
            out, _ = rnn(x)
            out.pow(2).mean().backward()
            opt.step()
        return torch.cat([p.detach().flatten() for p in rnn.parameters()])

    assert torch.equal(train(), train())


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_bad_seed_is_rejected(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        seed_everything(bad)


@pytest.mark.parametrize("bad", [0, -2, 1.0])
def test_bad_thread_count_is_rejected(bad):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        rnnbook.setup(threads=bad)


def test_device_choice(monkeypatch):
    assert rnnbook.device("cpu") == torch.device("cpu")
    monkeypatch.setenv("RNNBOOK_DEVICE", "cpu")
    assert rnnbook.device() == torch.device("cpu")
    with pytest.raises(ValueError, match="expected device"):
        rnnbook.device("tpu")
    monkeypatch.delenv("RNNBOOK_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert rnnbook.device().type == "cuda"
    else:
        assert rnnbook.device().type in {"cpu", "mps"}


def test_setup_outside_ipython_does_not_touch_figure_formats():
    from rnnbook.environment import _retina_figures

    assert _retina_figures() is False  # pytest is not an IPython kernel
