"""House style that a machine can check: ruff on all code, lines and printed outputs at
most 88 columns (they wrap on the page and in the PDF otherwise), and the mechanical
faults that broke formulas before: control characters in notebook sources (a literal
carriage return ate the ``\\r`` of ``\\rho``), a doubled backslash before a command
inside math, and math that pandoc cannot convert to typst (the PDF).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml
from booktools import ROOT, all_notebooks, read_notebook

WIDTH = 88
RUFF_PATHS = ["src", "tests", "scripts", "benchmarks", "chapters", "conftest.py"]
NOTEBOOKS = all_notebooks()
ids = lambda p: p.name  # noqa: E731


def _ruff(*args: str) -> subprocess.CompletedProcess:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which(
        "ruff"
    )
    if ruff is None:
        pytest.fail("ruff is not installed (it is pinned in requirements.txt)")
    return subprocess.run(
        [ruff, *args, *RUFF_PATHS], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_check_is_clean():
    done = _ruff("check", "--output-format", "concise")
    assert done.returncode == 0, f"ruff check:\n{done.stdout[-3000:]}{done.stderr}"


def test_ruff_format_is_clean():
    done = _ruff("format", "--check")
    assert done.returncode == 0, f"ruff format --check:\n{done.stdout[-3000:]}"


def columns(line: str) -> int:
    """Display width: wide characters (emoji such as ✅) take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _text_outputs(cell) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            texts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "text/plain" in data and not (
                {"text/markdown", "text/html", "image/png", "image/svg+xml"} & set(data)
            ):
                texts.append(data["text/plain"])
    return texts


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_code_and_printed_output_fit_88_columns(notebook):
    wide = []
    for k, cell in enumerate(read_notebook(notebook).cells):
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            if columns(line) > WIDTH and not line.startswith("#|"):
                wide.append(f"cell {k} code ({columns(line)}): {line[:60]}...")
        for text in _text_outputs(cell):
            for line in text.splitlines():
                if columns(line) > WIDTH:
                    wide.append(f"cell {k} output ({columns(line)}): {line[:60]}...")
    assert not wide, (
        f"{notebook.name}: lines wider than {WIDTH} columns:\n" + "\n".join(wide[:15])
    )


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_no_control_characters_in_sources(notebook):
    bad = [
        f"cell {k}: {CONTROL.search(c.source).group()!r} in "
        f"{c.source[max(0, CONTROL.search(c.source).start() - 20) :][:40]!r}"
        for k, c in enumerate(read_notebook(notebook).cells)
        if CONTROL.search(c.source)
    ]
    assert not bad, f"{notebook.name}: control characters in the source: {bad[:5]}"


MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)


def _math_texts(notebook: Path) -> list[tuple[int, str]]:
    """(cell index, text) of every markdown cell and every figure or table caption (its
    YAML value unescaped, as Quarto reads it)."""
    texts = []
    for k, cell in enumerate(read_notebook(notebook).cells):
        if cell.cell_type == "markdown":
            texts.append((k, cell.source))
        elif cell.cell_type == "code":
            options = "\n".join(
                line[3:] for line in cell.source.splitlines() if line.startswith("#| ")
            )
            parsed = yaml.safe_load(options) if options else None
            for key in ("fig-cap", "fig-alt", "tbl-cap"):
                if isinstance(parsed, dict) and isinstance(parsed.get(key), str):
                    texts.append((k, parsed[key]))
    return texts


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_no_doubled_backslash_before_a_command_in_math(notebook):
    bad = [
        f"cell {k}: {m.group()[:60]!r}"
        for k, text in _math_texts(notebook)
        for m in MATH.finditer(text)
        if re.search(r"\\\\[A-Za-z]", m.group())
    ]
    assert not bad, f"{notebook.name}: `\\\\name` inside math renders wrong: {bad[:5]}"


def _typst_warnings(text: str) -> str:
    import pypandoc

    done = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "typst"],
        input=text,
        capture_output=True,
        text=True,
    )
    return done.stderr if "Could not convert TeX math" in done.stderr else ""


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_math_converts_to_typst(notebook):
    texts = [(k, t) for k, t in _math_texts(notebook) if "$" in t]
    if not _typst_warnings("\n\n".join(t for _, t in texts)):
        return
    bad = [
        f"cell {k}: {warning.strip().splitlines()[0][:120]}"
        for k, text in texts
        if (warning := _typst_warnings(text))
    ]
    assert not bad, f"{notebook.name}: math the PDF cannot show: {bad[:5]}"
