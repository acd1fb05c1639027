"""Project-wide pytest hooks.

- Time every chapter notebook that nbval executes (kernel start included) so that
  ``tests/test_time_budget.py`` can hold each chapter to its one-minute budget, and list
  the times at the end of the run.
- Run tests marked ``run_last`` after everything else.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import pytest

NOTEBOOK_TIMES = pytest.StashKey[dict]()


def pytest_configure(config):
    config.stash[NOTEBOOK_TIMES] = defaultdict(float)


def pytest_collection_modifyitems(session, config, items):
    last = [item for item in items if item.get_closest_marker("run_last")]
    if last:
        items[:] = [item for item in items if item not in last] + last


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    path = Path(str(item.fspath))
    if path.suffix != ".ipynb":
        yield
        return
    start = time.perf_counter()
    yield
    item.config.stash[NOTEBOOK_TIMES][path.resolve()] += time.perf_counter() - start


@pytest.fixture
def notebook_times(request) -> dict:
    """Seconds each notebook took under nbval in this session, keyed by path."""
    return dict(request.config.stash[NOTEBOOK_TIMES])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After the run, list how long each chapter took under nbval (its budget is one
    minute).
    """
    times = config.stash[NOTEBOOK_TIMES]
    if not times:
        return
    terminalreporter.section("chapter run times under nbval (budget: 60 s each)")
    for path, seconds in sorted(times.items()):
        terminalreporter.write_line(f"{path.name:42s} {seconds:6.1f} s")
