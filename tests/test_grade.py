"""The grader (rnnbook.grade) on the book's chapters and on broken notebooks.

The expensive part of the suite's exercise tooling: the student edition of every chapter
is executed exactly once, by the grader (the module-scoped ``graded_student`` fixture),
and that one run serves both "the student edition runs top to bottom" and "every stub is
not attempted".
"""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest
from booktools import ROOT, exercise_cells, read_notebook

from rnnbook.edition import BEGIN, END, is_solution_cell, student_notebook
from rnnbook.grade import STATUSES, UnreadableNotebook, grade, grade_notebook, main

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
ids = lambda p: p.name  # noqa: E731


def _checked(nb) -> list[str]:
    return [
        c.metadata["rnnbook"]["exercise"]
        for c in exercise_cells(nb)
        if c.metadata["rnnbook"]["checked"]
    ]


@pytest.fixture(scope="module")
def graded_student(tmp_path_factory):
    """grade(chapter) -> the grader's report on that chapter's student edition, executed
    once.
    """
    folder = tmp_path_factory.mktemp("student")
    cache = {}

    def run(chapter):
        if chapter not in cache:
            path = folder / chapter.name
            nbformat.write(student_notebook(read_notebook(chapter)), path)
            cache[chapter] = grade_notebook(path, timeout=120)
        return cache[chapter]

    return run


# --- the book's chapters --------------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids)
def test_student_edition_runs_top_to_bottom(chapter, graded_student):
    report = graded_student(chapter)
    assert report.problems == [], f"{chapter.name}, student edition: {report.problems}"
    assert report.cell_errors == [], (
        f"{chapter.name}, student edition: cells raise with the stubs in place: "
        f"{report.cell_errors} "
        "(a check cell must run only the checker, or guard what follows with `if "
        "check(...):`)"
    )
    code = [c for c in report.nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids)
def test_every_stub_is_not_attempted(chapter, graded_student):
    report = graded_student(chapter)
    checked = _checked(read_notebook(chapter))
    assert report.score == 0 and report.max_score == len(checked)
    statuses = {r.exercise: r.status for r in report.exercises}
    assert statuses == {
        c.metadata["rnnbook"]["exercise"]: "not attempted"
        if c.metadata["rnnbook"]["checked"]
        else "manual"
        for c in exercise_cells(read_notebook(chapter))
    }


@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids)
def test_every_solution_passes_in_the_full_edition(chapter):
    report = grade_notebook(chapter, execute_it=False)
    assert report.problems == [] and report.cell_errors == []
    assert report.max_score == len(_checked(read_notebook(chapter))) > 0
    failed = [
        (r.exercise, r.status, r.message)
        for r in report.exercises
        if r.checked and r.status != "pass"
    ]
    assert not failed and report.score == report.max_score


def test_partial_marks_for_a_partly_done_notebook(tmp_path):
    """Chapter 1's student edition with one solution restored and one deliberately
    wrong.
    """
    full = read_notebook(CHAPTERS[0])
    student = student_notebook(full)
    solutions = {c.metadata["rnnbook"]["exercise"]: None for c in exercise_cells(full)}
    label = None
    for cell in full.cells:  # the solution cell of each exercise, by position
        label = cell.metadata.get("rnnbook", {}).get("exercise", label)
        if is_solution_cell(cell) and BEGIN in cell.source:
            solutions[label] = cell.source
    done, wrong, *rest = [ex for ex in _checked(full) if solutions.get(ex)]
    for cell in student.cells:
        if is_solution_cell(cell) and f"Exercise {done}:" in cell.source:
            cell.source = solutions[done]
        elif is_solution_cell(cell) and f"Exercise {wrong}:" in cell.source:
            lines = cell.source.splitlines()
            start = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
            end = next(i for i, line in enumerate(lines) if line.strip() == END)
            indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
            cell.source = "\n".join(
                lines[: start + 1] + [f"{indent}return None"] + lines[end:]
            )
    path = tmp_path / CHAPTERS[0].name
    nbformat.write(student, path)
    report = grade_notebook(path, timeout=120)
    statuses = {r.exercise: r.status for r in report.exercises}
    assert statuses[done] == "pass" and statuses[wrong] == "fail"
    assert all(statuses[ex] == "not attempted" for ex in rest)
    assert report.score == 1 and report.max_score == len(_checked(full))
    # the checker's hint
    assert next(r for r in report.exercises if r.exercise == wrong).message
    data = report.to_dict()
    assert (
        data["score"] == 1
        and data["counts"]["pass"] == 1
        and data["counts"]["fail"] == 1
    )


# --- the command ----------------------------------------------------------------------


def test_command_writes_a_table_and_json(tmp_path):
    out = tmp_path / "grade.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rnnbook.grade",
            str(CHAPTERS[0]),
            "--no-execute",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    full = read_notebook(CHAPTERS[0])
    assert (
        data["score"] == data["max_score"] == len(_checked(full))
        and data["executed"] is False
    )
    assert [e["exercise"] for e in data["exercises"]] == [
        c.metadata["rnnbook"]["exercise"] for c in exercise_cells(full)
    ]
    assert all(
        e["status"] in STATUSES and set(e) >= {"status", "message", "title"}
        for e in data["exercises"]
    )
    for e in data["exercises"]:
        assert e["exercise"] in result.stdout and e["status"] in result.stdout
    assert f"score: {data['score']} / {data['max_score']}" in result.stdout


def test_unreadable_input_exits_nonzero_with_a_clear_message(tmp_path, capsys):
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [ this is not json')
    out = tmp_path / "bad.json"
    assert main([str(bad), "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert (
        "cannot grade" in err
        and "expected a Jupyter notebook" in err
        and "bad.ipynb" in err
    )
    assert "error" in json.loads(out.read_text())
    assert main([str(tmp_path / "missing.ipynb")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(UnreadableNotebook):
        grade_notebook(tmp_path / "missing.ipynb")
    with pytest.raises(SystemExit):
        main([str(CHAPTERS[0]), "--timeout", "0"])
    with pytest.raises(ValueError, match="positive timeout"):
        grade_notebook(CHAPTERS[0], execute_it=False, timeout=-1)


# --- broken and unusual notebooks -----------------------------------------------------


def _md(source, **meta):
    cell = nbformat.v4.new_markdown_cell(source)
    if meta:
        cell.metadata["rnnbook"] = {
            "difficulty": 1,
            "minutes": 5,
            "kind": "code",
            **meta,
        }
    return cell


def _code(source, *texts, error=None, solution=False):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=t) for t in texts
    ]
    if error:
        cell.outputs.append(
            nbformat.v4.new_output(
                "error", ename=error[0], evalue=error[1], traceback=[]
            )
        )
    if solution:
        cell.metadata["tags"] = ["solution"]
    return cell


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_verdicts_and_errors_in_stored_outputs():
    nb = _nb(
        _md("### Exercise 7.1 (★☆☆): Wrong", exercise="7.1", checked=True),
        _code("f = 1", solution=True),
        _code("rnnbook.checks.x.check_f(f)", "❌ Exercise 7.1: the shape is off\n"),
        _md("### Exercise 7.2 (★☆☆): Crash", exercise="7.2", checked=True),
        _code("def g(:", error=("SyntaxError", "invalid syntax"), solution=True),
        _code(
            "rnnbook.checks.x.check_g(g)",
            error=("NameError", "name 'g' is not defined"),
        ),
        _md(
            "### Exercise 7.3 (★☆☆): Passed, then crashed", exercise="7.3", checked=True
        ),
        _code(
            "rnnbook.checks.x.check_h(h); h(0)",
            "✅ Exercise 7.3: passed\n",
            error=("ValueError", "bad"),
        ),
        _md("### Exercise 7.4 (★☆☆): Half done", exercise="7.4", checked=True),
        _code(
            "rnnbook.checks.x.check_a(a)\nrnnbook.checks.x.check_b(b)",
            "✅ Exercise 7.4: passed\n⏳ Exercise 7.4: not attempted yet\n",
        ),
        _md("### Exercise 7.5 (★☆☆): Check deleted", exercise="7.5", checked=True),
        _md("### Exercise 7.6 (★☆☆): Not run", exercise="7.6", checked=True),
        _code("rnnbook.checks.x.check_c(c)"),
        _md("### Exercise 7.7 (★☆☆): Stub, unguarded", exercise="7.7", checked=True),
        _code(
            "rnnbook.checks.x.check_d(d); d()",
            "⏳ Exercise 7.7: not attempted yet\n",
            error=("NotImplementedError", "Exercise 7.7: your code here"),
        ),
        _md(
            "### Exercise 7.8 (★★☆): Essay",
            exercise="7.8",
            checked=False,
            kind="concept",
        ),
    )
    results = {r.exercise: r for r in grade(nb)}
    assert {k: r.status for k, r in results.items()} == {
        "7.1": "fail",
        "7.2": "fail",
        "7.3": "fail",
        "7.4": "fail",
        "7.5": "fail",
        "7.6": "fail",
        "7.7": "not attempted",
        "7.8": "manual",
    }
    assert results["7.1"].message == "the shape is off"
    assert (
        "SyntaxError" in results["7.2"].message
        and "NameError" in results["7.2"].message
    )
    assert "ValueError: bad" in results["7.3"].message
    assert (
        "no check cell" in results["7.5"].message
        and "no verdict" in results["7.6"].message
    )
    assert (
        results["7.8"].message == "graded by hand (concept)"
        and results["7.1"].title == "Wrong"
    )


def test_missing_metadata_is_reported_and_headings_are_used(tmp_path, capsys):
    nb = _nb(
        nbformat.v4.new_markdown_cell("### Exercise 8.1 (★☆☆): From the heading"),
        _code("rnnbook.checks.x.check_f(f)", "✅ Exercise 8.1: passed\n"),
        nbformat.v4.new_markdown_cell("### Exercise 8.2 (★★☆): Essay"),
    )
    path = tmp_path / "nometa.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "nometa.json"
    assert main([str(path), "--no-execute", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert [(e["exercise"], e["status"]) for e in data["exercises"]] == [
        ("8.1", "pass"),
        ("8.2", "manual"),
    ]
    assert (
        data["score"] == data["max_score"] == 1
        and "no exercise metadata" in data["problems"][0]
    )
    nbformat.write(_nb(nbformat.v4.new_markdown_cell("# Nothing to grade")), path)
    assert main([str(path), "--no-execute", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert (
        data["exercises"] == []
        and data["max_score"] == 0
        and "no exercises found" in data["problems"][0]
    )


CHECK = "import rnnbook.checks\nrnnbook.checks."


def test_execution_clears_stale_outputs_and_survives_timeouts(tmp_path):
    nb = _nb(
        _md("### Exercise 9.1 (★☆☆): Slow cell", exercise="9.1", checked=True),
        _code("import time\ntime.sleep(60)"),
        _code(CHECK + "report('9.1', lambda: None)", "❌ Exercise 9.1: stale output\n"),
        _md("### Exercise 9.2 (★☆☆): Stub", exercise="9.2", checked=True),
        _code("def f():\n    raise NotImplementedError", "stale\n", solution=True),
        _code(CHECK + "report('9.2', f)", "✅ Exercise 9.2: passed\n"),
        _md("### Exercise 9.3 (★☆☆): Broken solution", exercise="9.3", checked=True),
        _code("def g(:\n    pass", solution=True),
        _code(CHECK + "report('9.3', lambda: g())"),
    )
    path = tmp_path / "slow.ipynb"
    nbformat.write(nb, path)
    report = grade_notebook(path, timeout=3)
    statuses = {r.exercise: (r.status, r.message) for r in report.exercises}
    # the sleep was interrupted, the rest still ran
    assert statuses["9.1"] == ("pass", "passed")
    assert statuses["9.2"][0] == "not attempted"
    assert statuses["9.3"][0] == "fail" and "NameError" in statuses["9.3"][1]
    assert any(
        "KeyboardInterrupt" in e["error"] or "Timeout" in e["error"]
        for e in report.cell_errors
    )
    assert report.score == 1 and report.max_score == 3


def test_a_dead_kernel_is_reported_and_graded_so_far(tmp_path, capsys):
    nb = _nb(
        _md("### Exercise 9.1 (★☆☆): Before", exercise="9.1", checked=True),
        _code(CHECK + "report('9.1', lambda: None)"),
        _code("import os\nos._exit(1)"),
        _md("### Exercise 9.2 (★☆☆): After", exercise="9.2", checked=True),
        _code(CHECK + "report('9.2', lambda: None)", "✅ Exercise 9.2: passed\n"),
    )
    path = tmp_path / "dies.ipynb"
    nbformat.write(nb, path)
    assert (
        main([str(path), "--json", str(tmp_path / "dies.json"), "--timeout", "60"]) == 0
    )
    data = json.loads((tmp_path / "dies.json").read_text())
    assert [e["status"] for e in data["exercises"]] == ["pass", "fail"]
    assert data["score"] == 1 and "execution stopped early" in data["problems"][0]
    assert (
        data["exercises"][1]["message"]
        == "the checker printed no verdict (was the check cell run?)"
    )
    assert "problem: execution stopped early" in capsys.readouterr().out
