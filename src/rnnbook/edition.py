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
  the cells that changed are cleared; every other cell is kept exactly as it is.

The student site is the other half: ``quarto render --profile student`` hides the same
blocks. Introduced in the appendix "For instructors".
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

__all__ = [
    "BEGIN",
    "END",
    "is_check_cell",
    "is_solution_cell",
    "main",
    "student_notebook",
    "stub_solution",
    "write_student_edition",
]

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
CHAPTER_GLOB = "[0-9][0-9]-*.ipynb"
_FENCE = re.compile(r"^\s*(:{3,})\s*(.*?)\s*$")
_CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_CHECK_CALL = re.compile(r"\bchecks\.\w+|\bcheck_\w+\s*\(")
_PROFILE = re.compile(
    r"""\.content-(hidden|visible)\b.*?\b(when|unless)-profile\s*=\s*["']?student\b"""
)


def _exercise_label(cell) -> str | None:
    meta = cell.get("metadata", {}).get("rnnbook", {})
    label = meta.get("exercise") if isinstance(meta, dict) else None
    return str(label) if label is not None else None


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


def stub_solution(source: str, exercise: str | None = None) -> str:
    """The student version of a solution cell's source.

    Each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` body becomes a ``# TODO`` line and
    a ``raise NotImplementedError`` at the indentation of the ``BEGIN`` marker; the
    markers and every line outside them are kept. A source without markers becomes a
    single ``# TODO``. Raises ``ValueError`` for unbalanced markers.
    """
    name = f"Exercise {exercise}" if exercise else "Exercise"
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
                f"{indent}# TODO: {name}: write your code here, then run the check "
                "below.",
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


def student_notebook(nb) -> nbformat.NotebookNode:
    """The student edition of one chapter notebook (a new notebook; ``nb`` is not
    modified).
    """
    out = copy.deepcopy(nb)
    divs = _Divs()
    exercise: str | None = None
    cells = []
    for cell in out.cells:
        if cell.cell_type == "markdown":
            exercise = _exercise_label(cell) or exercise
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
        if is_solution_cell(cell):
            cell.source = stub_solution(cell.source, exercise)
        elif is_check_cell(cell) and exercise is not None:
            pass
        elif divs.hidden:
            continue  # the rest of a worked solution goes with its prose
        else:
            cells.append(cell)
            continue
        cell.outputs = []
        cell.execution_count = None
        cells.append(cell)
    out.cells = cells
    out.metadata.setdefault("rnnbook", {})["edition"] = "student"
    return out


def write_student_edition(
    chapters: str | Path = "chapters",
    out_dir: str | Path = "student",
    notebooks: list[str | Path] | None = None,
) -> list[Path]:
    """Write the student edition of every ``NN-name.ipynb`` in ``chapters`` (or of the
    given ``notebooks``) into ``out_dir``; return the paths written."""
    chapters, out_dir = Path(chapters), Path(out_dir)
    if notebooks is None:
        if not chapters.is_dir():
            raise FileNotFoundError(
                f"expected a folder of chapter notebooks, got {str(chapters)!r}"
            )
        paths = sorted(chapters.glob(CHAPTER_GLOB))
    else:
        paths = [Path(p) for p in notebooks]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        try:
            student = student_notebook(nb)
        except ValueError as err:
            raise ValueError(f"{path.name}: {err}") from None
        target = out_dir / path.name
        nbformat.write(student, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnbook.edition",
        description="Write the student edition of the chapters.",
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
    args = parser.parse_args(argv)
    try:
        written = write_student_edition(args.chapters, args.out)
    except (OSError, ValueError, nbformat.reader.NotJSONError) as err:
        print(f"cannot write the student edition: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(
            f"no chapter notebooks (NN-name.ipynb) in {args.chapters}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
