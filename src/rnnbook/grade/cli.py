"""``python -m rnnbook.grade``: grade a class of submissions."""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rnnbook.grade.core import (
    Limits,
    Submission,
    UnreadableNotebook,
    chapter_of_name,
    chapter_of_notebook,
    read_notebook,
)
from rnnbook.grade.manifest import ManifestError, load_manifest
from rnnbook.grade.report import (
    ManualScoresError,
    feedback_html,
    gradescope,
    merge_manual,
    read_manual,
    submission_table,
    summary_table,
    write_csv,
    write_json,
)
from rnnbook.grade.worker import grade_in_worker

__all__ = ["assign_chapters", "build_parser", "collect", "main"]


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive number of seconds, got {text!r}"
        )
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive whole number of notebooks, got {text!r}"
        )
    return value


def collect(paths: list[str]) -> tuple[list[Path], list[str]]:
    """The notebooks named or inside the named folders (not recursing into hidden
    folders or checkpoints), and the paths that are neither."""
    found, bad = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*.ipynb")
                if not any(
                    part.startswith(".") for part in p.relative_to(path).parts[:-1]
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            bad.append(raw)
    return list(dict.fromkeys(found)), bad


def _chapter_arg(value: str, manifest: dict) -> str | None:
    for chapter in manifest["chapters"]:
        if value in (
            chapter["name"],
            str(chapter["chapter"]),
            f"{chapter['chapter']:02d}",
        ):
            return chapter["name"]
    return None


def assign_chapters(paths: list[Path], manifest: dict, chapter: str | None) -> dict:
    """``{path: chapter}``: ``chapter`` for all when given; else the chapter most
    submissions are (a strict majority of at least two), else the chapter a file's name
    names, else the chapter the notebook is."""
    if chapter:
        return {p: chapter for p in paths}
    own = {}
    for path in paths:
        try:
            own[path] = chapter_of_notebook(read_notebook(path), manifest)
        except UnreadableNotebook:
            own[path] = None
    votes: dict[str, int] = {}
    for found in own.values():
        if found:
            votes[found] = votes.get(found, 0) + 1
    if votes:
        best = max(votes, key=votes.get)
        if votes[best] >= 2 and votes[best] * 2 > len(paths):
            return {p: best for p in paths}
    return {p: chapter_of_name(p.name, manifest) or own[p] for p in paths}


def _writable(path: str | None, what: str, folder: bool = False) -> str | None:
    """Create the folder ``path`` (or its parent); the reason it cannot be, if any."""
    if path is None:
        return None
    target = Path(path) if folder else Path(path).parent
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return f"cannot write {what} to {path!r}: {err.strerror or err}"
    if not folder and Path(path).is_dir():
        return f"cannot write {what} to {path!r}: it is a folder"
    return None


def build_parser() -> argparse.ArgumentParser:
    """The command line's options."""
    parser = argparse.ArgumentParser(
        prog="python -m rnnbook.grade",
        description=(
            "Grade submitted notebooks against the assignment (student/manifest.json): "
            "each notebook runs in a fresh kernel, then the grader's own copy of the "
            "checks decides every auto-checked exercise."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders")
    parser.add_argument("--csv", metavar="FILE", help="write the gradebook as CSV")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write report.json and, per submission, NAME.json and NAME.html "
        "(feedback: the executed notebook with each exercise's verdict)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the JSON report")
    parser.add_argument(
        "--jobs", type=_jobs, default=1, metavar="N", help="grade N notebooks at once"
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=300.0,
        metavar="S",
        help="seconds a cell, or the check of one exercise, may run (default 300)",
    )
    parser.add_argument(
        "--notebook-timeout",
        type=_seconds,
        default=900.0,
        metavar="S",
        help="seconds the whole notebook may take, checks included (default 900)",
    )
    parser.add_argument(
        "--manifest",
        metavar="FILE",
        help="the assignment (default student/manifest.json, else from chapters/)",
    )
    parser.add_argument(
        "--chapter",
        metavar="N",
        help="grade every notebook against this chapter (number or name); by default "
        "the chapter most submissions are",
    )
    parser.add_argument(
        "--manual",
        metavar="CSV",
        help="points given by hand: a 'file' column and one column per exercise",
    )
    parser.add_argument(
        "--gradescope",
        metavar="FILE",
        help="write Gradescope's results.json (one submission only)",
    )
    parser.add_argument(
        "--seed", type=int, metavar="N", help="the seed of the checks' test cases"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Grade; return the exit code (0 graded, 2 a usage error)."""
    args = build_parser().parse_args(argv)

    def fail(message: str) -> int:
        print(f"rnnbook.grade: {message}", file=sys.stderr)
        return 2

    try:
        manifest, source = load_manifest(args.manifest)
    except ManifestError as err:
        return fail(str(err))
    chapter = None
    if args.chapter is not None:
        chapter = _chapter_arg(args.chapter, manifest)
        if chapter is None:
            names = ", ".join(c["name"] for c in manifest["chapters"])
            return fail(
                f"expected --chapter to be one of {names}, got {args.chapter!r}"
            )
    paths, bad = collect(args.paths)
    if bad:
        return fail(f"no such notebook or folder: {', '.join(bad)}")
    if not paths:
        return fail(f"no notebooks (*.ipynb) in {', '.join(args.paths)}")
    if args.gradescope and len(paths) != 1:
        return fail(f"--gradescope takes one submission, got {len(paths)}")
    for value, what, folder in (
        (args.csv, "the CSV", False),
        (args.json, "the JSON report", False),
        (args.gradescope, "the Gradescope results", False),
        (args.out, "the reports", True),
    ):
        problem = _writable(value, what, folder)
        if problem:
            return fail(problem)
    scores = None
    if args.manual:
        try:
            scores = read_manual(args.manual, manifest)
        except ManualScoresError as err:
            return fail(str(err))
    limits = Limits(cell=args.timeout, notebook=args.notebook_timeout)
    chapters = assign_chapters(paths, manifest, chapter)
    print(f"grading {len(paths)} notebook(s) against {source}", file=sys.stderr)

    # read every notebook before running any: a notebook's code cannot then change
    # another submission
    loaded = {}
    for path in paths:
        try:
            loaded[path] = read_notebook(path)
        except UnreadableNotebook:
            loaded[path] = None

    # each notebook is graded in a process of its own (rnnbook.grade.worker)
    scratch = tempfile.TemporaryDirectory(prefix="rnnbook-grade-")
    manifest_file = Path(scratch.name) / "manifest.json"
    manifest_file.write_text(json.dumps(manifest))

    def one(path: Path) -> Submission:
        result = grade_in_worker(
            path,
            manifest_file,
            manifest,
            chapters[path],
            limits,
            args.seed,
            loaded[path],
        )
        print(
            f"  {path}: {result.total:g} / {result.max_points:g}"
            + (f" ({'; '.join(result.flags)})" if result.flags else ""),
            file=sys.stderr,
        )
        return result

    with scratch, ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one, paths))
    names = [r.file for r in results]
    for r in results:  # the same name in two folders: tell them apart
        if names.count(r.file) > 1:
            r.file = r.path
    warnings = merge_manual(results, scores) if scores else []
    extra = {"manifest": source, "timeout_s": args.timeout}
    if args.csv:
        write_csv(results, manifest, args.csv)
    if args.json:
        write_json(results, args.json, extra)
    if args.out:
        out = Path(args.out)
        write_json(results, out / "report.json", extra)
        for r in results:
            stem = (
                Path(r.file).stem
                if r.file == Path(r.file).name
                else Path(r.path).as_posix().replace("/", "_").removesuffix(".ipynb")
            )
            (out / f"{stem}.json").write_text(
                json.dumps(r.to_dict(), indent=1, ensure_ascii=False) + "\n"
            )
            (out / f"{stem}.html").write_text(feedback_html(r))
    if args.gradescope:
        Path(args.gradescope).write_text(json.dumps(gradescope(results[0]), indent=1))
    if len(results) == 1:
        print(submission_table(results[0]))
        print()
    print(summary_table(results))
    for warning in warnings:
        print(warning, file=sys.stderr)
    return 0
