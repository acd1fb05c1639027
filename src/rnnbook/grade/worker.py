"""Grading one notebook in a process of its own (what ``python -m rnnbook.grade`` does
for every submission).

    python -m rnnbook.grade.worker REQUEST.json

The request names the notebook (already read by the parent, so that no other
submission's code can change it), the manifest, the chapter, the limits and the seed;
the worker writes ``result.json`` (the :class:`Submission` as a dict) and
``executed.ipynb`` into the request's folder. A notebook that kills its kernel's parent
process kills this worker, not the class's grading: :func:`grade_in_worker` then
returns a result flagged ``crashed``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from rnnbook.grade.core import ItemResult, Limits, Submission, grade_submission

__all__ = ["grade_in_worker", "main", "submission_from_dict"]


def submission_from_dict(data: dict, nb=None) -> Submission:
    """The :class:`Submission` of :meth:`Submission.to_dict`."""
    result = Submission(
        path=data["path"],
        file=data["file"],
        chapter=data["chapter"],
        found_chapter=data["found_chapter"],
        items=[ItemResult(**item) for item in data["exercises"]],
        flags=list(data["flags"]),
        problems=list(data["problems"]),
        cell_errors=list(data["cell_errors"]),
        seed=data["seed"],
        elapsed_s=data["elapsed_s"],
        nb=nb,
    )
    return result


def grade_in_worker(
    path: Path,
    manifest_file: Path,
    manifest: dict,
    chapter: str | None,
    limits: Limits,
    seed: int | None,
    nb=None,
) -> Submission:
    """Grade ``path`` (read already as ``nb``, or None when unreadable) in a child
    process; a worker that dies gives a result flagged ``crashed`` with score 0."""
    with tempfile.TemporaryDirectory(prefix="rnnbook-worker-") as folder:
        folder = Path(folder)
        request = {
            "path": str(path),
            "notebook": None,
            "manifest": str(manifest_file),
            "chapter": chapter,
            "cell": limits.cell,
            "notebook_limit": limits.notebook,
            "seed": seed,
        }
        if nb is not None:
            nbformat.write(nb, folder / "input.ipynb")
            request["notebook"] = str(folder / "input.ipynb")
        (folder / "request.json").write_text(json.dumps(request))
        env = dict(os.environ, RNNBOOK_GRADE_PIDFILE=str(folder / "kernels.pid"))
        try:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "rnnbook.grade.worker",
                    str(folder / "request.json"),
                ],
                capture_output=True,
                text=True,
                timeout=limits.notebook + 4 * limits.cell + 120,
                env=env,
            )
            code = done.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
        if code != 0:
            _end_kernels(folder / "kernels.pid")
        if code == 0 and (folder / "result.json").is_file():
            data = json.loads((folder / "result.json").read_text())
            executed = folder / "executed.ipynb"
            nb = nbformat.read(executed, as_version=4) if executed.is_file() else None
            return submission_from_dict(data, nb)
    from rnnbook.grade.core import _items_without_running

    result = Submission(path=str(path), file=path.name, chapter=chapter, seed=seed)
    result.flags = ["crashed"]
    result.problems = [
        f"the grading process stopped ({code}): the notebook may have killed it"
    ]
    chapters = {c["name"]: c for c in manifest["chapters"]}
    if chapter in chapters:
        result.items = _items_without_running(
            chapters[chapter], "fail", "not graded: the grading process was killed"
        )
    return result


def _end_kernels(pidfile: Path) -> None:
    """Kill the kernels a dead worker left behind (each leads its own session)."""
    try:
        pids = [int(line) for line in pidfile.read_text().split()]
    except (OSError, ValueError):
        return
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (OSError, AttributeError):
            pass


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    request_file = Path(argv[0])
    request = json.loads(request_file.read_text())
    manifest = json.loads(Path(request["manifest"]).read_text())
    nb = None
    if request["notebook"]:
        nb = nbformat.read(request["notebook"], as_version=4)
    result = grade_submission(
        request["path"],
        manifest,
        request["chapter"],
        limits=Limits(cell=request["cell"], notebook=request["notebook_limit"]),
        seed=request["seed"],
        nb=nb,
    )
    folder = request_file.parent
    if result.nb is not None:
        try:
            nbformat.write(result.nb, folder / "executed.ipynb")
        except Exception as err:  # a notebook nbformat will not write back
            result.problems.append(f"the executed notebook was not kept: {err}"[:200])
    (folder / "result.json").write_text(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
