"""The grader (rnnbook.grade): a class graded to the expected CSV, the book's chapters,
and the pieces (kernel limits, manifest, reports, command line).

The expensive parts run once: the tiny class of ``gradetools.py`` is graded by one
run of the command (module fixture ``graded_class``), and the student edition of every
chapter is executed exactly once (``graded_student``), graded with its stubs and then
again with the reference solutions restored in the same kernel.
"""

from __future__ import annotations

import csv
import io
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import background_grading
import nbformat
import pytest
from booktools import ROOT, exercise_cells, read_notebook
from gradetools import CLASS, ClassGrading, write_class

from rnnbook.edition import student_notebook
from rnnbook.grade import grade_submission
from rnnbook.grade.cli import assign_chapters, main
from rnnbook.grade.core import (
    ItemResult,
    Submission,
    UnreadableNotebook,
    chapter_of_notebook,
    inspect_submission,
)
from rnnbook.grade.core import (
    read_notebook as read_submission,
)
from rnnbook.grade.kernel import Kernel
from rnnbook.grade.manifest import (
    ManifestError,
    build_manifest,
    check_calls,
    checksum,
    read_points,
)
from rnnbook.grade.report import (
    ManualScoresError,
    gradescope,
    merge_manual,
    read_manual,
    write_csv,
)

HERE = Path(__file__).parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
ids = lambda p: p.name  # noqa: E731


# --- a class graded to the expected CSV ----------------------------------------------


@pytest.fixture(scope="module")
def graded_class(request, tmp_path_factory):
    """The tiny class graded by the command: (folder, stdout, stderr); from the run
    conftest.py started at collection, or else run here."""
    running = request.config.stash.get(CLASS, None)  # see conftest.py
    if running is None:
        running = ClassGrading(tmp_path_factory.mktemp("class"))
    folder, code, stdout, stderr = running.result()
    assert code == 0, stderr
    return folder, stdout, stderr


@pytest.mark.run_last  # reads the class graded in the background (see above)
def test_the_class_is_graded_to_the_expected_csv(graded_class):
    folder, _, _ = graded_class
    got = list(csv.reader(io.StringIO((folder / "out" / "grades.csv").read_text())))
    want = list(
        csv.reader(io.StringIO((HERE / "submissions/expected.csv").read_text()))
    )
    assert got[0] == want[0]
    assert sorted(got[1:]) == sorted(want[1:])


@pytest.mark.run_last
def test_the_class_reports(graded_class):
    folder, stdout, _ = graded_class
    report = json.loads((folder / "reports" / "report.json").read_text())
    by_file = {s["file"]: s for s in report["submissions"]}
    assert len(by_file) == 15 and report["manifest"].endswith("manifest.json")
    honest = by_file["honest.ipynb"]
    assert (honest["total"], honest["max"], honest["flags"]) == (5, 5, [])
    statuses = {e["id"]: e["status"] for e in honest["exercises"]}
    assert statuses == {
        "1.3": "pass",
        "1.3-written": "manual",
        "1.4": "pass",
        "1.6": "manual",
    }
    answer = next(e for e in honest["exercises"] if e["id"] == "1.6")["answer"]
    assert "windows would share values" in answer
    wrong = {e["id"]: e for e in by_file["wrong.ipynb"]["exercises"]}
    assert wrong["1.4"]["status"] == "fail" and "overlap" in wrong["1.4"]["message"]
    slow = {e["id"]: e for e in by_file["slow-function.ipynb"]["exercises"]}
    assert slow["1.3"]["status"] == "timeout" and "time limit" in slow["1.3"]["message"]
    assert slow["1.4"]["status"] == "pass"
    loop = {e["id"]: e for e in by_file["infinite-loop.ipynb"]["exercises"]}
    assert loop["1.3"]["status"] == "pass" and loop["1.4"]["status"] == "timeout"
    assert any("restarted" in p for p in by_file["infinite-loop.ipynb"]["problems"])
    killer = by_file["kills-the-grader.ipynb"]
    assert killer["flags"] == ["crashed"] and "killed" in killer["problems"][0]
    patched = by_file["patched-checker.ipynb"]
    assert any("check_seasonal_naive" in p for p in patched["problems"])
    unreadable = by_file["unreadable.ipynb"]
    assert "not a Jupyter notebook" in unreadable["problems"][0]
    assert unreadable["max"] == 5
    # the feedback pages: the executed notebook with the verdicts
    page = (folder / "reports" / "wrong.html").read_text()
    assert "Grader, 1.4" in page and "overlap" in page and "Grade: 0 / 5" in page
    assert (folder / "reports" / "honest.json").is_file()
    # the summary table
    assert "honest.ipynb" in stdout and "5/5" in stdout
    assert "other-chapter:02-tiny-other" in stdout


# --- the book's chapters --------------------------------------------------------------


@pytest.fixture(scope="module")
def book_manifest():
    return background_grading.book_manifest()


@pytest.fixture(scope="module")
def graded_student(request, tmp_path_factory, book_manifest):
    """grade(chapter) -> the grader's report on that chapter's student edition (its
    stubs), with ``then_items`` graded after restoring the reference solutions, from
    one execution: read from the run conftest.py started in the background, or else
    graded here, two kernels at a time."""
    background = request.config.stash.get(background_grading.GRADING, None)
    if background is not None:
        yield background.result
        return
    folder = tmp_path_factory.mktemp("student")
    futures = {}

    def grade(chapter):
        return background_grading.grade(chapter, book_manifest, folder)

    with ThreadPoolExecutor(max_workers=2) as pool:

        def run(chapter):
            # this chapter, and the next one while the test waits for this one
            k = CHAPTERS.index(chapter) if chapter in CHAPTERS else len(CHAPTERS)
            for c in [*CHAPTERS[k : k + 2], chapter]:
                if c not in futures:
                    futures[c] = pool.submit(grade, c)
            return futures[chapter].result()

        yield run


@pytest.mark.run_last  # reads the background run (see tests/background_grading.py)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids)
def test_student_edition_runs_and_every_stub_is_not_attempted(chapter, graded_student):
    report = graded_student(chapter)
    assert report.problems == [] and report.flags == [], report.problems
    assert report.cell_errors == [], (
        f"{chapter.name}, student edition: cells raise with the stubs in place: "
        f"{report.cell_errors} (a check cell must run only the checker, or guard what "
        "follows with `if check(...):`)"
    )
    code = [c for c in report.nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    want = {}
    for c in exercise_cells(read_notebook(chapter)):
        meta = c.metadata["rnnbook"]
        auto = meta["checked"] and meta["kind"] == "code"
        want[meta["exercise"]] = "not attempted" if auto else "manual"
        if meta.get("written"):
            want[meta["exercise"] + "-written"] = "manual"
    assert {i.id: i.status for i in report.items} == want
    assert report.total == 0 and report.max_points > 0


@pytest.mark.run_last
@pytest.mark.parametrize("chapter", CHAPTERS, ids=ids)
def test_every_solution_passes_on_the_graders_cases(chapter, graded_student):
    report = graded_student(chapter)
    failed = [
        (i.id, i.status, i.message)
        for i in report.then_items
        if i.grading == "auto" and i.status != "pass"
    ]
    assert not failed


@pytest.mark.run_last
def test_the_spanish_edition_is_graded_like_the_english(graded_student):
    """The Spanish student notebook of a chapter (its text translated, its code the
    English code) gets the English verdicts from the English manifest."""
    spanish = background_grading.SPANISH
    english = ROOT / "chapters" / spanish.name
    es, en = graded_student(spanish), graded_student(english)
    assert es.problems == [] and es.cell_errors == []
    assert "Edición para estudiantes" in es.nb.cells[0].source
    assert {i.id: i.status for i in es.items} == {i.id: i.status for i in en.items}
    assert {i.id: i.status for i in es.then_items} == {
        i.id: i.status for i in en.then_items
    }
    assert all(i.status == "pass" for i in es.then_items if i.grading == "auto")


# --- the kernel: limits that hold -----------------------------------------------------


def test_a_loop_that_swallows_interrupts_is_killed_and_floats_are_limits(tmp_path):
    kernel = Kernel(tmp_path)
    try:
        start = time.monotonic()
        run = kernel.run(
            "import time\nwhile True:\n    try:\n        time.sleep(.5)\n"
            "    except:\n        pass",
            timeout=1.5,
            grace=1.0,
        )
        assert run.status == "hung" and time.monotonic() - start < 10
    finally:
        kernel.stop()
    kernel = Kernel(tmp_path)
    try:
        run = kernel.run("import time\ntime.sleep(30)", timeout=1.5)
        assert run.status == "timeout" and run.error[0] == "KeyboardInterrupt"
        assert kernel.run("print(6 * 7)", timeout=10).outputs[0]["text"] == "42\n"
        assert kernel.run("import os\nos._exit(1)", timeout=10).status == "dead"
    finally:
        kernel.stop()


def _tiny_manifest():
    from gradetools import course

    full = course()
    return build_manifest(full, {n: student_notebook(nb, n) for n, nb in full.items()})


# --- the submission against the manifest (no execution) -------------------------------


def test_inspection_finds_missing_edited_full_and_null_labels():
    from gradetools import course

    full = course()
    manifest = _tiny_manifest()
    student = student_notebook(full["01-tiny.ipynb"], "01-tiny.ipynb")
    chapter = manifest["chapters"][0]
    seen = inspect_submission(student, chapter)
    assert seen.present == {"1.3", "1.4", "1.6"} and not seen.full_edition
    item = chapter["exercises"][0]
    assert seen.check_cells["1.3"] == item["check_cells"]
    assert inspect_submission(full["01-tiny.ipynb"], chapter).full_edition
    # a label of null: found by its heading, the others unaffected
    student.cells[4].metadata["rnnbook"]["exercise"] = None
    assert inspect_submission(student, chapter).present == {"1.3", "1.4", "1.6"}
    assert chapter_of_notebook(student, manifest) == "01-tiny"
    del student.metadata["rnnbook"]
    assert chapter_of_notebook(student, manifest) == "01-tiny"
    other = student_notebook(full["02-tiny-other.ipynb"], "02-tiny-other.ipynb")
    assert chapter_of_notebook(other, manifest) == "02-tiny-other"


def test_the_class_chapter_is_the_majority(tmp_path):
    manifest = _tiny_manifest()
    from gradetools import course

    full = course()
    paths = []
    for i, name in enumerate(["01-tiny.ipynb", "01-tiny.ipynb", "02-tiny-other.ipynb"]):
        path = tmp_path / f"s{i}.ipynb"
        nbformat.write(student_notebook(full[name], name), path)
        paths.append(path)
    assert set(assign_chapters(paths, manifest, None).values()) == {"01-tiny"}
    assert assign_chapters(paths[2:], manifest, None) == {paths[2]: "02-tiny-other"}
    assert set(assign_chapters(paths, manifest, "02-tiny-other").values()) == {
        "02-tiny-other"
    }


def test_unreadable_notebooks_get_a_row_with_their_reason(tmp_path):
    manifest = _tiny_manifest()
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [ not json')
    report = grade_submission(bad, manifest, "01-tiny")
    assert report.flags == ["unreadable"] and report.total == 0
    assert report.max_points == 5 and "not a Jupyter notebook" in report.problems[0]
    with pytest.raises(UnreadableNotebook, match="does not exist"):
        read_submission(tmp_path / "missing.ipynb")
    weird = tmp_path / "weird.ipynb"
    weird.write_text(json.dumps({"cells": "no", "nbformat": 4, "nbformat_minor": 5}))
    assert grade_submission(weird, manifest, "01-tiny").flags == ["unreadable"]


# --- the manifest, points and hand grading --------------------------------------------


def test_check_calls_and_checksums():
    source = (
        "if rnnbook.checks.lstm.check_split_gates(\n    split_gates\n):\n    print(1)"
    )
    assert check_calls(source) == [
        {"checker": "rnnbook.checks.lstm.check_split_gates", "args": ["split_gates"]}
    ]
    assert check_calls("def (") == [] and check_calls("print(1)") == []
    assert checksum("a = 1  \n\n") == checksum("a = 1") != checksum("a = 2")


def test_the_books_manifest(book_manifest):
    chapters = {c["name"]: c for c in book_manifest["chapters"]}
    assert list(chapters) == [p.stem for p in CHAPTERS]
    for path in CHAPTERS:
        for cell in exercise_cells(read_notebook(path)):
            meta = cell.metadata["rnnbook"]
            item = next(
                i
                for i in chapters[path.stem]["exercises"]
                if i["id"] == meta["exercise"]
            )
            assert item["points"] == meta.get("points", meta["difficulty"])
            auto = meta["checked"] and meta["kind"] == "code"
            assert item["grading"] == ("auto" if auto else "manual")
            if auto:
                assert item["checks"] and len(item["check_cells"]) >= 1
    items = {i["id"] for c in book_manifest["chapters"] for i in c["exercises"]}
    assert {"2.3-written", "2.5-written", "5.5-written"} <= items


def test_points_from_yaml(tmp_path):
    from gradetools import course

    full = course()
    students = {n: student_notebook(nb, n) for n, nb in full.items()}
    points = tmp_path / "points.yaml"
    points.write_text('points:\n  "1.3": 4\n  "1.6": 2.5\n')
    manifest = build_manifest(full, students, read_points(points))
    items = {i["id"]: i["points"] for i in manifest["chapters"][0]["exercises"]}
    assert items == {"1.3": 4, "1.3-written": 1, "1.4": 2, "1.6": 2.5}
    assert manifest["chapters"][0]["max_points"] == 9.5
    points.write_text('"9.9": 1\n')
    with pytest.raises(ManifestError, match="9.9"):
        build_manifest(full, students, read_points(points))
    points.write_text('"1.3": -1\n')
    with pytest.raises(ManifestError, match="non-negative"):
        read_points(points)


def _result(file="a.ipynb"):
    r = Submission(path=file, file=file, chapter="01-tiny")
    r.items = [
        ItemResult("1.3", "1.3", "Seasonal", "auto", "pass", 1, 1, "passed"),
        ItemResult("1.3-written", "1.3", "Seasonal (w)", "manual", "manual", None, 1),
        ItemResult("1.6", "1.6", "Why", "manual", "manual", None, 1),
    ]
    return r


def test_manual_scores_are_merged_and_checked(tmp_path):
    manifest = _tiny_manifest()
    scores = tmp_path / "scores.csv"
    scores.write_text("file,1.3-written,1.6,total\nsubs/a.ipynb,1,0.5,99\nb.ipynb,,,\n")
    merged = read_manual(scores, manifest)
    assert merged == {"a.ipynb": {"1.3-written": 1.0, "1.6": 0.5}}
    results = [_result()]
    assert merge_manual(results, merged) == []
    assert results[0].total == 2.5
    scores.write_text("file,exercise,points\na.ipynb,1.6,3\n")
    with pytest.raises(ManualScoresError, match="expected 0 to 1 points for 1.6"):
        read_manual(scores, manifest)
    scores.write_text("file,exercise,points\na.ipynb,1.3,1\n")
    with pytest.raises(ManualScoresError, match="not an exercise graded by hand"):
        read_manual(scores, manifest)
    assert merge_manual([_result()], {"z.ipynb": {"1.6": 1}}) == [
        "--manual: no submission named 'z.ipynb' was graded"
    ]


def test_gradescope_and_csv_formats(tmp_path):
    r = _result()
    r.flags = ["edited-check:1.3"]
    data = gradescope(r)
    assert data["score"] == 1 and [t["name"] for t in data["tests"]] == [
        "Exercise 1.3: Seasonal"
    ]
    assert set(data["tests"][0]) >= {"name", "score", "max_score", "output"}
    assert "1.6" in data["output"] and "edited-check:1.3" in data["output"]
    write_csv([r], _tiny_manifest(), tmp_path / "g.csv")
    assert (tmp_path / "g.csv").read_text().splitlines() == [
        "file,chapter,1.3,1.3-written,1.4,1.6,total,max,flags",
        "a.ipynb,01-tiny,1,,,,1,3,edited-check:1.3",
    ]


# --- the command line: clear errors ---------------------------------------------------


@pytest.mark.parametrize(
    "args, wanted",
    [
        (["--timeout", "nan"], "expected a positive number of seconds, got 'nan'"),
        (["--timeout", "-1"], "expected a positive number of seconds"),
        (["--notebook-timeout", "inf"], "expected a positive number of seconds"),
        (["--jobs", "0"], "expected a positive whole number"),
    ],
)
def test_bad_limits_are_refused_with_one_line(args, wanted, capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        main([str(tmp_path), *args])
    assert stop.value.code == 2 and wanted in capsys.readouterr().err


def test_bad_paths_and_outputs_are_refused_with_one_line(tmp_path, capsys):
    _, student, subs = write_class(tmp_path)
    manifest = ["--manifest", str(student / "manifest.json")]
    assert main([str(tmp_path / "nowhere"), *manifest]) == 2
    assert "no such notebook or folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main([str(tmp_path / "empty"), *manifest]) == 2
    assert "no notebooks" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main([str(subs), *manifest, "--out", str(blocker)]) == 2
    assert main([str(subs), *manifest, "--json", str(blocker / "x.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(
        line.startswith("rnnbook.grade: cannot") for line in err
    )
    assert main([str(subs), *manifest, "--gradescope", str(tmp_path / "r.json")]) == 2
    assert "one submission" in capsys.readouterr().err
    assert main([str(subs), *manifest, "--chapter", "7"]) == 2
    assert "expected --chapter to be one of" in capsys.readouterr().err
    bad = tmp_path / "m.json"
    bad.write_text("{}")
    assert main([str(subs), "--manifest", str(bad)]) == 2
    assert "expected a manifest" in capsys.readouterr().err


def test_gradescope_for_one_submission_with_a_float_timeout(tmp_path, capsys):
    _, student, subs = write_class(tmp_path)
    out = tmp_path / "new" / "results.json"
    code = main(
        [
            str(subs / "half.ipynb"),
            "--manifest",
            str(student / "manifest.json"),
            "--gradescope",
            str(out),
            "--timeout",
            "12.5",
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    scores = {t["name"].split(":")[0]: t["score"] for t in data["tests"]}
    assert scores == {"Exercise 1.3": 1, "Exercise 1.4": 0} and data["score"] == 1
    table = capsys.readouterr().out
    assert "1.4" in table and "not attempted" in table and "total: 1 / 5" in table


def test_the_appendix_commands_exist():
    """Every ``python -m rnnbook.grade`` command of the appendix parses, and the make
    targets it names exist."""
    import re
    import shlex

    from rnnbook.grade.cli import build_parser

    text = "\n".join(
        c.source
        for c in read_notebook(ROOT / "chapters" / "appendix-instructors.ipynb").cells
        if c.cell_type == "markdown"
    )
    commands = re.findall(r"`(python -m rnnbook\.grade [^`]+)`", text)
    assert len(commands) >= 3
    for command in commands:
        build_parser().parse_args(shlex.split(command)[3:])
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"`(?:[A-Z]+=\S+ )?make (\w+)", text):
        assert re.search(rf"^{target}:", makefile, re.M), target
