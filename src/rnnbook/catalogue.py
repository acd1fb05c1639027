"""The catalogue of every exercise in the book, built from the chapters' cell metadata.

    from rnnbook import catalogue
    rows = catalogue.catalogue("chapters")  # one Exercise each, in book order
    print(catalogue.to_markdown(rows))  # the table of the appendix "For instructors"

An exercise is a markdown cell whose metadata is
``{"rnnbook": {"exercise": "2.3", "difficulty": 2, "minutes": 20, "kind": "code",
"checked": true}}`` and whose text starts with ``### Exercise 2.3 (★★☆, 20 min):
A short title``. Its *topic* is the metadata's ``topic`` when given, else the teaching
section (``##`` heading) that defines the first ``@sec-``/``@eq-``/``@fig-``/``@tbl-``
label the exercise refers to, else the chapter title. The optional ``"written": true``
marks a code exercise that also asks a written question (graded by hand), and
``"points"`` overrides the points its difficulty gives it (``rnnbook.grade.manifest``).

Introduced in the appendix "For instructors".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["Exercise", "catalogue", "exercises", "summary", "to_markdown"]

CHAPTER_GLOB = "[0-9][0-9]-*.ipynb"
_TITLE = re.compile(r"^#\s+(.+?)\s*(?:\{#[^}]*\})?\s*$", re.M)
_SECTION = re.compile(r"^##\s+(.+?)\s*(?:\{[^}]*\})?\s*$")
_HEADING = re.compile(
    r"^###\s+Exercise\s+\S+\s*(?:\([★☆]*(?:,\s*\d+\s*min)?\))?\s*:?\s*(.*?)\s*$", re.M
)
_DEFINED = re.compile(r"\{#((?:sec|eq|fig|tbl)-[\w-]+)")
_CELL_LABEL = re.compile(r"^#\|\s*label:\s*((?:fig|tbl)-[\w-]+)\s*$", re.M)
_USED = re.compile(r"(?<![\w@])@((?:sec|eq|fig|tbl)-[\w-]*\w)")
_KINDS = ("code", "concept", "derivation")


@dataclass(frozen=True)
class Exercise:
    """One row of the catalogue."""

    chapter: int  # 2
    chapter_title: str  # "The vanilla RNN"
    notebook: str  # "02-vanilla-rnn.ipynb"
    number: str  # "2.3"
    title: str  # "Images as sequences"
    topic: str  # the teaching section it exercises
    difficulty: int  # 1, 2 or 3 stars
    minutes: int  # estimated time
    kind: str  # "code", "concept" or "derivation"
    checked: bool  # has a self-check (auto-graded)

    @property
    def stars(self) -> str:
        return "★" * self.difficulty + "☆" * (3 - self.difficulty)


def _sections(nb) -> tuple[str, dict[str, str]]:
    """The chapter title and a map from every label the chapter defines to its ``##``
    section.
    """
    title, current, where = "", "", {}
    for cell in nb.cells:
        source = cell.get("source", "")
        if cell.get("cell_type") == "markdown":
            if not title:
                m = _TITLE.search(source)
                title = m.group(1) if m else ""
            for line in source.splitlines():
                m = _SECTION.match(line)
                if m:
                    current = m.group(1)
                for label in _DEFINED.findall(line):
                    where.setdefault(label, current)
        elif cell.get("cell_type") == "code":
            for label in _CELL_LABEL.findall(source):
                where.setdefault(label, current)
    return title, where


def _field(meta: dict, key: str, kind: type, where: str):
    value = meta.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
        raise ValueError(
            f"{where}: expected metadata rnnbook.{key} of type {kind.__name__}, got "
            f"{value!r}"
        )
    return value


def exercises(nb, notebook: str = "") -> list[Exercise]:
    """The exercises of one chapter notebook (a path or an already-read notebook), in
    order.

    Raises ``ValueError`` naming the exercise when its metadata is incomplete.
    """
    if isinstance(nb, (str, Path)):
        notebook = notebook or Path(nb).name
        nb = nbformat.read(nb, as_version=4)
    title, where = _sections(nb)
    rows = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("rnnbook")
        if (
            cell.get("cell_type") != "markdown"
            or not isinstance(meta, dict)
            or "exercise" not in meta
        ):
            continue
        number = str(meta["exercise"])
        place = f"{notebook or 'notebook'}, exercise {number}"
        try:
            chapter = int(number.split(".")[0])
        except ValueError:
            raise ValueError(
                f"{place}: expected an exercise number 'N.k', got {number!r}"
            ) from None
        kind = _field(meta, "kind", str, place)
        if kind not in _KINDS:
            raise ValueError(f"{place}: expected kind one of {_KINDS}, got {kind!r}")
        heading = _HEADING.search(cell.source)
        topic = meta.get("topic")
        if not topic:
            sections = [
                where[label] for label in _USED.findall(cell.source) if where.get(label)
            ]
            sections = [s for s in sections if s.lower() != "exercises"]
            topic = sections[0] if sections else title
        rows.append(
            Exercise(
                chapter=chapter,
                chapter_title=title,
                notebook=notebook,
                number=number,
                title=heading.group(1) if heading else "",
                topic=topic,
                difficulty=_field(meta, "difficulty", int, place),
                minutes=_field(meta, "minutes", int, place),
                kind=kind,
                checked=_field(meta, "checked", bool, place),
            )
        )
    return rows


def catalogue(chapters: str | Path = "chapters") -> list[Exercise]:
    """Every exercise of every ``NN-name.ipynb`` chapter in the folder ``chapters``, in
    book order.
    """
    folder = Path(chapters)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"expected a folder of chapter notebooks, got {str(folder)!r}"
        )
    rows = []
    for path in sorted(folder.glob(CHAPTER_GLOB)):
        rows += exercises(path)
    return rows


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(rows: list[Exercise]) -> str:
    """A markdown table with one row per exercise.

    The dashes of the separator line set the relative column widths where a row is
    too long for one line (pandoc's rule): wide title and topic columns, narrow rest.
    """
    lines = [
        "| Exercise | Title | Topic | Difficulty | Minutes | Kind | Self-check |",
        "|:-----|:-------------|:-------------|:------:|-----:|:------|:-----:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.number} | {_cell(r.title)} | {_cell(r.topic)} | {r.stars} | "
            f"{r.minutes} "
            f"| {r.kind} | {'yes' if r.checked else 'no'} |"
        )
    return "\n".join(lines)


def summary(rows: list[Exercise]) -> list[dict]:
    """Per chapter: number of exercises, of self-checked ones, and the total estimated
    minutes.
    """
    out: dict[int, dict] = {}
    for r in rows:
        s = out.setdefault(
            r.chapter,
            {
                "chapter": r.chapter,
                "title": r.chapter_title,
                "exercises": 0,
                "checked": 0,
                "minutes": 0,
            },
        )
        s["exercises"] += 1
        s["checked"] += r.checked
        s["minutes"] += r.minutes
    return list(out.values())
