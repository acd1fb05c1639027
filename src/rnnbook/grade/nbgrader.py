"""An nbgrader course made from the chapters (what ``make nbgrader`` runs).

    python -m rnnbook.grade.nbgrader [chapters/ [nbgrader/]] [--points points.yaml]

writes ``nbgrader/nbgrader_config.py`` and, for every chapter,
``nbgrader/source/NN-name/NN-name.ipynb``: the student edition's cells with the
solutions still in them and nbgrader's cell metadata,

- solution cells (``"solution": true``) keeping the book's ``# BEGIN SOLUTION`` /
  ``# END SOLUTION`` markers, which nbgrader's ``generate_assignment`` replaces by its
  stub;
- after every check cell, an autograded test cell (``"grade": true``, the exercise's
  points, locked) that asserts the checker passes, and, between nbgrader's ``### BEGIN
  HIDDEN TESTS`` markers, that it also passes on cases drawn from a seed the students
  do not see (``rnnbook.checks.grader_seed``);
- a manually graded answer cell (markdown, ``"solution": true, "grade": true``) for
  every exercise graded by hand and every written question;
- every other cell locked (read-only).

Then, in ``nbgrader/``: ``nbgrader generate_assignment 02-vanilla-rnn``, release and
collect as usual, ``nbgrader autograde 02-vanilla-rnn``, ``nbgrader export``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import nbformat

from rnnbook.edition import (
    CHAPTER_GLOB,
    crossref_targets,
    is_check_cell,
    is_solution_cell,
    student_notebook,
)
from rnnbook.grade.manifest import ManifestError, build_manifest, read_points

__all__ = ["CONFIG", "course_notebook", "main", "write_course"]

CONFIG = """# nbgrader's configuration of the book's course (rnnbook.grade.nbgrader).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "rnnbook"
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\\nraise NotImplementedError()"
}
c.Execute.timeout = 300  # seconds per cell; a chapter runs in about a minute
"""


def _grade_id(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)


def _meta(cell, grade_id: str, **flags) -> None:
    cell.metadata["nbgrader"] = {
        "grade": False,
        "solution": False,
        "locked": False,
        "task": False,
        "schema_version": 3,
        "grade_id": _grade_id(grade_id),
        **flags,
    }


def _test_cell(item: dict, seed: int) -> nbformat.NotebookNode:
    lines = [f"# Exercise {item['id']}: autograded (do not edit)"]
    for call in item["checks"]:
        args = ", ".join(call["args"])
        lines.append(
            f"assert {call['checker']}({args}), "
            f'"Exercise {item["id"]} does not pass its check yet"'
        )
    lines.append("### BEGIN HIDDEN TESTS")
    lines.append(f"with rnnbook.checks.grader_seed({seed}):")
    for call in item["checks"]:
        args = ", ".join(call["args"])
        lines.append(
            f"    assert {call['checker']}({args}), "
            f'"Exercise {item["id"]} fails on the grader\'s cases"'
        )
    lines.append("### END HIDDEN TESTS")
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    _meta(
        cell,
        f"test-{item['id']}",
        grade=True,
        locked=True,
        points=item["points"],
    )
    return cell


def course_notebook(full, name: str, chapter: dict, targets=None, seed: int = 0):
    """The nbgrader source notebook of one chapter; ``chapter`` is its entry in the
    manifest."""
    nb = student_notebook(full, name, targets=targets, stubs=False)
    items = {item["id"]: item for item in chapter["exercises"]}
    cells = []
    rng = random.Random(seed)
    pending_test = None
    for index, cell in enumerate(nb.cells):
        info = cell.metadata.get("rnnbook", {})
        if is_solution_cell(cell) and "solution" in info:
            _meta(cell, f"solution-{info['solution']}-{index}", solution=True)
        elif "answer" in info and info["answer"] in items:
            item = items[info["answer"]]
            cell.source = "YOUR ANSWER HERE"
            _meta(
                cell,
                f"answer-{item['id']}",
                solution=True,
                grade=True,
                points=item["points"],
            )
        elif is_check_cell(cell) and info.get("check") in items:
            _meta(cell, f"check-{info['check']}-{index}", locked=True)
            item = items[info["check"]]
            if item.get("grading") == "auto":
                pending_test = item
        else:
            _meta(cell, f"cell-{index}", locked=True)
        cells.append(cell)
        following = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
        if pending_test and not (
            following is not None
            and is_check_cell(following)
            and following.metadata.get("rnnbook", {}).get("check") == pending_test["id"]
        ):
            cells.append(_test_cell(pending_test, rng.randrange(2**31)))
            pending_test = None
    nb.cells = cells
    nb.metadata.pop("rnnbook", None)
    return nb


def write_course(
    chapters: str | Path = "chapters",
    out: str | Path = "nbgrader",
    points: dict | None = None,
    seed: int = 0,
    only: list[str] | None = None,
) -> list[Path]:
    """Write the nbgrader course (of the chapters named in ``only``, by default all);
    return the paths written."""
    chapters, out = Path(chapters), Path(out)
    paths = sorted(chapters.glob(CHAPTER_GLOB))
    if only is not None:
        paths = [p for p in paths if p.stem in only or p.name in only]
    if not paths:
        raise FileNotFoundError(f"no chapter notebooks (NN-name.ipynb) in {chapters}")
    full = {p.name: nbformat.read(p, as_version=4) for p in paths}
    targets = crossref_targets(full)
    students = {n: student_notebook(nb, n, targets=targets) for n, nb in full.items()}
    manifest = build_manifest(full, students, points)
    written = []
    out.mkdir(parents=True, exist_ok=True)
    config = out / "nbgrader_config.py"
    config.write_text(CONFIG)
    written.append(config)
    for chapter in manifest["chapters"]:
        name = chapter["notebook"]
        nb = course_notebook(
            full[name], name, chapter, targets, seed + chapter["chapter"]
        )
        folder = out / "source" / chapter["name"]
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        nbformat.write(nb, target)
        written.append(target)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    written.append(out / "manifest.json")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnbook.grade.nbgrader",
        description="Write an nbgrader course source from the chapters.",
    )
    parser.add_argument("chapters", nargs="?", default="chapters")
    parser.add_argument("out", nargs="?", default="nbgrader")
    parser.add_argument("--points", metavar="YAML", help="points per exercise")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the hidden tests' cases"
    )
    args = parser.parse_args(argv)
    try:
        points = read_points(args.points) if args.points else None
        written = write_course(args.chapters, args.out, points, args.seed)
    except (OSError, ManifestError, ValueError) as err:
        print(f"cannot write the nbgrader course: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
