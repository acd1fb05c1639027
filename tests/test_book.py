"""Checks of the book that need no Quarto: the chapter list agrees with the files, every
cross-reference has a target, every citation a bibliography entry, every image exists,
every notebook's markdown parses with pandoc, every chapter was executed top to bottom
in one clean run and follows the house structure (goals, summary, exercises,
references)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from booktools import (
    ROOT,
    STUDENT_OPEN,
    all_notebooks,
    appendix_notebooks,
    bib_keys,
    book_files,
    chapter_notebooks,
    collect_refs,
    exercise_cells,
    markdown_of,
    pandoc_ast,
    quarto_config,
    read_notebook,
)

NOTEBOOKS = all_notebooks()  # numbered chapters and appendices
# NN-name.ipynb: exercises and chapter structure apply to these only
CHAPTERS = chapter_notebooks()
APPENDICES = appendix_notebooks()
DOCS = [ROOT / f for f in book_files() if (ROOT / f).exists()]
ids = lambda p: p.name  # noqa: E731


# --- _quarto.yml and the files on disk ------------------------------------------------


def test_every_listed_file_exists():
    missing = [f for f in book_files() if not (ROOT / f).exists()]
    assert not missing, f"_quarto.yml lists files that do not exist: {missing}"


def test_every_chapter_notebook_is_listed():
    listed = set(book_files())
    unlisted = [
        str(p.relative_to(ROOT))
        for p in NOTEBOOKS
        if str(p.relative_to(ROOT)) not in listed
    ]
    assert not unlisted, (
        f"notebooks in chapters/ that _quarto.yml does not list: {unlisted}"
    )


def test_appendices_are_listed_as_appendices():
    appendices = set(quarto_config()["book"].get("appendices", []))
    misplaced = [
        str(p.relative_to(ROOT))
        for p in APPENDICES
        if str(p.relative_to(ROOT)) not in appendices
    ]
    assert not misplaced, (
        "notebooks in chapters/ without an NN- number must be listed under book: "
        f"appendices: {misplaced}"
    )


def test_quarto_config_essentials():
    cfg = quarto_config()
    assert cfg["project"]["type"] == "book"
    assert cfg["execute"]["enabled"] is False, (
        "chapters must render from their stored outputs"
    )
    assert book_files()[0] == "index.qmd" and "references.qmd" in book_files()
    assert (ROOT / cfg["bibliography"]).exists()
    html = cfg["format"]["html"]
    assert {"light", "dark"} <= set(html["theme"]) and html["code-copy"] is True
    assert "typst" in cfg["format"]
    assert cfg["book"]["search"] is True and cfg["book"]["repo-url"].startswith(
        "https://"
    )
    assert (ROOT / "_quarto-student.yml").exists(), (
        "the student profile hides solutions"
    )


# --- cross-references, citations, images ----------------------------------------------


def test_cross_references_have_targets():
    refs = collect_refs(DOCS)
    dangling = sorted(
        {(label, where) for label, where in refs.uses if label not in refs.targets}
    )
    assert not dangling, (
        f"cross-references without a target (label, used in): {dangling}"
    )


def test_labels_are_unique():
    refs = collect_refs(DOCS)
    dupes = {label: places for label, places in refs.targets.items() if len(places) > 1}
    assert not dupes, f"labels defined more than once: {dupes}"


def test_citations_are_in_the_bibliography():
    keys = bib_keys()
    unknown = sorted(
        {(key, where) for key, where in collect_refs(DOCS).citations if key not in keys}
    )
    assert not unknown, (
        f"citations missing from references.bib (key, used in): {unknown}"
    )


def test_images_exist():
    missing = []
    for src, where in collect_refs(DOCS).images:
        if re.match(r"^[a-z]+://", src) or src.startswith("data:"):
            continue
        if not ((ROOT / where).parent / src).exists():
            missing.append((src, where))
    assert not missing, f"images that do not exist (src, used in): {missing}"


# --- markdown -------------------------------------------------------------------------


def _fence_balance(text: str) -> int:
    depth, in_code = 0, False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code or not stripped.startswith(":::"):
            continue
        depth += -1 if re.fullmatch(r":{3,}", stripped) else 1
        if depth < 0:
            return depth
    return depth


@pytest.mark.parametrize("doc", DOCS, ids=ids)
def test_markdown_parses_and_divs_balance(doc):
    ast = pandoc_ast(doc)
    assert ast["blocks"], f"{doc.name}: pandoc found no content"
    assert _fence_balance(markdown_of(doc)) == 0, (
        f"{doc.name}: unbalanced ::: fenced divs"
    )
    assert markdown_of(doc).count("$$") % 2 == 0, (
        f"{doc.name}: unbalanced $$ display math"
    )


# --- notebooks: one clean run, house structure ----------------------------------------


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_notebook_executed_top_to_bottom_without_errors(notebook):
    nb = read_notebook(notebook)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{notebook.name}: execution counts {counts} are not 1..{len(code)}: re-run it "
        "with "
        f"`make execute NB={notebook.relative_to(ROOT)}`"
    )
    errors = [
        c.source[:60] for c in code if any(o.output_type == "error" for o in c.outputs)
    ]
    assert not errors, f"{notebook.name}: cells with error outputs: {errors}"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


def _chapter_number(notebook: Path) -> int:
    return int(notebook.name.split("-")[0])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_chapter_opening(notebook):
    nb = read_notebook(notebook)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and re.match(
        r"# .+\{#sec-[\w-]+\}", first.source
    ), (
        f"{notebook.name}: the first cell must be the chapter title '# Title "
        f"{{#sec-...}}'"
    )
    repo = (
        quarto_config()["book"]["repo-url"]
        .rstrip("/")
        .removeprefix("https://github.com/")
    )
    rel = notebook.relative_to(ROOT).as_posix()
    colab = f"https://colab.research.google.com/github/{repo}/blob/main/{rel}"
    download = f"https://github.com/{repo}/raw/main/{rel}"
    assert colab in first.source and download in first.source, (
        f"{notebook.name}: the title cell must link to {colab} and {download}"
    )
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "rnnbook.setup(" in code[0].source, (
        f"{notebook.name}: the first code cell must call rnnbook.setup()"
    )
    if notebook in APPENDICES:
        # an appendix has the title, links and setup, but not the chapter structure
        return
    headings = {
        h.strip().lower()
        for h in re.findall(r"^## ([^{\n]+)", markdown_of(notebook), re.M)
    }
    for needed in ("learning goals", "summary", "exercises", "references"):
        assert needed in headings, f"{notebook.name}: no '## {needed.title()}' section"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=ids)
def test_exercises_follow_the_house_format(notebook):
    nb = read_notebook(notebook)
    chapter = _chapter_number(notebook)
    cells = nb.cells
    exercises = exercise_cells(nb)
    assert len(exercises) >= 5, (
        f"{notebook.name}: {len(exercises)} exercises, at least 5 wanted"
    )
    for k, cell in enumerate(exercises, start=1):
        meta = cell.metadata["rnnbook"]
        label = f"{chapter}.{k}"
        assert meta["exercise"] == label, (
            f"{notebook.name}: exercise {meta['exercise']} should be {label}"
        )
        heading = re.match(
            rf"### Exercise {re.escape(label)} \((★+)☆*, (\d+) min\): .+", cell.source
        )
        assert heading, (
            f"{notebook.name}: exercise {label} heading must read '### Exercise "
            f"{label} (★☆☆, 10 min): Title'"
        )
        assert meta["difficulty"] == len(heading.group(1))
        assert meta["difficulty"] in (1, 2, 3)
        assert meta["kind"] in ("code", "concept", "derivation")
        assert isinstance(meta["minutes"], int) and meta["minutes"] > 0
        assert meta["minutes"] == int(heading.group(2)), (
            f"{notebook.name}: exercise {label} shows {heading.group(2)} min, "
            f"its metadata says {meta['minutes']}"
        )
        assert isinstance(meta["checked"], bool)
        # the solution block: from the next student-hidden opener to its closer
        start = cells.index(cell)
        nxt = next(
            (i for i in range(start + 1, len(cells)) if cells[i] in exercises),
            len(cells),
        )
        block = cells[start + 1 : nxt]
        opens = [
            i
            for i, c in enumerate(block)
            if c.cell_type == "markdown" and c.source.startswith(STUDENT_OPEN)
        ]
        assert opens, (
            f"{notebook.name}: exercise {label} has no solution block opening with "
            f"{STUDENT_OPEN}"
        )
        inside = block[opens[0] :]
        solutions = [c for c in inside if "solution" in c.metadata.get("tags", [])]
        if meta["kind"] == "code":
            code_solutions = [c for c in solutions if c.cell_type == "code"]
            assert code_solutions, (
                f"{notebook.name}: code exercise {label} has no code cell tagged "
                "'solution'"
            )
            for c in code_solutions:
                assert (
                    "# BEGIN SOLUTION" in c.source and "# END SOLUTION" in c.source
                ), (
                    f"{notebook.name}: solution of {label} needs '# BEGIN SOLUTION' / "
                    "'# END SOLUTION' markers"
                )
        if meta["checked"]:
            assert any(
                c.cell_type == "code" and "rnnbook.checks" in c.source for c in inside
            ) or any(c.cell_type == "code" and "checks." in c.source for c in inside), (
                f"{notebook.name}: exercise {label} is marked checked but calls no "
                "checker"
            )
    # every solution-tagged cell lies inside a student-hidden block
    for c in _cells_outside_student_blocks(cells):
        assert "solution" not in c.metadata.get("tags", []), (
            f"{notebook.name}: a solution cell sits outside a student-hidden block: "
            f"{c.source[:60]!r}"
        )


def _cells_outside_student_blocks(cells):
    """Yield the cells that are not inside a ``content-hidden when-profile="student"``
    div.
    """
    stack: list[str] = []
    for c in cells:
        hidden = STUDENT_OPEN in stack
        if c.cell_type == "markdown":
            in_code = False
            for line in c.source.splitlines():
                s = line.strip()
                if s.startswith("```"):
                    in_code = not in_code
                elif not in_code and s.startswith(":::"):
                    if re.fullmatch(r":{3,}", s):
                        if stack:
                            stack.pop()
                    else:
                        stack.append(s)
        if not hidden and STUDENT_OPEN not in stack:
            yield c


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_figure_cells_have_caption_and_alt_text(notebook):
    for cell in read_notebook(notebook).cells:
        if cell.cell_type == "code" and re.search(
            r"^#\|\s*label:\s*fig-", cell.source, re.M
        ):
            assert re.search(r"^#\|\s*fig-cap:", cell.source, re.M), (
                f"{notebook.name}: figure without fig-cap"
            )
            assert re.search(r"^#\|\s*fig-alt:", cell.source, re.M), (
                f"{notebook.name}: figure without fig-alt"
            )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_chapters_download_nothing(notebook):
    pattern = re.compile(
        r"urlopen|urlretrieve|requests\.get|wget |curl "
        r"|torch\.hub|download=True|load_dataset\("
    )
    for cell in read_notebook(notebook).cells:
        if cell.cell_type == "code":
            assert not pattern.search(cell.source), (
                f"{notebook.name}: a cell downloads at run time: {cell.source[:80]}"
            )


def test_preface_shows_the_planned_contents():
    preface = (ROOT / "index.qmd").read_text()
    for notebook in CHAPTERS:
        title = re.match(
            r"# (.+?)\s*\{", read_notebook(notebook).cells[0].source
        ).group(1)
        assert title in preface, (
            f"the preface's table of contents does not mention '{title}'"
        )


def test_bibliography_parses_entry_by_entry():
    # A merge once dropped closing braces, and Quarto then refused to render the book;
    # pandoc (the same reader Quarto uses) must read every entry, each one whole.
    import json
    import subprocess

    pypandoc = pytest.importorskip("pypandoc")
    text = (ROOT / "references.bib").read_text()
    for entry in re.split(r"\n(?=@)", text.strip()):
        body = entry.split("{", 1)[-1]
        assert body.count("{") + 1 == body.count("}"), (
            f"unbalanced braces in the entry starting {entry[:60]!r}"
        )
    out = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "bibtex", "-t", "csljson"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, f"pandoc cannot read references.bib: {out.stderr}"
    assert {item["id"] for item in json.loads(out.stdout)} == bib_keys()
