"""nbgrader's own commands on the course that ``make nbgrader`` writes
(rnnbook.grade.nbgrader): generate the assignment of one chapter, autograde a fully
solved and an untouched submission, export the grades."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from booktools import ROOT

from rnnbook.grade.nbgrader import write_course

# the chapter whose student edition runs fastest (see the tests of test_grade.py)
CHAPTER = "02-vanilla-rnn"


def _nbgrader(course: Path, *args: str) -> str:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def _grade_cells(nb) -> dict[str, object]:
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if "nbgrader" in c.metadata
    }


@pytest.mark.slow
def test_nbgrader_generates_autogrades_and_exports_a_chapter(tmp_path):
    course = tmp_path / "course"
    write_course(ROOT / "chapters", course, only=[CHAPTER])
    source = nbformat.read(course / "source" / CHAPTER / f"{CHAPTER}.ipynb", 4)
    cells = _grade_cells(source)
    tests = {k: c for k, c in cells.items() if c.metadata["nbgrader"]["grade"]}
    auto = {k: c for k, c in tests.items() if c.cell_type == "code"}
    manual = {k: c for k, c in tests.items() if c.cell_type == "markdown"}
    assert auto and manual
    assert all("### BEGIN HIDDEN TESTS" in c.source for c in auto.values())
    assert all(
        "# BEGIN SOLUTION" in c.source
        for c in source.cells
        if c.metadata["nbgrader"]["solution"] and c.cell_type == "code"
    )
    _nbgrader(course, "generate_assignment", CHAPTER)
    released = nbformat.read(course / "release" / CHAPTER / f"{CHAPTER}.ipynb", 4)
    text = "\n".join(c.source for c in released.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text
    # alice hands in the released notebook untouched, bob solves everything
    solved = nbformat.read(course / "release" / CHAPTER / f"{CHAPTER}.ipynb", 4)
    for cell in solved.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            cell.source = cells[meta["grade_id"]].source
        elif meta.get("solution"):
            cell.source = "My answer."
    for student, nb in (("alice", released), ("bob", solved)):
        folder = course / "submitted" / student / CHAPTER
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{CHAPTER}.ipynb")
    _nbgrader(course, "autograde", CHAPTER, "--create")
    _nbgrader(course, "export", "--to", "grades.csv")
    rows = {
        r["student_id"]: r
        for r in csv.DictReader(io.StringIO((course / "grades.csv").read_text()))
    }
    auto_points = sum(c.metadata["nbgrader"]["points"] for c in auto.values())
    all_points = auto_points + sum(
        c.metadata["nbgrader"]["points"] for c in manual.values()
    )
    assert float(rows["alice"]["score"]) == 0
    assert float(rows["bob"]["score"]) == auto_points  # the answers await a grader
    assert float(rows["bob"]["max_score"]) == all_points
