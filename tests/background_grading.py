"""The grader's run over every chapter's student edition, in a process of its own.

Executing the thirteen student editions (with the stubs, then with the reference
solutions on the grader's cases) costs about four minutes of kernel time. conftest.py
starts this script when the session collects ``tests/test_grade.py``'s chapter tests, so
that the work runs on the second core while the rest of the suite runs on the first;
those tests are marked ``run_last`` and read the reports it wrote.

    python tests/background_grading.py FOLDER     # writes FOLDER/NN-name.ipynb.pickle

It is a separate process rather than threads of pytest's own so that its kernels are
not children that pytest reaps while nbval measures a chapter's CPU time (conftest.py
counts the CPU time of reaped children). ``RNNBOOK_BACKGROUND_GRADING=0`` grades in the
test process instead, two kernels at a time, when the tests ask.
"""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from booktools import ROOT, read_notebook  # noqa: E402

from rnnbook.edition import BEGIN, is_solution_cell, student_notebook  # noqa: E402
from rnnbook.grade import Limits, grade_submission  # noqa: E402
from rnnbook.grade.manifest import build_manifest  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
# one chapter of the Spanish edition (make es), graded against the English manifest:
# the exercises, their ids and their checks are the same in both languages
SPANISH = ROOT / "es" / "chapters" / "01-sequential-data.ipynb"
SEED = 11
GRADING = pytest.StashKey["Background"]()  # set by conftest.py when it starts the run


def book_manifest():
    full = {p.name: read_notebook(p) for p in CHAPTERS}
    students = {n: student_notebook(nb, n) for n, nb in full.items()}
    return build_manifest(full, students)


def solutions(full) -> list[str]:
    return [c.source for c in full.cells if is_solution_cell(c) and BEGIN in c.source]


def grade(chapter: Path, manifest, folder: Path):
    """The grader's report on the chapter's student edition (its stubs), with
    ``then_items`` graded after restoring the reference solutions, from one
    execution."""
    full = read_notebook(chapter)
    path = Path(folder) / report_name(chapter)
    nbformat.write(student_notebook(full, chapter.name), path)
    return grade_submission(
        path,
        manifest,
        limits=Limits(cell=300, notebook=900),
        seed=SEED,
        then=solutions(full),
    )


def report_name(chapter: Path) -> str:
    """``01-sequential-data.ipynb``, or ``es-01-sequential-data.ipynb`` for the Spanish
    edition's notebook."""
    lang = chapter.parent.parent.name if chapter.parent.name == "chapters" else ""
    return f"{lang}-{chapter.name}" if chapter == SPANISH else chapter.name


class Background:
    """The script running in the background; :meth:`result` waits for one chapter."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="rnnbook-grading-"))
        self.log = self.folder / "log.txt"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), str(self.folder)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )

    def result(self, chapter: Path):
        path = self.folder / f"{report_name(chapter)}.pickle"
        while not path.exists():
            if self.process.poll() is not None and not path.exists():
                raise RuntimeError(
                    f"background grading stopped (exit {self.process.returncode}) "
                    f"before {report_name(chapter)}:\n{self.log.read_text()[-3000:]}"
                )
            time.sleep(0.5)
        return pickle.loads(path.read_bytes())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def main(folder: str) -> int:
    out = Path(folder)
    manifest = book_manifest()
    for chapter in [*CHAPTERS, SPANISH]:
        report = grade(chapter, manifest, out)
        part = out / f"{report_name(chapter)}.part"
        part.write_bytes(pickle.dumps(report))
        part.rename(out / f"{report_name(chapter)}.pickle")  # whole or not at all
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
