"""Rendering the book with Quarto for the render and browser tests.

The root ``conftest.py`` calls :func:`start_background_render` once the tests are
collected: it copies the book's files into a temporary folder (so that Quarto's side
files never touch the working tree) and renders the site and the student site there, in
a background process on the second core, while nbval executes the chapters; then a few
pages of the Spanish site and of the Spanish student site. The tests
call :func:`wait_for_render`, which waits for it and returns where the two sites are.

Quarto is a development tool: without ``quarto`` on the PATH the render tests are
skipped with one line saying so. ``RNNBOOK_RENDER=0`` skips them too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RENDER = pytest.StashKey[dict]()
TIMEOUT_SECONDS = 1200
SPANISH_CHAPTER = "es/chapters/02-vanilla-rnn.ipynb"
# Folders that are outputs or environments, never sources of the site.
SKIP_DIRS = {
    ".git",
    ".venv",
    "_book",
    "_book-student",
    "_book-es",
    "_book-es-student",
    ".quarto",
    "student",
    "student-es",
    "nbgrader",
}


@dataclass
class Rendered:
    """Where the sites are, and what Quarto printed while rendering them."""

    book: Path
    student: Path
    log: str
    spanish: Path | None = None  # the Spanish site (some of its pages)
    spanish_student: Path | None = None


def skip_reason() -> str | None:
    """Why the render tests cannot run here, or None when they can."""
    if os.environ.get("RNNBOOK_RENDER", "1") == "0":
        return "RNNBOOK_RENDER=0: rendering with Quarto switched off"
    if shutil.which("quarto") is None:
        return (
            "Quarto is not installed (no `quarto` on the PATH): the site was not "
            "rendered; see README.md to install it"
        )
    return None


def _source_files() -> list[Path]:
    """The book's files as a clean clone has them: tracked and new, not ignored."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        files = [ROOT / f for f in out.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        files = [
            p
            for p in ROOT.rglob("*")
            if p.is_file() and not SKIP_DIRS & set(p.relative_to(ROOT).parts)
        ]
    return [f for f in files if f.is_file()]


def copy_sources(dest: Path) -> None:
    for src in _source_files():
        target = dest / src.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def start_background_render(config) -> None:
    """Copy the book to a temporary folder and render both sites there, in the
    background."""
    state: dict = {"skip": skip_reason()}
    config.stash[RENDER] = state
    if state["skip"]:
        return
    work = Path(tempfile.mkdtemp(prefix="rnnbook-render-"))
    copy_sources(work)
    # the Spanish edition: its home page, one chapter and the references, as the
    # Spanish site and the Spanish student site render them (the whole Spanish site
    # takes another minute; `make book-es` renders it)
    spanish = f"index.qmd {SPANISH_CHAPTER} es/references.qmd"
    script = (
        "quarto render --to html && quarto render --to html --profile student"
        f" && quarto render {spanish} --to html --profile es"
        f" && quarto render {SPANISH_CHAPTER} --to html --profile es-student,es,student"
    )
    log = open(work / "render.log", "w")
    # `nice`: the chapters' nbval runs get the CPU first.
    state.update(
        work=work,
        started=time.monotonic(),
        log_path=work / "render.log",
        process=subprocess.Popen(
            ["nice", "-n", "5", "bash", "-c", script],
            cwd=work,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "QUARTO_PYTHON": sys.executable},
        ),
    )
    config.add_cleanup(lambda: _cleanup(state))


def _cleanup(state: dict) -> None:
    process = state.get("process")
    if process is not None and process.poll() is None:
        process.kill()
        process.wait()
    if state.get("work") and not os.environ.get("RNNBOOK_KEEP_RENDER"):
        shutil.rmtree(state["work"], ignore_errors=True)


def wait_for_render(config) -> Rendered:
    """The rendered sites; skips the calling test when Quarto is not available."""
    state = config.stash.get(RENDER, None)
    if state is None:  # collected without conftest's hook (should not happen)
        state = {"skip": skip_reason()}
        if not state["skip"]:
            start_background_render(config)
            state = config.stash[RENDER]
    if state["skip"]:
        pytest.skip(state["skip"])
    process = state["process"]
    try:
        code = process.wait(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"rendering the site took longer than {TIMEOUT_SECONDS} s")
    log = state["log_path"].read_text(errors="replace")
    if code != 0:
        pytest.fail(f"quarto render failed (exit {code}):\n{log[-4000:]}")
    work = state["work"]
    return Rendered(
        book=work / "_book",
        student=work / "_book-student",
        log=log,
        spanish=work / "_book-es",
        spanish_student=work / "_book-es-student",
    )
