"""Each chapter must run top to bottom in under a minute on a 2-core CPU (STYLE.md).

The budget is CPU time: the kernel's CPU seconds while nbval executes the chapter in
this same pytest session (see the root ``conftest.py``), kernel start included. A
shared, busy machine stretches the wall time of a chapter but not its CPU time, so load
cannot turn this test red while a chapter that got slower still does. The wall time is
reported beside it. This test runs last and reads what was measured.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 60.0
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.mark.run_last
@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.name)
def test_chapter_runs_within_budget(notebook, notebook_times):
    timing = notebook_times.get(notebook.resolve())
    if timing is None:
        pytest.skip(
            f"{notebook.name} was not executed in this session (run the full `make "
            "test`)"
        )
    print(f"{notebook.name}: {timing.cpu:.1f} s CPU ({timing.wall:.1f} s wall)")
    assert timing.cpu < BUDGET_SECONDS, (
        f"{notebook.name} used {timing.cpu:.1f} s of CPU under nbval "
        f"({timing.wall:.1f} s wall), over its {BUDGET_SECONDS:.0f} s budget"
    )
