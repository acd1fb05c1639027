"""The student edition of the chapters, generated mechanically from the full notebooks.

    python -m rnnbook.edition [chapters/ [student/]]      (what ``make student`` runs)

For every chapter ``chapters/NN-name.ipynb`` it writes ``student/NN-name.ipynb`` in
which

- every code cell tagged ``solution`` is a runnable stub: the lines between
  ``# BEGIN SOLUTION`` and ``# END SOLUTION`` become a ``# TODO`` comment and
  ``raise NotImplementedError("Exercise N.k: your code here")`` at the indentation of
  the ``BEGIN`` marker (the markers stay, so that the student knows where to write); a
  solution cell without markers (a worked computation) becomes a ``# TODO`` comment;
- everything inside a ``::: {.content-hidden when-profile="student"}`` block is removed
  from the markdown (the fences too), and so are the code cells inside such a block,
  except the solution stubs and the cells that call a checker, which stay so that
  students can check themselves; a markdown cell left empty is dropped;
- the outputs of the solution and check cells are removed, and the execution counts of
  the cells that changed are cleared; every other code cell is kept exactly as it is;
- exercises graded by hand (``kind`` ``concept`` or ``derivation``, and the written
  question of a code exercise whose metadata says ``"written": true``) get an answer
  cell (markdown, metadata ``rnnbook.answer``); a solution cell of such an exercise
  without markers (a worked computation) is left out;
- the stubs and the kept check cells carry their exercise in ``rnnbook.solution`` and
  ``rnnbook.check``, the notebook its chapter in ``rnnbook.chapter``;
- the markdown reads as a notebook, not as Quarto source: the header links to the
  student site instead of the full notebook, cross-references (``@sec-...``,
  ``@eq-...``, ``@fig-...``, ``@tbl-...``) become links to the student site named as
  the site names them ("Section 2.3", "Equation 2.1"), headings lose their
  ``{#sec-...}`` and displayed equations show their number (``\tag{2.1}``).

With ``stubs=False`` the same transformation keeps the solutions (what the nbgrader
course source needs, ``rnnbook.grade.nbgrader``). The student site is the other half:
``quarto render --profile student`` hides the same blocks. ``python -m rnnbook.edition``
also writes ``student/manifest.json``, the assignment the grader grades against
(``rnnbook.grade.manifest``). Introduced in the appendix "For instructors".
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from pathlib import Path

import nbformat

__all__ = [
    "BEGIN",
    "END",
    "STUDENT_SITE",
    "crossref_targets",
    "exercise_meta",
    "notebook_language",
    "is_check_cell",
    "is_solution_cell",
    "main",
    "student_notebook",
    "stub_solution",
    "write_student_edition",
]

#: Where the student site (``make book-student``, ``_book-student/``) is published (the
#: site's ``/student/``, with the student notebooks in ``notebooks/``); the student
#: notebooks link there. Set ``RNNBOOK_STUDENT_SITE`` (or ``--site``) to your own copy.
STUDENT_SITE = os.environ.get(
    "RNNBOOK_STUDENT_SITE", "https://rnnbook.github.io/rnnbook/student/"
)

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
CHAPTER_GLOB = "[0-9][0-9]-*.ipynb"
_FENCE = re.compile(r"^\s*(:{3,})\s*(.*?)\s*$")
_CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_CHECK_CALL = re.compile(r"\bchecks\.\w+|\bcheck_\w+\s*\(")
_XREF = re.compile(r"(-?)(?<![\w@])@((?:sec|eq|fig|tbl)-[\w-]*\w)")
_BRACKETED = re.compile(r"\[(-?@(?:sec|eq|fig|tbl)-[\w-]*\w)\]")
_HEADING_ID = re.compile(r"^(#{1,6}\s+.*?)\s*\{#((?:sec)-[\w-]+)[^}]*\}\s*$")
_EQ_ID = re.compile(r"\$\$\s*\{#(eq-[\w-]+)\}")
_DEFINED = re.compile(r"\{#((?:sec|eq|fig|tbl)-[\w-]+)")
_CELL_LABEL = re.compile(r"^#\|\s*label:\s*((?:fig|tbl)-[\w-]+)\s*$", re.M)
_PROFILE = re.compile(
    r"""\.content-(hidden|visible)\b.*?\b(when|unless)-profile\s*=\s*["']?student\b"""
)


def _exercise_label(cell) -> str | None:
    meta = exercise_meta(cell)
    return str(meta["exercise"]) if meta else None


def exercise_meta(cell) -> dict | None:
    """The ``rnnbook`` metadata of a markdown cell that states an exercise (with a
    non-empty string label ``exercise``), else None."""
    if cell.get("cell_type") != "markdown":
        return None
    meta = cell.get("metadata", {}).get("rnnbook")
    if not isinstance(meta, dict):
        return None
    label = meta.get("exercise")
    if isinstance(label, (int, float)) and not isinstance(label, bool):
        label = str(label)
    if not isinstance(label, str) or not label.strip():
        return None
    return {**meta, "exercise": label.strip()}


def is_manual(meta: dict) -> bool:
    """Whether an exercise (its metadata) is graded by hand as a whole."""
    return meta.get("kind") in ("concept", "derivation") or not (
        meta.get("kind") == "code" and meta.get("checked") is True
    )


def is_solution_cell(cell) -> bool:
    """A code cell tagged ``solution``."""
    return cell.get("cell_type") == "code" and "solution" in cell.get(
        "metadata", {}
    ).get("tags", [])


def is_check_cell(cell) -> bool:
    """A code cell (not a solution) that calls a ``rnnbook.checks`` checker."""
    return (
        cell.get("cell_type") == "code"
        and not is_solution_cell(cell)
        and bool(_CHECK_CALL.search(cell.get("source", "")))
    )


def stub_solution(
    source: str, exercise: str | None = None, checked: bool = True
) -> str:
    """The student version of a solution cell's source.

    Each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` body becomes a ``# TODO`` line and
    a ``raise NotImplementedError`` at the indentation of the ``BEGIN`` marker; the
    markers and every line outside them are kept. A source without markers becomes a
    single ``# TODO``. The ``# TODO`` points to the check below only when the exercise
    is ``checked``. Raises ``ValueError`` for unbalanced markers.
    """
    name = f"Exercise {exercise}" if exercise else "Exercise"
    then = ", then run the check below." if checked else " (it is graded by hand)."
    lines = source.splitlines()
    if not any(line.strip() == BEGIN for line in lines):
        if any(line.strip() == END for line in lines):
            raise ValueError(
                f"{name}: expected '{BEGIN}' before '{END}', got only '{END}'"
            )
        return (
            f"# TODO: {name}: write your code here "
            "(the worked solution is in the full edition)."
        )
    out: list[str] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(
                    f"{name}: expected '{END}' before the '{BEGIN}' of line {number}, "
                    f"got another '{BEGIN}'"
                )
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [
                line,
                f"{indent}# TODO: {name}: write your code here{then}",
                f'{indent}raise NotImplementedError("{name}: your code here")',
            ]
        elif stripped == END:
            if not inside:
                raise ValueError(
                    f"{name}: expected '{BEGIN}' before the '{END}' of line {number}"
                )
            inside = False
            out.append(line)
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(
            f"{name}: expected '{END}' after '{BEGIN}', got the end of the cell"
        )
    return "\n".join(out)


def _fence_effect(opener: str) -> str:
    """What the student edition does with a fenced div: ``hide`` it, ``unwrap`` it (keep
    the content, drop the fences: content shown only to students) or ``keep`` it as it
    is."""
    m = _PROFILE.search(opener)
    if not m:
        return "keep"
    hidden = (m.group(1) == "hidden") == (m.group(2) == "when")
    return "hide" if hidden else "unwrap"


class _Divs:
    """The stack of open fenced divs, carried from one markdown cell to the next."""

    def __init__(self):
        self.stack: list[str] = []

    @property
    def hidden(self) -> bool:
        return "hide" in self.stack

    def filter(self, text: str) -> str:
        """The lines of ``text`` that the student sees; updates the stack."""
        kept, in_code = [], False
        for line in text.splitlines():
            if _CODE_FENCE.match(line):
                in_code = not in_code
                if not self.hidden:
                    kept.append(line)
                continue
            m = None if in_code else _FENCE.match(line)
            if m is None:
                if not self.hidden:
                    kept.append(line)
                continue
            if m.group(2):  # an opener: ::: {...}
                effect = _fence_effect(m.group(2))
                if not self.hidden and effect == "keep":
                    kept.append(line)
                self.stack.append(effect)
            else:  # a closer
                effect = self.stack.pop() if self.stack else "keep"
                if not self.hidden and effect == "keep":
                    kept.append(line)
        return "\n".join(kept).strip("\n")


def _chapter_of(name: str) -> tuple[str, str]:
    """``"02-vanilla-rnn.ipynb"`` -> ("2", "02-vanilla-rnn"); an appendix -> ("A",
    stem)."""
    stem = Path(name).stem
    m = re.match(r"(\d\d)-", stem)
    return (str(int(m.group(1))) if m else "A"), stem


def crossref_targets(
    notebooks: dict[str, object], site: str = STUDENT_SITE
) -> dict[str, tuple[str, str]]:
    """Every cross-reference label of the given ``{file name: notebook}`` mapped to
    (its text as the student site shows it, its address there): ``"sec-rnn-shapes"``
    -> ("Section 2.9", ".../chapters/02-vanilla-rnn.html#sec-rnn-shapes").

    Numbers follow Quarto's (``number-sections``, ``crossref: chapters``): sections by
    their ``##``/``###`` headings outside fenced divs, equations, figures and tables in
    order of appearance, counting only what the student site shows.
    """
    site = site.rstrip("/") + "/"
    targets: dict[str, tuple[str, str]] = {}
    for name, nb in notebooks.items():
        chapter, stem = _chapter_of(name)
        words = _WORDS[notebook_language(nb)]
        page = f"{site}{words['pages']}chapters/{stem}.html"
        divs, counters, levels = _Divs(), {"eq": 0, "fig": 0, "tbl": 0}, [0, 0]
        depth = 0
        for cell in nb.cells:
            source = cell.get("source", "")
            if cell.get("cell_type") == "code":
                if not divs.hidden:
                    for label in _CELL_LABEL.findall(source):
                        kind = label.split("-")[0]
                        counters[kind] += 1
                        targets.setdefault(
                            label, (f"{words[kind]} {chapter}.{counters[kind]}", page)
                        )
                continue
            if cell.get("cell_type") != "markdown":
                continue
            in_code = False
            for line in source.splitlines():
                if _CODE_FENCE.match(line):
                    in_code = not in_code
                if in_code:
                    continue
                fence = _FENCE.match(line)
                if fence:
                    depth += 1 if fence.group(2) else -1
                    divs.filter(line)
                    continue
                if divs.hidden:
                    continue
                m = re.match(r"^(#{1,3})\s+(.*)$", line)
                text = None
                if m and depth == 0 and "unnumbered" not in m.group(2):
                    level = len(m.group(1))
                    if level == 1:
                        text = words["Chapter" if chapter != "A" else "Appendix"]
                        text += f" {chapter}"
                    elif level == 2:
                        levels = [levels[0] + 1, 0]
                        text = f"{words['Section']} {chapter}.{levels[0]}"
                    else:
                        levels[1] += 1
                        text = f"{words['Section']} {chapter}.{levels[0]}.{levels[1]}"
                for label in _DEFINED.findall(line):
                    kind = label.split("-")[0]
                    if kind == "sec":
                        shown = text or f"{words['Section']} {chapter}"
                    else:
                        counters[kind] += 1
                        shown = f"{words[kind]} {chapter}.{counters[kind]}"
                    targets.setdefault(label, (shown, page))
    return {label: (text, f"{page}#{label}") for label, (text, page) in targets.items()}


# What the student edition writes in a notebook's language (a translated notebook says
# which in its metadata, ``rnnbook.translation.lang``; see rnnbook.i18n): the words of
# cross-references, the links of the title cell, the answer cells; and where the
# edition's pages are on the student site (the Spanish site is published under es/).
_WORDS = {
    "en": {
        "Chapter": "Chapter",
        "Appendix": "Appendix",
        "Section": "Section",
        "eq": "Equation",
        "fig": "Figure",
        "tbl": "Table",
        "header": "Student edition · [Download the notebook]({nb}) · "
        "[Read it online]({page})",
        "answer": "**Your answer to {what}** (graded by hand):\n\n"
        "_Write your answer here._",
        "question": "the question of Exercise {label}",
        "exercise": "Exercise {label}",
        "pages": "",
    },
    "es": {
        "Chapter": "Capítulo",
        "Appendix": "Apéndice",
        "Section": "Sección",
        "eq": "Ecuación",
        "fig": "Figura",
        "tbl": "Tabla",
        "header": "Edición para estudiantes · [Descargar el cuaderno]({nb}) · "
        "[Leerlo en línea]({page})",
        "answer": "**Tu respuesta {what}** (se califica a mano):\n\n"
        "_Escribe aquí tu respuesta._",
        "question": "a la pregunta del ejercicio {label}",
        "exercise": "al ejercicio {label}",
        "pages": "es/es/",
    },
}


def notebook_language(nb) -> str:
    """The language of a notebook: ``rnnbook.translation.lang`` of its metadata (a
    translated edition, see rnnbook.i18n), else English."""
    meta = nb.get("metadata", {}).get("rnnbook", {}) if hasattr(nb, "get") else {}
    lang = (meta.get("translation") or {}).get("lang", "en")
    if lang not in _WORDS:
        raise ValueError(
            f"expected a notebook in one of {sorted(_WORDS)}, got language {lang!r}"
        )
    return lang


def _readable(text: str, targets: dict[str, tuple[str, str]]) -> str:
    """Markdown as a notebook shows it: cross-references as links, headings without
    ``{#sec-...}``, displayed equations numbered with ``\tag``."""

    def xref(m):
        shown, address = targets.get(m.group(2), (None, None))
        if shown is None:
            return m.group(0)
        if m.group(1):  # -@eq-x: the number alone
            shown = shown.split(" ", 1)[-1]
        return f"[{shown}]({address})"

    def eq(m):
        shown = targets.get(m.group(1), ("", ""))[0].split(" ", 1)[-1]
        return f"\\tag{{{shown}}} $$" if shown else "$$"

    lines, in_code = [], False
    for line in text.splitlines():
        if _CODE_FENCE.match(line):
            in_code = not in_code
        if not in_code:
            line = _HEADING_ID.sub(r"\1", line)
            line = _EQ_ID.sub(eq, line)
            parts = line.split("`")  # not inside inline code
            for k in range(0, len(parts), 2):
                part = _BRACKETED.sub(lambda m: _XREF.sub(xref, m.group(1)), parts[k])
                parts[k] = _XREF.sub(xref, part)
            line = "`".join(parts)
        lines.append(line)
    return "\n".join(lines)


def _header(source: str, name: str, site: str, lang: str = "en") -> str:
    """The title cell with the full notebook's links replaced by the student site's:
    this notebook as the site publishes it (``notebooks/NN-name.ipynb``), its page."""
    _, stem = _chapter_of(name)
    site = site.rstrip("/")
    kept = [
        line
        for line in source.splitlines()
        if "colab.research.google.com" not in line and "/raw/" not in line
    ]
    while kept and not kept[-1].strip():
        kept.pop()
    words = _WORDS[lang]
    base = f"{site}/{words['pages']}"
    line = words["header"].format(
        nb=f"{base}notebooks/{stem}.ipynb", page=f"{base}chapters/{stem}.html"
    )
    return "\n".join(kept + ["", line])


def answer_cell(
    label: str, written: bool = False, lang: str = "en"
) -> nbformat.NotebookNode:
    """The markdown cell in which a student answers an exercise graded by hand."""
    words = _WORDS[lang]
    what = words["question" if written else "exercise"].format(label=label)
    cell = nbformat.v4.new_markdown_cell(words["answer"].format(what=what))
    cell.metadata["rnnbook"] = {
        "answer": f"{label}-written" if written else label,
    }
    return cell


def student_notebook(
    nb,
    name: str | None = None,
    *,
    targets: dict[str, tuple[str, str]] | None = None,
    site: str = STUDENT_SITE,
    stubs: bool = True,
) -> nbformat.NotebookNode:
    """The student edition of one chapter notebook (a new notebook; ``nb`` is not
    modified). ``name`` is its file name (``02-vanilla-rnn.ipynb``, for the links);
    ``targets`` maps cross-reference labels to text and address
    (:func:`crossref_targets` of the whole book; by default those of this notebook).
    With ``stubs=False`` the solution cells keep their solutions.
    """
    name = name or nb.get("metadata", {}).get("rnnbook", {}).get("chapter", "")
    name = f"{name}.ipynb" if name and not name.endswith(".ipynb") else name
    if targets is None:
        targets = crossref_targets({name or "notebook.ipynb": nb}, site)
    out = copy.deepcopy(nb)
    divs = _Divs()
    meta: dict | None = None
    cells = []
    for cell in out.cells:
        if cell.cell_type == "markdown":
            meta = exercise_meta(cell) or meta
            if not (divs.hidden or "::" in cell.source):
                cells.append(cell)
                continue
            text = divs.filter(cell.source)
            if text.strip():
                if text != cell.source:
                    cell.source = text
                    cell.pop("attachments", None)
                cells.append(cell)
            continue
        if cell.cell_type != "code":
            if not divs.hidden:
                cells.append(cell)
            continue
        exercise = meta["exercise"] if meta else None
        if is_solution_cell(cell):
            marked = BEGIN in cell.source
            if meta and not marked and meta.get("kind") in ("concept", "derivation"):
                continue  # a worked computation: the answer cell takes its place
            if stubs:
                cell.source = stub_solution(
                    cell.source, exercise, checked=bool(meta and not is_manual(meta))
                )
            if exercise:
                cell.metadata.setdefault("rnnbook", {})["solution"] = exercise
        elif is_check_cell(cell) and exercise is not None:
            cell.metadata.setdefault("rnnbook", {})["check"] = exercise
        elif divs.hidden:
            continue  # the rest of a worked solution goes with its prose
        else:
            cells.append(cell)
            continue
        cell.outputs = []
        cell.execution_count = None
        cells.append(cell)
    lang = notebook_language(nb)
    out.cells = _with_answer_cells(cells, lang)
    for i, cell in enumerate(out.cells):
        if cell.cell_type == "markdown":
            text = _readable(cell.source, targets)
            if i == 0 and name:
                text = _header(text, name, site, lang)
            if text != cell.source:
                cell.source = text
    info = out.metadata.setdefault("rnnbook", {})
    info["edition"] = "student"
    if name:
        info["chapter"] = Path(name).stem
    return out


def _with_answer_cells(cells: list, lang: str = "en") -> list:
    """``cells`` with an answer cell at the end of every exercise graded by hand (before
    the next exercise or ``##`` heading)."""
    out, pending = [], []

    def flush():
        out.extend(pending)
        pending.clear()

    for cell in cells:
        meta = exercise_meta(cell)
        if meta or (cell.cell_type == "markdown" and cell.source.startswith("## ")):
            flush()
        out.append(cell)
        if meta and is_manual(meta):
            pending.append(answer_cell(meta["exercise"], lang=lang))
        elif meta and meta.get("written"):
            pending.append(answer_cell(meta["exercise"], written=True, lang=lang))
    flush()
    return out


def write_student_edition(
    chapters: str | Path = "chapters",
    out_dir: str | Path = "student",
    notebooks: list[str | Path] | None = None,
    *,
    site: str = STUDENT_SITE,
    points: str | Path | None = None,
    manifest: bool = True,
) -> list[Path]:
    """Write the student edition of every ``NN-name.ipynb`` in ``chapters`` (or of the
    given ``notebooks``) into ``out_dir``, and the assignment manifest
    ``out_dir/manifest.json`` (points overridden by the YAML file ``points``); return
    the paths written."""
    chapters, out_dir = Path(chapters), Path(out_dir)
    if notebooks is None:
        if not chapters.is_dir():
            raise FileNotFoundError(
                f"expected a folder of chapter notebooks, got {str(chapters)!r}"
            )
        paths = sorted(chapters.glob(CHAPTER_GLOB))
    else:
        paths = [Path(p) for p in notebooks]
    full = {path.name: nbformat.read(path, as_version=4) for path in paths}
    targets = crossref_targets(full, site)
    students = {}
    for name, nb in full.items():
        try:
            students[name] = student_notebook(nb, name, targets=targets, site=site)
        except ValueError as err:
            raise ValueError(f"{name}: {err}") from None
    data = None
    if manifest:
        from rnnbook.grade.manifest import build_manifest, read_points

        data = build_manifest(full, students, read_points(points) if points else None)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, student in students.items():
        target = out_dir / name
        nbformat.write(student, target)
        written.append(target)
    if data is not None:
        target = out_dir / "manifest.json"
        target.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnbook.edition",
        description="Write the student edition of the chapters and its manifest.",
    )
    parser.add_argument(
        "chapters",
        nargs="?",
        default="chapters",
        help="folder of NN-name.ipynb (default chapters)",
    )
    parser.add_argument(
        "out", nargs="?", default="student", help="output folder (default student)"
    )
    parser.add_argument(
        "--points",
        metavar="YAML",
        help="points per exercise that override the defaults (★ 1, ★★ 2, ★★★ 3)",
    )
    parser.add_argument(
        "--site",
        default=STUDENT_SITE,
        help="address of the student site the notebooks link to "
        f"(default {STUDENT_SITE})",
    )
    args = parser.parse_args(argv)
    try:
        written = write_student_edition(
            args.chapters, args.out, site=args.site, points=args.points
        )
    except (OSError, ValueError, nbformat.reader.NotJSONError) as err:
        print(f"cannot write the student edition: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    if not [p for p in written if p.suffix == ".ipynb"]:
        print(
            f"no chapter notebooks (NN-name.ipynb) in {args.chapters}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
