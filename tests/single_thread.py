"""A fixture for the tests of ``rnnbook.nn`` and ``rnnbook.npnn``: one CPU thread, as
the chapters and the benchmarks run.

Import it into a test module (``from single_thread import one_thread``) and it applies
to every test there. The recurrent modules issue many small operations; with several
threads, each waits at OpenMP's barriers, and on a shared, loaded machine (where the
other threads are not running) that made the comparisons with ``torch.nn`` 30 times
slower in CPU time than with one thread, for the same numbers.
"""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
