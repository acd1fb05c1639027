"""Each chapter must run top to bottom in under a minute on a 2-core CPU (STYLE.md).

The times are measured while nbval executes the chapters in this same pytest session
(see the root ``conftest.py``); this test runs last and reads them.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 60.0
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.mark.run_last
@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.name)
def test_chapter_runs_within_budget(notebook, notebook_times):
    seconds = notebook_times.get(notebook.resolve())
    if seconds is None:
        pytest.skip(
            f"{notebook.name} was not executed in this session (run the full `make "
            "test`)"
        )
    print(f"{notebook.name}: {seconds:.1f} s")
    assert seconds < BUDGET_SECONDS, (
        f"{notebook.name} took {seconds:.1f} s under nbval, over its "
        f"{BUDGET_SECONDS:.0f} s budget"
    )
