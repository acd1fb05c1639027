"""What the grader writes: the gradebook CSV, the JSON report, a feedback page per
submission, Gradescope's results file, the printed tables; and hand-given points
merged from a CSV."""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import re
from pathlib import Path

import nbformat

from rnnbook.grade.core import Submission

__all__ = [
    "ManualScoresError",
    "columns",
    "feedback_html",
    "gradescope",
    "merge_manual",
    "read_manual",
    "submission_table",
    "summary_table",
    "write_csv",
]


class ManualScoresError(ValueError):
    """A hand-grading CSV that cannot be merged, with the reason."""


def _fmt(x) -> str:
    if x is None:
        return ""
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return str(x)


def columns(results: list[Submission], manifest: dict) -> list[str]:
    """The item ids of every chapter graded, in book order."""
    graded = {r.chapter for r in results}
    return [
        item["id"]
        for chapter in manifest["chapters"]
        if chapter["name"] in graded
        for item in chapter["exercises"]
    ]


def write_csv(results: list[Submission], manifest: dict, target) -> None:
    """The gradebook: one row per submission (file, chapter, points per item, total,
    maximum, flags); an item to be graded by hand and not yet graded is empty."""
    ids = columns(results, manifest)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "chapter", *ids, "total", "max", "flags"])
    for r in results:
        points = {i.id: i.points for i in r.items}
        writer.writerow(
            [
                r.file,
                r.chapter or "",
                *(_fmt(points.get(i)) for i in ids),
                _fmt(r.total),
                _fmt(r.max_points),
                ";".join(r.flags),
            ]
        )
    Path(target).write_text(out.getvalue())


def read_manual(path, manifest: dict) -> dict[str, dict[str, float]]:
    """``{file: {item id: points}}`` from a CSV with a ``file`` column and one column
    per item graded by hand (the gradebook's own layout will do: other columns are
    ignored), or with the columns ``file, exercise, points``. Raises
    :class:`ManualScoresError` for a missing file, an unknown item, points that are not
    a number or exceed the item's maximum."""
    maxima = {
        i["id"]: i["points"]
        for c in manifest["chapters"]
        for i in c["exercises"]
        if i["grading"] == "manual"
    }
    path = Path(path)
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text())))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise ManualScoresError(f"cannot read {str(path)!r}: {err}") from None
    if not rows or "file" not in rows[0]:
        raise ManualScoresError(
            f"expected a CSV with a 'file' column in {str(path)!r} (one row per "
            "submission)"
        )
    long = {"exercise", "points"} <= set(rows[0])
    scores: dict[str, dict[str, float]] = {}
    for line, row in enumerate(rows, start=2):
        pairs = (
            [(row.get("exercise", ""), row.get("points", ""))]
            if long
            else [(k, v) for k, v in row.items() if k in maxima]
        )
        for item, value in pairs:
            value = (value or "").strip()
            if not value:
                continue
            if item not in maxima:
                raise ManualScoresError(
                    f"{path.name}, line {line}: {item!r} is not an exercise graded by "
                    "hand"
                )
            try:
                points = float(value)
            except ValueError:
                points = math.nan
            if not math.isfinite(points) or not 0 <= points <= maxima[item]:
                raise ManualScoresError(
                    f"{path.name}, line {line}: expected 0 to {_fmt(maxima[item])} "
                    f"points for {item}, got {value!r}"
                )
            scores.setdefault(Path(row["file"].strip()).name, {})[item] = points
    return scores


def merge_manual(results: list[Submission], scores: dict) -> list[str]:
    """Put hand-given points into the results; return warnings (files not graded)."""
    by_file = {r.file: r for r in results}
    warnings = [
        f"--manual: no submission named {name!r} was graded"
        for name in scores
        if name not in by_file
    ]
    for name, given in scores.items():
        r = by_file.get(name)
        if r is None:
            continue
        for item in r.items:
            if item.id in given and item.status == "manual":
                item.points = given[item.id]
                item.message = "graded by hand"
    return warnings


def submission_table(r: Submission, width: int = 40) -> str:
    """One submission, one row per item."""

    def cut(text, n):
        text = " ".join(str(text).split())
        return text if len(text) <= n else text[: n - 1] + "…"

    rows = [("item", "title", "status", "points", "message")]
    rows += [
        (
            i.id,
            cut(i.title, width),
            i.status,
            f"{_fmt(i.points) or '-'}/{_fmt(i.max_points)}",
            cut(i.message, 60),
        )
        for i in r.items
    ]
    widths = [max(len(row[k]) for row in rows) for k in range(4)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4]
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  -------")
    head = f"{r.file} ({r.chapter or 'no chapter'})"
    if r.elapsed_s is not None:
        head += f", graded in {r.elapsed_s:.1f} s"
    out = [head, ""] + [line.rstrip() for line in lines]
    out += ["", f"total: {_fmt(r.total)} / {_fmt(r.max_points)}"]
    out += [f"flag: {f}" for f in r.flags] + [f"problem: {p}" for p in r.problems]
    return "\n".join(out)


def summary_table(results: list[Submission]) -> str:
    """The class: one row per submission."""
    rows = [("file", "chapter", "total", "flags")]
    rows += [
        (
            r.file,
            r.chapter or "-",
            f"{_fmt(r.total)}/{_fmt(r.max_points)}",
            "; ".join(r.flags) or "-",
        )
        for r in results
    ]
    widths = [max(len(row[k]) for row in rows) for k in range(3)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3]
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  -----")
    return "\n".join(line.rstrip() for line in lines)


def gradescope(r: Submission) -> dict:
    """Gradescope's autograder results: one test per auto-checked item (items graded by
    hand are left to Gradescope's own manual grading and named in ``output``)."""
    tests = [
        {
            "name": f"Exercise {i.id}: {i.title}",
            "score": i.points or 0,
            "max_score": i.max_points,
            "status": "passed" if i.status == "pass" else "failed",
            "output": f"{i.status}: {i.message}",
        }
        for i in r.items
        if i.grading == "auto"
    ]
    manual = [i.id for i in r.items if i.grading == "manual"]
    output = f"{r.file}: graded against {r.chapter or 'no chapter'}."
    if manual:
        output += f" Graded by hand: {', '.join(manual)}."
    if r.flags:
        output += f" Flags: {'; '.join(r.flags)}."
    return {
        "score": sum(t["score"] for t in tests),
        "output": output,
        "tests": tests,
    }


_MARKS = {
    "pass": "✅",
    "fail": "❌",
    "timeout": "⌛",
    "missing": "❌",
    "not attempted": "⏳",
    "manual": "✍️",
}


def _md(text) -> str:
    """Text that markdown shows as it is."""
    text = " ".join(str(text).split())
    for ch in "\\`*_[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text


def _note(item) -> str:
    points = f"{_fmt(item.points) or '–'} / {_fmt(item.max_points)}"
    return (
        f"> {_MARKS.get(item.status, '')} **Grader, {_md(item.id)}: {item.status}** "
        f"({points} points). {_md(item.message)}"
    )


_SAFE_OUTPUTS = ("text/plain", "image/png", "image/jpeg", "text/latex")
_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def _defang(nb) -> None:
    """Make the student's notebook safe to open in a browser: no raw HTML in its
    markdown, only plain text and images in its outputs."""
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            text = _TAG.sub("&lt;", cell.get("source", ""))
            cell["source"] = re.sub(r"(?i)javascript:", "javascript-blocked:", text)
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if "data" in out:
                out["data"] = {
                    k: v for k, v in out["data"].items() if k in _SAFE_OUTPUTS
                } or {"text/plain": "[an output the feedback page does not show]"}


def feedback_html(r: Submission) -> str:
    """The executed notebook with a summary at the top and each item's verdict and
    hint after its exercise. The notebook's own HTML and JavaScript are not shown
    (:func:`_defang`)."""
    from nbconvert import HTMLExporter

    from rnnbook.grade.core import _labels

    nb = copy.deepcopy(r.nb) if r.nb is not None else nbformat.v4.new_notebook()
    _defang(nb)
    lines = [
        f"## Grade: {_fmt(r.total)} / {_fmt(r.max_points)}",
        "",
        f"{_md(r.file)}, graded against {_md(r.chapter)}.",
        "",
        "| Item | Title | Status | Points |",
        "|:--|:--|:--|--:|",
    ]
    lines += [
        f"| {_md(i.id)} | {_md(i.title)} | {i.status} | "
        f"{_fmt(i.points) or '–'} / {_fmt(i.max_points)} |"
        for i in r.items
    ]
    lines += [""] + [f"- {_md(text)}" for text in r.flags + r.problems]
    by_exercise: dict[str, list] = {}
    for item in r.items:
        by_exercise.setdefault(item.exercise, []).append(item)
    cells = list(nb.cells)
    for index, label in reversed(_labels(nb)):
        notes = "\n>\n".join(_note(i) for i in by_exercise.get(label, []))
        if notes:
            cells.insert(index + 1, nbformat.v4.new_markdown_cell(notes))
    nb.cells = [nbformat.v4.new_markdown_cell("\n".join(lines))] + cells
    exporter = HTMLExporter(template_name="classic")
    body, _ = exporter.from_notebook_node(nb)
    return body


def write_json(results: list[Submission], target, extra: dict | None = None) -> None:
    data = {**(extra or {}), "submissions": [r.to_dict() for r in results]}
    Path(target).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
