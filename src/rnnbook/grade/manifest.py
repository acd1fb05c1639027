"""The assignment manifest: what the grader grades a submission against.

``make student`` (``python -m rnnbook.edition``) writes ``student/manifest.json`` next
to the student notebooks. For every chapter it lists the gradable items, in order:

- one per exercise: ``{"id": "2.1", "exercise": "2.1", "title": ..., "kind": "code",
  "difficulty": 1, "minutes": 10, "grading": "auto", "points": 1, "checks":
  [{"checker": "rnnbook.checks.vanilla_rnn.check_param_count", "args":
  ["param_count"]}], "check_cells": ["<sha256>"]}``; ``grading`` is ``"auto"`` for a
  checked code exercise (the grader calls ``checks`` itself) and ``"manual"`` for the
  rest (concept and derivation exercises, unchecked code), graded by hand;
- one more, ``"id": "2.3-written"`` (``"grading": "manual"``), for the written question
  of a code exercise whose metadata says ``"written": true``.

Points default to the difficulty (★ 1, ★★ 2, ★★★ 3; a written question 1), or to the
exercise metadata's ``points``; a YAML file maps ids to points to override them::

    points:
      "2.1": 2
      "2.3-written": 3

``check_cells`` holds a checksum of every check cell of the exercise, so that the grader
can tell an edited check cell; ``solutions`` of the full edition's solution cells.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
from pathlib import Path

from rnnbook.edition import (
    CHAPTER_GLOB,
    exercise_meta,
    is_check_cell,
    is_manual,
    is_solution_cell,
)

__all__ = [
    "FORMAT",
    "ManifestError",
    "build_manifest",
    "check_calls",
    "checksum",
    "default_chapters",
    "load_manifest",
    "read_points",
]

FORMAT = 1
DEFAULT_POINTS = {1: 1, 2: 2, 3: 3}
WRITTEN_POINTS = 1


class ManifestError(ValueError):
    """A manifest or points file that cannot be used, with the reason."""


def checksum(source: str) -> str:
    """A checksum of a cell's source that ignores trailing spaces and blank lines at
    either end."""
    text = "\n".join(line.rstrip() for line in str(source).splitlines()).strip("\n")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def check_calls(source: str) -> list[dict]:
    """The checker calls of a check cell: ``rnnbook.checks.vanilla_rnn.check_param_count
    (param_count)`` -> ``[{"checker": "rnnbook.checks.vanilla_rnn.check_param_count",
    "args": ["param_count"]}]``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func) or ""
        parts = name.split(".")
        if (
            len(parts) >= 3
            and parts[-1].startswith("check_")
            and parts[-3] == "checks"
            and not node.keywords
        ):
            if parts[0] != "rnnbook":
                parts = ["rnnbook", *parts[parts.index("checks") :]]
            calls.append(
                {
                    "checker": ".".join(parts),
                    "args": [ast.unparse(arg) for arg in node.args],
                }
            )
    return sorted(calls, key=lambda c: source.find(c["checker"].split(".")[-1]))


def read_points(path: str | Path) -> dict[str, float]:
    """The points of a YAML file: a mapping ``id: points`` (optionally under a
    ``points:`` key). Raises :class:`ManifestError` saying what is wrong."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ManifestError(
            f"cannot read the points file {str(path)!r}: {err}"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("points"), dict):
        data = data["points"]
    if not isinstance(data, dict):
        raise ManifestError(
            f"expected a mapping of exercise ids to points in {str(path)!r}, got "
            f"{type(data).__name__}"
        )
    points = {}
    for key, value in data.items():
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0:
            raise ManifestError(
                f"{path.name}: expected a non-negative number of points for "
                f"{key!r}, got {value!r}"
            )
        points[str(key)] = value
    return points


def _items(name: str, full, student) -> list[dict]:
    """The gradable items of one chapter, from its full and student notebooks."""
    items: list[dict] = []
    regions: dict[str, dict] = {}
    current = None
    for nb, edition in ((full, "full"), (student, "student")):
        current = None
        for cell in nb.cells:
            meta = exercise_meta(cell)
            if meta:
                current = regions.setdefault(
                    meta["exercise"], {"meta": meta, "checks": [], "solutions": []}
                )
                if edition == "full":
                    current["source"] = cell.source
                continue
            if current is None:
                continue
            if edition == "student" and is_check_cell(cell):
                current["checks"].append(cell.source)
            if edition == "full" and is_solution_cell(cell):
                current["solutions"].append(checksum(cell.source))
    from rnnbook.catalogue import _HEADING

    for label, region in regions.items():
        meta = region["meta"]
        heading = _HEADING.search(region.get("source", ""))
        title = heading.group(1) if heading else ""
        difficulty = meta.get("difficulty")
        default = DEFAULT_POINTS.get(difficulty, 1)
        points = meta.get("points", default)
        base = {
            "exercise": label,
            "title": title,
            "kind": meta.get("kind", "code"),
            "difficulty": difficulty,
            "minutes": meta.get("minutes"),
        }
        calls = [c for source in region["checks"] for c in check_calls(source)]
        if is_manual(meta) or not calls:
            items.append({"id": label, **base, "grading": "manual", "points": points})
        else:
            items.append(
                {
                    "id": label,
                    **base,
                    "grading": "auto",
                    "points": points,
                    "checks": calls,
                    "check_cells": [checksum(s) for s in region["checks"]],
                    "solutions": region["solutions"],
                }
            )
            if meta.get("written"):
                items.append(
                    {
                        "id": f"{label}-written",
                        **base,
                        "title": f"{title} (written question)",
                        "grading": "manual",
                        "points": WRITTEN_POINTS,
                    }
                )
    return items


def build_manifest(
    full: dict[str, object],
    students: dict[str, object],
    points: dict[str, float] | None = None,
) -> dict:
    """The manifest of the chapters ``{file name: full notebook}`` with their student
    editions ``{file name: student notebook}``; ``points`` override the defaults."""
    from rnnbook.catalogue import _TITLE

    chapters = []
    for name, nb in full.items():
        title_match = _TITLE.search(nb.cells[0].source) if nb.cells else None
        stem = Path(name).stem
        chapters.append(
            {
                "chapter": int(stem[:2]),
                "name": stem,
                "notebook": name,
                "title": title_match.group(1) if title_match else stem,
                "exercises": _items(name, nb, students[name]),
            }
        )
    known = {item["id"] for c in chapters for item in c["exercises"]}
    unknown = sorted(set(points or {}) - known)
    if unknown:
        raise ManifestError(
            f"the points file names exercises that do not exist: {', '.join(unknown)}"
        )
    for chapter in chapters:
        for item in chapter["exercises"]:
            if points and item["id"] in points:
                item["points"] = points[item["id"]]
        chapter["max_points"] = sum(item["points"] for item in chapter["exercises"])
    return {"format": FORMAT, "chapters": chapters}


def default_chapters() -> Path | None:
    """The ``chapters/`` folder of the repository this package was installed from
    (an editable install or a clone), if there is one."""
    root = Path(__file__).resolve().parents[3]
    folder = root / "chapters"
    return folder if any(folder.glob(CHAPTER_GLOB)) else None


def load_manifest(path: str | Path | None = None) -> tuple[dict, str]:
    """(the manifest, where it came from): the JSON file ``path``; without one,
    ``student/manifest.json`` when it exists, else one built from the repository's
    chapters with the default points."""
    if path is None and Path("student/manifest.json").is_file():
        path = Path("student/manifest.json")
    if path is not None:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise ManifestError(
                f"cannot read the manifest {str(path)!r}: {err}"
            ) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ManifestError(
                f"expected a manifest of format {FORMAT} (written by make student) in "
                f"{str(path)!r}"
            )
        return data, str(path)
    folder = default_chapters()
    if folder is None:
        raise ManifestError(
            "no manifest: run `make student` (it writes student/manifest.json) or pass "
            "--manifest"
        )
    import nbformat

    from rnnbook.edition import crossref_targets, student_notebook

    full = {
        p.name: nbformat.read(p, as_version=4)
        for p in sorted(folder.glob(CHAPTER_GLOB))
    }
    targets = crossref_targets(full)
    students = {n: student_notebook(nb, n, targets=targets) for n, nb in full.items()}
    return build_manifest(full, students), f"built from {folder}"
