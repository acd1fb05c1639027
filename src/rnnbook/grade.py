"""Grade a student's notebook, exercise by exercise, from what its self-checks print.

    python -m rnnbook.grade path/to/notebook.ipynb \
        [--json out.json] [--timeout S] [--no-execute]

The notebook is executed top to bottom in a fresh kernel started in its own folder
(errors do not stop the run), or, with ``--no-execute``, graded on the outputs stored in
it. The exercises are the markdown cells whose metadata carries ``rnnbook.exercise``;
each gets

- ``pass``: every verdict its checker printed is ``✅ Exercise N.k: passed``;
- ``fail``: a ``❌`` verdict, an exception in its check cell (named in the message), or
  no verdict at all (the check cell is missing or did not run);
- ``not attempted``: the checker printed ``⏳`` (the stub still raises
  ``NotImplementedError``);
- ``manual``: exercises without a self-check (``checked: false``), to be graded by hand.

The score is the number of checked exercises that pass, out of the number of checked
exercises. The report is a table on stdout and, with ``--json``, a JSON file. A broken
notebook (a dead kernel, a timeout, missing metadata) is graded as far as it goes, the
problems are listed, and the exit code is 0; only a file that cannot be read as a
notebook gives exit code 2.

Introduced in the appendix "For instructors".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from rnnbook.checks import FAIL, PASS, TODO
from rnnbook.edition import is_check_cell, is_solution_cell

__all__ = [
    "ExerciseResult",
    "GradeReport",
    "STATUSES",
    "UnreadableNotebook",
    "execute",
    "grade",
    "grade_notebook",
    "main",
    "read_notebook",
]

STATUSES = ("pass", "fail", "not attempted", "manual")
_VERDICT = re.compile(
    rf"^\s*({PASS}|{FAIL}|{TODO})\s*Exercise\s+(\d+\.\d+)\s*:\s*(.*?)\s*$", re.M
)
_HEADING = re.compile(
    r"^###\s+Exercise\s+(\d+\.\d+)\s*(?:\((★*☆*)(?:,\s*\d+\s*min)?\))?\s*:?\s*(.*?)\s*$",
    re.M,
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class UnreadableNotebook(ValueError):
    """The file is missing or is not a Jupyter notebook."""


@dataclass
class ExerciseResult:
    exercise: str
    title: str
    kind: str
    checked: bool
    status: str
    message: str


@dataclass
class GradeReport:
    notebook: str
    executed: bool
    exercises: list[ExerciseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # {"cell": index, "error": "Name: message"}
    cell_errors: list[dict] = field(default_factory=list)
    elapsed_s: float | None = None
    nb: object = field(default=None, repr=False)  # the graded (executed) notebook

    @property
    def score(self) -> int:
        return sum(r.status == "pass" for r in self.exercises)

    @property
    def max_score(self) -> int:
        return sum(r.checked for r in self.exercises)

    def to_dict(self) -> dict:
        """The machine-readable report (what ``--json`` writes)."""
        return {
            "notebook": self.notebook,
            "executed": self.executed,
            "elapsed_s": None if self.elapsed_s is None else round(self.elapsed_s, 1),
            "score": self.score,
            "max_score": self.max_score,
            "counts": {s: sum(r.status == s for r in self.exercises) for s in STATUSES},
            "exercises": [asdict(r) for r in self.exercises],
            "problems": list(self.problems),
            "cell_errors": list(self.cell_errors),
        }

    def table(self, width: int = 44) -> str:
        """A plain-text table, one row per exercise, then the score and any problems."""

        def cut(text: str, n: int) -> str:
            text = " ".join(text.split())
            return text if len(text) <= n else text[: n - 1] + "…"

        rows = [("exercise", "title", "status", "message")]
        rows += [
            (r.exercise, cut(r.title, width), r.status, cut(r.message, 70))
            for r in self.exercises
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths)) + "  " + row[3]
            for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 7)
        how = "executed" if self.executed else "stored outputs"
        if self.elapsed_s is not None:
            how += f" in {self.elapsed_s:.1f} s"
        lines = [f"{self.notebook} ({how})", ""] + [line.rstrip() for line in lines]
        lines += [
            "",
            f"score: {self.score} / {self.max_score} (checked exercises passed)",
        ]
        lines += [f"problem: {p}" for p in self.problems]
        return "\n".join(lines)


def read_notebook(path: str | Path):
    """Read a notebook, or raise :class:`UnreadableNotebook` saying why it cannot be
    read.
    """
    path = Path(path)
    if not path.is_file():
        raise UnreadableNotebook(
            f"expected a notebook file, got {str(path)!r}, which does not exist"
        )
    try:
        nb = nbformat.read(path, as_version=4)
    # invalid JSON, not a notebook, unknown nbformat, bad encoding
    except Exception as err:
        raise UnreadableNotebook(
            f"expected a Jupyter notebook (JSON, nbformat 4), got {str(path)!r}, "
            f"which cannot be read: {type(err).__name__}: {str(err)[:200]}"
        ) from None
    if not isinstance(nb.get("cells"), list):
        raise UnreadableNotebook(
            f"expected a Jupyter notebook with a list of cells, got {str(path)!r} "
            "without one"
        )
    return nb


def execute(nb, folder: str | Path, timeout: float = 300) -> list[str]:
    """Run ``nb`` in place in a fresh python3 kernel started in ``folder``, every cell
    even after an error; a cell running longer than ``timeout`` seconds is interrupted.
    Stored outputs are cleared first, so that nothing from an earlier run is graded.
    Returns the problems met (a kernel that died or could not start), never raises for a
    broken notebook."""
    from nbclient import NotebookClient

    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(Path(folder).resolve())}},
        record_timing=False,
    )
    try:
        client.execute()
    # DeadKernelError, a timeout that the interrupt did not stop, ...
    except Exception as err:
        name = type(err).__name__
        detail = " ".join(str(err).split())[:200]
        return [
            f"execution stopped early ({name}{': ' + detail if detail else ''}); "
            f"the cells after that point were not run"
        ]
    return []


def _text_of(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("display_data", "execute_result"):
            parts.append(out.get("data", {}).get("text/plain", ""))
    text = "".join(p if isinstance(p, str) else "".join(p) for p in parts)
    return _ANSI.sub("", text)


def _error_of(cell) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", "Error"), _ANSI.sub("", str(out.get("evalue", "")))
    return None


def _exercises(nb, problems: list[str]) -> list[tuple[int, dict]]:
    """(cell index, metadata) of every exercise; from the headings when metadata is
    missing.
    """
    found = []
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("rnnbook")
        if (
            cell.get("cell_type") == "markdown"
            and isinstance(meta, dict)
            and "exercise" in meta
        ):
            found.append((i, dict(meta)))
    if found:
        return found
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "markdown":
            continue
        m = _HEADING.search(cell.get("source", ""))
        if m:
            found.append(
                (i, {"exercise": m.group(1), "difficulty": len(m.group(2) or "")})
            )
    if found:
        problems.append(
            "no exercise metadata (rnnbook.exercise): exercises found from their "
            "'### Exercise N.k' headings, 'checked' from the presence of a check cell"
        )
    else:
        problems.append(
            "no exercises found: no cell has rnnbook.exercise metadata or an '### "
            "Exercise N.k' heading"
        )
    return found


def _judge(
    label: str, region: list, verdicts: list[tuple[str, str]]
) -> tuple[str, str]:
    checks = [c for c in region if is_check_cell(c)]
    check_errors = [e for e in map(_error_of, checks) if e]
    solution_errors = [
        e
        for e in map(_error_of, (c for c in region if is_solution_cell(c)))
        if e and e[0] != "NotImplementedError"
    ]
    if verdicts:
        marks = [m for m, _ in verdicts]
        if FAIL in marks:
            return "fail", next(msg for m, msg in verdicts if m == FAIL)
        if all(m == TODO for m in marks):
            return "not attempted", verdicts[0][1]
        if all(m == PASS for m in marks):
            late = [e for e in check_errors if e[0] != "NotImplementedError"]
            if late:
                return (
                    "fail",
                    f"the check passed, but its cell then raised {late[0][0]}: "
                    f"{late[0][1]}",
                )
            return "pass", verdicts[0][1]
        return "fail", "some of its checks passed, others were not attempted"
    if check_errors:
        name, value = check_errors[0]
        message = f"the check cell raised {name}: {value}"
        if solution_errors:
            message = (
                f"the solution cell raised {solution_errors[0][0]}: "
                f"{solution_errors[0][1]}; " + message
            )
        return "fail", message
    if not checks:
        return "fail", f"no check cell for Exercise {label} (was it deleted?)"
    return "fail", "the checker printed no verdict (was the check cell run?)"


def grade(nb, problems: list[str] | None = None) -> list[ExerciseResult]:
    """Grade a notebook from the outputs it holds: one result per exercise, in order.
    Problems met (missing metadata) are appended to ``problems``."""
    problems = [] if problems is None else problems
    cells = nb.cells
    verdicts: dict[str, list[tuple[str, str]]] = {}
    for cell in cells:
        if cell.get("cell_type") == "code":
            for mark, label, message in _VERDICT.findall(_text_of(cell)):
                verdicts.setdefault(label, []).append((mark, message))
    exercises = _exercises(nb, problems)
    results = []
    for n, (index, meta) in enumerate(exercises):
        label = str(meta.get("exercise"))
        end = exercises[n + 1][0] if n + 1 < len(exercises) else len(cells)
        region = cells[index + 1 : end]
        heading = _HEADING.search(cells[index].get("source", ""))
        title = heading.group(3) if heading else ""
        checked = meta.get("checked")
        if not isinstance(checked, bool):
            checked = any(is_check_cell(c) for c in region) or label in verdicts
        kind = str(meta.get("kind", "code" if checked else "unknown"))
        if not checked:
            results.append(
                ExerciseResult(
                    label, title, kind, False, "manual", f"graded by hand ({kind})"
                )
            )
            continue
        status, message = _judge(label, region, verdicts.get(label, []))
        results.append(ExerciseResult(label, title, kind, True, status, message))
    return results


def grade_notebook(
    path: str | Path, *, execute_it: bool = True, timeout: float = 300
) -> GradeReport:
    """Read, optionally execute (in the notebook's folder), and grade one notebook.

    Raises :class:`UnreadableNotebook` only when the file cannot be read as a notebook.
    """
    path = Path(path)
    nb = read_notebook(path)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"expected a positive timeout in seconds, got {timeout!r}")
    report = GradeReport(notebook=str(path), executed=execute_it, nb=nb)
    if execute_it:
        start = time.perf_counter()
        report.problems += execute(nb, path.parent, timeout)
        report.elapsed_s = time.perf_counter() - start
    try:
        report.exercises = grade(nb, report.problems)
    except Exception as err:  # a notebook malformed in some way nbformat let through
        report.problems.append(f"could not grade: {type(err).__name__}: {err}")
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code":
            error = _error_of(cell)
            if error:
                report.cell_errors.append(
                    {"cell": i, "error": f"{error[0]}: {error[1]}"[:300]}
                )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnbook.grade",
        description="Grade a student's notebook from its self-checks.",
    )
    parser.add_argument("notebook", help="the .ipynb file to grade")
    parser.add_argument(
        "--json", metavar="OUT", help="also write the report as JSON to OUT"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        metavar="S",
        help="seconds a cell may run before it is interrupted (default 300)",
    )
    parser.add_argument(
        "--no-execute",
        action="store_true",
        help="grade the outputs stored in the notebook",
    )
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error(f"expected a positive --timeout in seconds, got {args.timeout}")
    try:
        report = grade_notebook(
            args.notebook, execute_it=not args.no_execute, timeout=args.timeout
        )
    except UnreadableNotebook as err:
        print(f"cannot grade: {err}", file=sys.stderr)
        if args.json:
            Path(args.json).write_text(
                json.dumps({"notebook": args.notebook, "error": str(err)}, indent=2)
                + "\n"
            )
        return 2
    print(report.table())
    if args.json:
        Path(args.json).write_text(
            json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
