"""Grading one submission against the assignment's manifest.

:func:`inspect_submission` compares the notebook with the manifest (which exercises are
there, edited check cells, another chapter, the full edition); :func:`grade_submission`
then runs it (:mod:`rnnbook.grade.kernel`), lets the grader's own copy of the checkers
decide every auto-checked exercise (:mod:`rnnbook.grade.inkernel`) and returns a
:class:`Submission`.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from rnnbook.edition import exercise_meta, is_check_cell
from rnnbook.grade.kernel import Kernel, Run
from rnnbook.grade.manifest import checksum

__all__ = [
    "STATUSES",
    "ItemResult",
    "Limits",
    "Submission",
    "UnreadableNotebook",
    "chapter_of_name",
    "chapter_of_notebook",
    "grade_submission",
    "inspect_submission",
    "read_notebook",
]

STATUSES = ("pass", "fail", "not attempted", "timeout", "missing", "manual")
_HEADING = re.compile(r"^###\s+Exercise\s+(\d+\.\d+)\b", re.M)
_FULL_MARKERS = ('content-hidden when-profile="student"', "## Solution to Exercise")


class UnreadableNotebook(ValueError):
    """The file is missing or is not a Jupyter notebook."""


@dataclass
class Limits:
    """Seconds a cell (or one exercise's check) may run, and the whole notebook."""

    cell: float = 300.0
    notebook: float = 900.0


@dataclass
class ItemResult:
    """One gradable item of a submission (an exercise, or its written question)."""

    id: str
    exercise: str
    title: str
    grading: str  # "auto" or "manual"
    status: str  # one of STATUSES
    points: float | None  # None: to be graded by hand
    max_points: float
    message: str = ""
    answer: str | None = None  # the text of the answer cell, for manual items


@dataclass
class Submission:
    """The grade of one notebook."""

    path: str
    file: str
    chapter: str | None = None  # the assignment's chapter (manifest name)
    found_chapter: str | None = None  # the chapter the notebook is
    items: list[ItemResult] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    cell_errors: list[dict] = field(default_factory=list)
    seed: int | None = None
    elapsed_s: float | None = None
    then_items: list[ItemResult] | None = None
    nb: object = field(default=None, repr=False)  # the executed notebook

    @property
    def total(self) -> float:
        return sum(i.points or 0 for i in self.items)

    @property
    def max_points(self) -> float:
        return sum(i.max_points for i in self.items)

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return {
            "file": self.file,
            "path": self.path,
            "chapter": self.chapter,
            "found_chapter": self.found_chapter,
            "total": _number(self.total),
            "max": _number(self.max_points),
            "flags": list(self.flags),
            "counts": {s: sum(i.status == s for i in self.items) for s in STATUSES},
            "exercises": [asdict(i) for i in self.items],
            "problems": list(self.problems),
            "cell_errors": list(self.cell_errors),
            "seed": self.seed,
            "elapsed_s": None if self.elapsed_s is None else round(self.elapsed_s, 1),
        }


def _number(x):
    return int(x) if isinstance(x, float) and x.is_integer() else x


def read_notebook(path: str | Path):
    """Read a notebook, or raise :class:`UnreadableNotebook` saying why it cannot be."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableNotebook(f"{str(path)!r} does not exist or is not a file")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # invalid JSON, not a notebook, bad encoding ...
        raise UnreadableNotebook(
            f"not a Jupyter notebook (JSON, nbformat 4): {type(err).__name__}: "
            f"{' '.join(str(err).split())[:160]}"
        ) from None
    if not isinstance(nb.get("cells"), list) or not all(
        isinstance(c, dict) for c in nb.cells
    ):
        raise UnreadableNotebook("not a Jupyter notebook: it has no list of cells")
    for cell in nb.cells:
        if not isinstance(cell.get("source"), str):
            cell["source"] = "".join(map(str, cell.get("source") or []))
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = nbformat.NotebookNode()
        if cell.get("cell_type") == "code" and not isinstance(
            cell.get("outputs"), list
        ):
            cell["outputs"] = []
    return nb


def _labels(nb) -> list[tuple[int, str]]:
    """(cell index, exercise) of every exercise statement: from the metadata, else from
    an ``### Exercise N.k`` heading."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "markdown":
            continue
        meta = exercise_meta(cell)
        if meta:
            found.append((i, meta["exercise"]))
            continue
        m = _HEADING.search(cell.get("source", ""))
        if m:
            found.append((i, m.group(1)))
    return found


def chapter_of_notebook(nb, manifest: dict) -> str | None:
    """The manifest chapter a notebook is: its ``rnnbook.chapter`` metadata, else the
    chapter most of its exercises belong to, else its title."""
    names = {c["name"]: c for c in manifest["chapters"]}
    meta = nb.get("metadata", {}).get("rnnbook", {})
    if isinstance(meta, dict) and meta.get("chapter") in names:
        return meta["chapter"]
    owner = {
        i["exercise"]: c["name"] for c in manifest["chapters"] for i in c["exercises"]
    }
    votes: dict[str, int] = {}
    for _, label in _labels(nb):
        if label in owner:
            votes[owner[label]] = votes.get(owner[label], 0) + 1
    if votes:
        return max(votes, key=votes.get)
    first = nb.cells[0].get("source", "") if nb.cells else ""
    for chapter in manifest["chapters"]:
        if first.lstrip("# ").startswith(chapter["title"]):
            return chapter["name"]
    return None


def chapter_of_name(file: str, manifest: dict) -> str | None:
    """The chapter a file name names (``02-vanilla-rnn.ipynb``, ``alice-02-vanilla-rnn
    .ipynb``), if exactly one."""
    hits = [c["name"] for c in manifest["chapters"] if c["name"] in Path(file).stem]
    return hits[0] if len(hits) == 1 else None


@dataclass
class _Inspection:
    present: set = field(default_factory=set)
    check_cells: dict = field(default_factory=dict)  # exercise -> [checksum]
    answers: dict = field(default_factory=dict)  # item id -> text
    full_edition: bool = False


def inspect_submission(nb, chapter: dict) -> _Inspection:
    """What the notebook holds of the chapter's exercises."""
    found = _Inspection()
    labels = _labels(nb)
    found.present = {label for _, label in labels}
    bounds = [i for i, _ in labels] + [len(nb.cells)]
    for n, (index, label) in enumerate(labels):
        region = nb.cells[index + 1 : bounds[n + 1]]
        found.check_cells.setdefault(label, []).extend(
            checksum(c.get("source", "")) for c in region if is_check_cell(c)
        )
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("rnnbook", {})
        if isinstance(meta, dict) and isinstance(meta.get("answer"), str):
            found.answers[meta["answer"]] = cell.get("source", "")
        if cell.get("cell_type") == "markdown" and any(
            m in cell.get("source", "") for m in _FULL_MARKERS
        ):
            found.full_edition = True
    return found


class _Runner:
    """The student's kernel, with the grader's limits, restarts and replays."""

    def __init__(self, nb, folder: Path, limits: Limits):
        self.nb, self.folder, self.limits = nb, folder, limits
        self.deadline = time.monotonic() + limits.notebook
        self.kernel: Kernel | None = None
        self.done: list[int] = []  # cells that ran to the end (replayed after a kill)
        self.timed_out: set[int] = set()
        self.problems: list[str] = []

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def start(self) -> bool:
        try:
            self.kernel = Kernel(self.folder)
            return True
        except Exception as err:
            self.problems.append(f"the kernel did not start: {type(err).__name__}")
            self.kernel = None
            return False

    def restart(self) -> bool:
        """Kill the kernel, start a new one and replay the cells that had finished."""
        if self.kernel is not None:
            self.kernel.stop()
        if not self.start():
            return False
        for index in self.done:
            if self.left() <= 0:
                return False
            run = self.kernel.run(
                self.nb.cells[index].source, min(self.limits.cell, self.left())
            )
            if run.status in ("hung", "dead"):
                self.kernel.stop()
                self.kernel = None
                return False
        return True

    def request(self, code: str) -> Run:
        """Run ``code``; after a hang or a death, restart the kernel and replay."""
        if self.kernel is None or self.left() <= 0:
            return Run("not run")
        run = self.kernel.run(code, min(self.limits.cell, self.left()))
        if run.status in ("hung", "dead"):
            what = (
                "ignored the interrupt" if run.status == "hung" else "killed the kernel"
            )
            self.problems.append(f"a cell {what}; the kernel was restarted")
            if not self.restart():
                self.problems.append("the kernel could not be restarted in time")
        return run

    def run_notebook(self) -> None:
        for index, cell in enumerate(self.nb.cells):
            if cell.get("cell_type") != "code":
                continue
            cell["outputs"], cell["execution_count"] = [], None
            if not cell.source.strip():
                continue
            run = self.request(cell.source)
            cell["outputs"], cell["execution_count"] = run.outputs, run.execution_count
            if run.status in ("ok", "error"):
                self.done.append(index)
            elif run.status == "not run":
                continue
            else:
                self.timed_out.add(index)
                note = {
                    "timeout": "stopped at the time limit",
                    "hung": "killed at the time limit (it ignored the interrupt)",
                    "dead": "the kernel died here",
                }[run.status]
                cell["outputs"].append(
                    nbformat.v4.new_output(
                        "stream", name="stderr", text=f"[grader] {note}\n"
                    )
                )
        if self.left() <= 0:
            self.problems.append(
                f"the notebook's time limit ({self.limits.notebook:g} s) ran out"
            )

    def call(self, code: str, marker: str) -> tuple[str, dict | None]:
        """Run grader code that prints ``marker`` + JSON; (status, the JSON)."""
        run = self.request(code)
        for out in run.outputs:
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            for line in text.splitlines():
                if line.startswith(marker):
                    try:
                        return run.status, json.loads(line[len(marker) :])
                    except ValueError:
                        pass
        return run.status, None

    def stop(self) -> None:
        if self.kernel is not None:
            self.kernel.stop()


def _checks_dir() -> str:
    import rnnbook.checks

    return str(Path(rnnbook.checks.__file__).resolve().parent)


def _setup_code(key: str, marker: str, folder: Path) -> str:
    source = (Path(__file__).parent / "inkernel.py").read_text()
    return (
        f"{key} = {{}}\n"
        f"exec(compile({source!r}, '<rnnbook-grader>', 'exec'), {key})\n"
        f"{key}['setup'](globals(), {_checks_dir()!r}, {str(folder)!r}, {marker!r})"
    )


def _verdict(verdicts: list) -> tuple[str, str]:
    statuses = [s for s, _ in verdicts]
    if "fail" in statuses or "error" in statuses:
        return "fail", next(m for s, m in verdicts if s in ("fail", "error"))
    if statuses and all(s == "not attempted" for s in statuses):
        return "not attempted", verdicts[0][1]
    if statuses and all(s == "pass" for s in statuses):
        return "pass", "passed"
    if not statuses:
        return "fail", "no verdict"
    return "fail", "some of its checks passed, others were not attempted"


def _items_without_running(chapter: dict, status: str, message: str, answers=None):
    out = []
    for item in chapter["exercises"]:
        out.append(
            ItemResult(
                item["id"],
                item["exercise"],
                item["title"],
                item["grading"],
                status,
                0,
                item["points"],
                message,
                (answers or {}).get(item["id"]),
            )
        )
    return out


def grade_submission(
    path: str | Path,
    manifest: dict,
    chapter: str | None = None,
    *,
    limits: Limits | None = None,
    seed: int | None = None,
    nb=None,
    after: list[str] | None = None,
    then: list[str] | None = None,
) -> Submission:
    """Grade the notebook at ``path`` (or the already-read ``nb``) against the
    manifest's chapter ``chapter`` (by default the chapter the notebook is).

    ``after`` is code run after the notebook and before grading; ``then``, code run
    after grading, followed by a second grading into ``then_items`` (the tests use
    them to grade a chapter's stubs and then its solutions in one run).
    Never raises for a bad notebook: an unreadable file gets a result with the flag
    ``unreadable`` and score 0.
    """
    limits = limits or Limits()
    path = Path(path)
    result = Submission(path=str(path), file=path.name)
    result.seed = secrets.randbelow(2**31) if seed is None else int(seed)
    start = time.perf_counter()
    try:
        nb = read_notebook(path) if nb is None else copy.deepcopy(nb)
    except UnreadableNotebook as err:
        result.chapter = chapter
        result.flags.append("unreadable")
        result.problems.append(f"cannot read the notebook: {err}")
        chapters = {c["name"]: c for c in manifest["chapters"]}
        if chapter in chapters:
            result.items = _items_without_running(
                chapters[chapter], "missing", "the notebook cannot be read"
            )
        return result
    result.nb = nb
    found = chapter_of_notebook(nb, manifest)
    result.found_chapter = found
    result.chapter = chapter = chapter or found
    chapters = {c["name"]: c for c in manifest["chapters"]}
    if chapter not in chapters:
        result.flags.append("no-exercises")
        result.problems.append(
            "no exercise of the book found: not a chapter of the course"
        )
        return result
    info = chapters[chapter]
    seen = inspect_submission(nb, info)
    if found is not None and found != chapter:
        result.flags.append(f"other-chapter:{found}")
        result.items = _items_without_running(
            info, "missing", f"the notebook is {found}, not {chapter}"
        )
        return result
    if seen.full_edition:
        result.flags.append("full-edition")
        result.items = _items_without_running(
            info,
            "fail",
            "the full edition (with the worked solutions) was submitted",
            seen.answers,
        )
        return result
    # the structure: missing exercises, edited check cells
    missing = [
        item["exercise"]
        for item in info["exercises"]
        if item["exercise"] not in seen.present
    ]
    for label in dict.fromkeys(missing):
        result.flags.append(f"missing:{label}")
    for item in info["exercises"]:
        if item["grading"] == "auto" and item["exercise"] in seen.present:
            if sorted(seen.check_cells.get(item["exercise"], [])) != sorted(
                item["check_cells"]
            ):
                result.flags.append(f"edited-check:{item['exercise']}")
    # run it, then let the grader's own checkers decide
    folder = Path(tempfile.mkdtemp(prefix="rnnbook-grade-"))
    runner = _Runner(nb, folder, limits)
    verdicts: dict[str, tuple[str, str]] = {}
    tampered: list[str] = []
    try:
        if runner.start():
            runner.run_notebook()
            for code in after or []:
                runner.request(code)
            verdicts, tampered = _grade_items(runner, info, missing, result.seed)
            if then is not None:
                for code in then:
                    runner.request(code)
                again, _ = _grade_items(runner, info, missing, result.seed, scan=False)
                result.then_items = _compose(info, missing, again, [], set(), {})
    finally:
        runner.stop()
        shutil.rmtree(folder, ignore_errors=True)
    result.problems += runner.problems
    if tampered:
        result.flags.append("tampered")
        result.problems.append(
            "the notebook replaced library code the checks rely on: "
            + ", ".join(tampered[:5])
            + (" ..." if len(tampered) > 5 else "")
        )
    result.items = _compose(
        info,
        missing,
        verdicts,
        tampered,
        _exercises_of_cells(nb, runner.timed_out),
        seen.answers,
    )
    if any(i.status == "timeout" for i in result.items) or runner.timed_out:
        result.flags.append("timeout")
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if out.get("output_type") == "error":
                result.cell_errors.append(
                    {
                        "cell": i,
                        "error": f"{out.get('ename')}: {out.get('evalue')}"[:300],
                    }
                )
    result.elapsed_s = time.perf_counter() - start
    return result


def _compose(info, missing, verdicts, tampered, timed_out_exercises, answers):
    """The item results of a chapter from the verdicts of the grader's checks."""
    items = []
    for item in info["exercises"]:
        label = item["exercise"]
        if label in missing:
            status, message = "missing", "the exercise is missing from the notebook"
        elif item["grading"] == "manual":
            what = "written question" if item["id"] != label else item["kind"]
            status, message = "manual", f"graded by hand ({what})"
        else:
            status, message = verdicts.get(item["id"], ("fail", "no verdict"))
            if status == "fail" and label in timed_out_exercises:
                status, message = "timeout", "its cell ran past the time limit"
            if tampered and status == "pass":
                status = "fail"
                message = "not graded: the notebook replaced library code (see flags)"
        points = (
            None if status == "manual" else (item["points"] if status == "pass" else 0)
        )
        items.append(
            ItemResult(
                item["id"],
                label,
                item["title"],
                item["grading"],
                status,
                points,
                item["points"],
                message,
                answers.get(item["id"]) if item["grading"] == "manual" else None,
            )
        )
    return items


def _grade_items(runner, info, missing, seed, scan=True):
    """Load the grader's checks in the kernel and check every auto-checked item:
    ({item id: (status, message)}, what the notebook tampered with). With
    ``scan=False`` the scan after the checks is left out."""
    limits, folder = runner.limits, runner.folder
    verdicts: dict[str, tuple[str, str]] = {}
    tampered: list[str] = []
    key = f"_rnnbook_grader_{secrets.token_hex(6)}"
    marker = f"@@rnnbook-grader-{secrets.token_hex(8)}@@"
    status, data = runner.call(_setup_code(key, marker, folder), marker)
    if data is None:
        runner.problems.append(f"the grader's setup did not run ({status})")
    else:
        tampered = data.get("tampered", [])
        if data.get("error"):
            runner.problems.append(data["error"])
    for item in info["exercises"]:
        if item["grading"] != "auto" or item["exercise"] in missing:
            continue
        if data is None or runner.kernel is None or runner.left() <= 0:
            verdicts[item["id"]] = (
                "timeout",
                "not graded: the notebook's time limit ran out",
            )
            continue
        code = f"{key}['check'](globals(), {item['checks']!r}, {seed}, {marker!r})"
        status, got = runner.call(code, marker)
        if status in ("timeout", "hung"):
            verdicts[item["id"]] = (
                "timeout",
                f"the check of your code ran past the time limit ({limits.cell:g} s)",
            )
            if status == "hung":  # the restarted kernel needs the grader again
                _, data = runner.call(_setup_code(key, marker, folder), marker)
        elif got is None:
            verdicts[item["id"]] = ("fail", f"the check did not run ({status})")
        else:
            verdicts[item["id"]] = _verdict(got["verdicts"])
    if scan and data is not None and runner.kernel is not None:
        # scan again: patches made while the checks ran
        _, again = runner.call(_setup_code(key, marker, folder), marker)
        tampered = sorted(set(tampered) | set((again or {}).get("tampered", [])))
    return verdicts, tampered


def _exercises_of_cells(nb, indices: set[int]) -> set[str]:
    labels = _labels(nb)
    out = set()
    for index in indices:
        owner = [label for i, label in labels if i < index]
        if owner:
            out.add(owner[-1])
    return out
