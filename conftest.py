"""Project-wide pytest hooks.

- Measure every chapter notebook that nbval executes (kernel start included): the CPU
  time of its kernel, which is what ``tests/test_time_budget.py`` holds to the
  one-minute budget (a busy, shared machine stretches wall time but not CPU time), and
  the wall time, reported beside it. Both are listed at the end of the run.
- Start rendering the site with Quarto in the background when the render tests are
  selected and Quarto is installed, so that it runs on the second core while nbval runs
  the chapters on the first (``tests/test_render.py`` waits for it).
- Start the grader's run over the student editions of the chapters in a process of its
  own when the tests that read it are selected (``tests/background_grading.py``), so
  that it too runs beside the rest of the suite; those tests are marked ``run_last``.
- Likewise grade the grader's tiny class (``tests/gradetools.py``), whose two timeouts
  would otherwise hold up the first core for half a minute each.
- Run tests marked ``run_last`` after everything else.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

NOTEBOOK_TIMES = pytest.StashKey[dict]()


@dataclass
class Timing:
    """What running one notebook under nbval cost: CPU seconds and wall seconds."""

    cpu: float = 0.0
    wall: float = 0.0


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (nbval's kernels)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def pytest_configure(config):
    config.stash[NOTEBOOK_TIMES] = {}


def pytest_collection_modifyitems(session, config, items):
    last = [item for item in items if item.get_closest_marker("run_last")]
    if last:
        items[:] = [item for item in items if item not in last] + last


def pytest_collection_finish(session):
    """Start the background render if a render test was collected, and the grader's run
    over the student editions if a test that reads it was collected."""
    tests = str(Path(__file__).parent / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    if any(Path(str(item.fspath)).name == "test_render.py" for item in session.items):
        from rendering import start_background_render

        start_background_render(session.config)
    background = os.environ.get("RNNBOOK_BACKGROUND_GRADING", "1") != "0"
    if background and any(
        "graded_class" in getattr(item, "fixturenames", ()) for item in session.items
    ):
        import tempfile

        from gradetools import CLASS, ClassGrading

        folder = Path(tempfile.mkdtemp(prefix="rnnbook-class-"))
        session.config.stash[CLASS] = ClassGrading(folder)
    if background and any(
        "graded_student" in getattr(item, "fixturenames", ()) for item in session.items
    ):
        import background_grading

        session.config.stash[background_grading.GRADING] = (
            background_grading.Background()
        )


def pytest_sessionfinish(session):
    if "gradetools" in sys.modules:
        running = session.config.stash.get(sys.modules["gradetools"].CLASS, None)
        if running is not None:
            running.stop()
            shutil.rmtree(running.folder, ignore_errors=True)
    if "background_grading" in sys.modules:
        grading = sys.modules["background_grading"]
        running = session.config.stash.get(grading.GRADING, None)
        if running is not None:
            running.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    path = Path(str(item.fspath))
    if path.suffix != ".ipynb":
        yield
        return
    # nbval shuts the kernel down (and the kernel process is reaped) in the teardown of
    # a notebook's last cell, inside this hook, so the kernel's CPU time is counted.
    cpu, wall = _cpu_seconds(), time.perf_counter()
    yield
    timing = item.config.stash[NOTEBOOK_TIMES].setdefault(path.resolve(), Timing())
    timing.cpu += _cpu_seconds() - cpu
    timing.wall += time.perf_counter() - wall


@pytest.fixture
def notebook_times(request) -> dict:
    """CPU and wall seconds each notebook took under nbval, keyed by resolved path."""
    return dict(request.config.stash[NOTEBOOK_TIMES])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After the run, list each chapter's CPU and wall time under nbval."""
    times = config.stash[NOTEBOOK_TIMES]
    if not times:
        return
    terminalreporter.section("chapter run times under nbval (budget: 60 s of CPU each)")
    terminalreporter.write_line(f"{'notebook':42s} {'CPU':>8s} {'wall':>8s}")
    for path, t in sorted(times.items()):
        terminalreporter.write_line(f"{path.name:42s} {t.cpu:6.1f} s {t.wall:6.1f} s")
