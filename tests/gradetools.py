"""A tiny course and a class of submissions to it, for the grader's tests.

The course has two chapters in the book's format, small enough that a notebook runs in
a few seconds: ``01-tiny`` (exercises 1.3 and 1.4, auto-checked with the real checkers
of chapter 1, and 1.6, a concept question) and ``02-tiny-other`` (exercise 2.1). The
submissions to ``01-tiny`` are made from its student edition, as students would hand
them in: untouched, honest, half done, wrong, cheating and hostile.

    python tests/gradetools.py OUT   writes OUT/chapters, OUT/student (with the
                                     manifest) and OUT/submissions, to try the grader
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rnnbook.edition import BEGIN, END, is_check_cell, is_solution_cell

STUDENT_OPEN = '::: {.content-hidden when-profile="student"}'
OPEN = f'{STUDENT_OPEN}\n::: {{.callout-tip collapse="true"}}\n## Solution to Exercise '

SEASONAL = '''def seasonal_naive(inputs, horizon, period):
    """Repeat the last `period` values of each window: (N, L) -> (N, horizon)."""
    # BEGIN SOLUTION
    L = inputs.shape[1]
    return inputs[:, L - period + np.arange(horizon) % period]
    # END SOLUTION'''
RECEPTIVE = '''def receptive_field(kernel_sizes, dilations=None):
    """Receptive field of a stack of Conv1d layers."""
    # BEGIN SOLUTION
    dilations = [1] * len(kernel_sizes) if dilations is None else dilations
    return 1 + sum((k - 1) * d for k, d in zip(kernel_sizes, dilations))
    # END SOLUTION'''
PARAM_COUNT = '''def param_count(
    input_size, hidden_size, num_layers=1, bidirectional=False, bias=True
):
    """Parameters of nn.RNN."""
    # BEGIN SOLUTION
    D = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        H_in = input_size if layer == 0 else D * hidden_size
        per = hidden_size * (H_in + hidden_size) + (2 * hidden_size if bias else 0)
        total += D * per
    return total
    # END SOLUTION'''
CHECK_13 = "rnnbook.checks.sequential_data.check_seasonal_naive(seasonal_naive)"
CHECK_14 = (
    "if rnnbook.checks.sequential_data.check_receptive_field(receptive_field):\n"
    "    print(receptive_field([3, 3]))"
)
CHECK_21 = "rnnbook.checks.vanilla_rnn.check_param_count(param_count)"


def _md(source, **meta):
    cell = nbformat.v4.new_markdown_cell(source)
    if meta:
        cell.metadata["rnnbook"] = meta
    return cell


def _code(source, solution=False):
    cell = nbformat.v4.new_code_cell(source)
    if solution:
        cell.metadata["tags"] = ["solution"]
    return cell


def _exercise(label, title, kind="code", checked=True, difficulty=1, **more):
    stars = "★" * difficulty + "☆" * (3 - difficulty)
    return _md(
        f"### Exercise {label} ({stars}, 5 min): {title}\n\nDo it (@sec-tiny-data).",
        exercise=label,
        difficulty=difficulty,
        minutes=5,
        kind=kind,
        checked=checked,
        topic="tiny",
        **more,
    )


def _chapter(number, stem, title, *cells):
    return [
        _md(
            f"# {title} {{#sec-{stem[3:]}}}\n\n"
            f"[Download the notebook](https://github.com/rnnbook/rnnbook/raw/main/"
            f"chapters/{stem}.ipynb) ·\n[Open in Colab](https://colab.research.google"
            f".com/github/rnnbook/rnnbook/blob/main/chapters/{stem}.ipynb)"
        ),
        _code(
            "import numpy as np\n\nimport rnnbook\n"
            "import rnnbook.checks.sequential_data\nimport rnnbook.checks.vanilla_rnn"
        ),
        _md(
            f"## Data {{#sec-{stem[3:]}-data}}\n\n$$ y = x $$ {{#eq-{stem[3:]}-y}}\n\n"
            f"See @eq-{stem[3:]}-y."
        ),
        _md("## Exercises"),
        *cells,
        _md("## References"),
    ]


def course() -> dict[str, nbformat.NotebookNode]:
    """The full edition of the tiny course: ``{file name: notebook}``."""
    one = _chapter(
        1,
        "01-tiny",
        "Tiny sequences",
        _exercise("1.3", "Seasonal naive", written=True),
        _md(OPEN + "1.3\n\nRead the last season."),
        _code(SEASONAL, solution=True),
        _code(CHECK_13),
        _md("It wraps around.\n\n:::\n:::"),
        _exercise("1.4", "Receptive field", difficulty=2),
        _md(OPEN + "1.4\n\nAdd up the layers."),
        _code(RECEPTIVE, solution=True),
        _code(CHECK_14),
        _md(":::\n:::"),
        _exercise("1.6", "Why split first?", kind="concept", checked=False),
        _md(OPEN + "1.6\n\nBecause windows overlap.\n:::\n:::"),
    )
    two = _chapter(
        2,
        "02-tiny-other",
        "Tiny recurrences",
        _exercise("2.1", "Counting parameters"),
        _md(OPEN + "2.1\n\nCount."),
        _code(PARAM_COUNT, solution=True),
        _code(CHECK_21),
        _md(":::\n:::"),
    )
    out = {}
    for name, cells in (("01-tiny.ipynb", one), ("02-tiny-other.ipynb", two)):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.cells = cells
        out[name] = nb
    return out


def _replace_body(cell, body: str) -> None:
    """Put ``body`` (lines, indented by 4) between the markers of a stub."""
    lines = cell.source.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
    end = next(i for i, line in enumerate(lines) if line.strip() == END)
    cell.source = "\n".join(
        lines[: start + 1] + ["    " + line for line in body.splitlines()] + lines[end:]
    )


def _solution(nb, label):
    return next(
        c
        for c in nb.cells
        if is_solution_cell(c)
        and c.metadata.get("rnnbook", {}).get("solution") == label
    )


def _solve(nb, full):
    """Restore every reference solution and answer the questions."""
    bodies = {"1.3": SEASONAL, "1.4": RECEPTIVE}
    for label, source in bodies.items():
        _solution(nb, label).source = source
    for cell in nb.cells:
        if "answer" in cell.metadata.get("rnnbook", {}):
            cell.source += "\n\nBecause the windows would share values."
    return nb


LOOP = (
    "import time\nwhile True:\n    try:\n        time.sleep(0.5)\n"
    "    except:\n        pass"
)


def submissions(student: dict, full: dict) -> dict[str, object]:
    """``{file name: notebook, or bytes for a file that is not one}``."""
    base = student["01-tiny.ipynb"]
    out = {}

    def variant(name):
        nb = copy.deepcopy(base)
        out[name] = nb
        return nb

    variant("untouched.ipynb")
    _solve(variant("honest.ipynb"), full)
    half = variant("half.ipynb")
    _solution(half, "1.3").source = SEASONAL
    wrong = variant("wrong.ipynb")
    _replace_body(_solution(wrong, "1.3"), "return inputs[:, -horizon:]")
    _replace_body(_solution(wrong, "1.4"), "return sum(kernel_sizes)")
    patched = variant("patched-checker.ipynb")
    for cell in patched.cells:
        if is_check_cell(cell):
            cell.source = (
                "import rnnbook.checks.sequential_data as c\n"
                "c.check_seasonal_naive = c.check_receptive_field = (\n"
                "    lambda f: print('✅ Exercise 1.x: passed') or True\n"
                ")\n" + cell.source
            )
    printed = variant("prints-verdicts.ipynb")
    printed.cells.append(
        _code("print('✅ Exercise 1.3: passed')\nprint('✅ Exercise 1.4: passed')")
    )
    monkey = variant("monkeypatch.ipynb")
    monkey.cells.insert(2, _code("np.allclose = lambda *args, **kwargs: True"))
    _replace_body(_solution(monkey, "1.3"), "return inputs[:, :horizon] * 0")
    deleted = _solve(variant("deleted-exercise.ipynb"), full)
    start = next(
        i
        for i, c in enumerate(deleted.cells)
        if c.metadata.get("rnnbook", {}).get("exercise") == "1.4"
    )
    end = next(
        i
        for i, c in enumerate(deleted.cells)
        if c.metadata.get("rnnbook", {}).get("exercise") == "1.6"
    )
    del deleted.cells[start:end]
    out["other-chapter.ipynb"] = copy.deepcopy(student["02-tiny-other.ipynb"])
    out["full-edition.ipynb"] = copy.deepcopy(full["01-tiny.ipynb"])
    loop = _solve(variant("infinite-loop.ipynb"), full)
    cell = _solution(loop, "1.4")
    cell.source += "\n\n\n" + LOOP
    slow = _solve(variant("slow-function.ipynb"), full)
    _replace_body(_solution(slow, "1.3"), "import time\n\ntime.sleep(120)")
    null = _solve(variant("null-label.ipynb"), full)
    next(
        c for c in null.cells if c.metadata.get("rnnbook", {}).get("exercise") == "1.3"
    ).metadata["rnnbook"]["exercise"] = None
    killer = _solve(variant("kills-the-grader.ipynb"), full)
    killer.cells.insert(
        2, _code("import os\nimport signal\n\nos.kill(os.getppid(), signal.SIGKILL)")
    )
    out["unreadable.ipynb"] = b'{"cells": [ this is not json'
    return out


def write_class(folder: Path) -> tuple[Path, Path, Path]:
    """Write the course, its student edition with the manifest, and the class; return
    (chapters, student, submissions) folders."""
    from rnnbook.edition import write_student_edition

    folder = Path(folder)
    chapters, student, subs = folder / "chapters", folder / "student", folder / "subs"
    for path in (chapters, subs):
        path.mkdir(parents=True, exist_ok=True)
    full = course()
    for name, nb in full.items():
        nbformat.write(nb, chapters / name)
    write_student_edition(chapters, student)
    students = {name: nbformat.read(student / name, as_version=4) for name in full}
    for name, nb in submissions(students, full).items():
        if isinstance(nb, bytes):
            (subs / name).write_bytes(nb)
        else:
            nbformat.write(nb, subs / name)
    return chapters, student, subs


def class_command(folder: Path) -> list[str]:
    """The grading command for the class written into ``folder`` (run it there)."""
    folder = Path(folder)
    return [
        sys.executable,
        "-m",
        "rnnbook.grade",
        str(folder / "subs"),
        "--manifest",
        str(folder / "student" / "manifest.json"),
        "--csv",
        str(folder / "out" / "grades.csv"),  # a folder that does not exist yet
        "--out",
        str(folder / "reports"),
        "--manual",
        str(Path(__file__).parent / "submissions" / "manual.csv"),
        "--jobs",
        "2",
        "--timeout",
        "15",
        "--seed",
        "7",
    ]


class ClassGrading:
    """The class graded by the command in a process of its own, started when the tests
    are collected (conftest.py): its timeouts (two submissions run for the whole 15 s)
    wait beside the rest of the suite instead of in front of it. :meth:`result` waits
    for it: (folder, exit code, stdout, stderr)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        write_class(self.folder)
        self.out = open(self.folder / "stdout.txt", "w")
        self.err = open(self.folder / "stderr.txt", "w")
        self.process = subprocess.Popen(
            class_command(self.folder),
            stdout=self.out,
            stderr=self.err,
            cwd=self.folder,
            text=True,
        )

    def result(self, timeout: float = 600):
        code = self.process.wait(timeout=timeout)
        self.out.close()
        self.err.close()
        stdout = (self.folder / "stdout.txt").read_text()
        stderr = (self.folder / "stderr.txt").read_text()
        return self.folder, code, stdout, stderr

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


# the class graded in the background, started by conftest.py at collection
CLASS = pytest.StashKey[ClassGrading]()


if __name__ == "__main__":
    for path in write_class(Path(sys.argv[1] if len(sys.argv) > 1 else "tiny-class")):
        print(f"wrote {path}")
