"""Reading the book's sources without Quarto: the chapter list, notebooks, markdown,
cross-reference targets and citations. Used by ``test_book.py``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]

XREF_PREFIXES = ("sec", "fig", "eq", "tbl", "lst", "thm", "lem", "def", "exr")
CROSSREF = re.compile(
    r"(?<![\w@])@((?:%s)-[A-Za-z0-9_-]*[A-Za-z0-9_])" % "|".join(XREF_PREFIXES)
)
EQ_LABEL = re.compile(r"\$\$\s*\{#(eq-[A-Za-z0-9_-]+)\}")
CELL_LABEL = re.compile(r"^#\|\s*label:\s*([A-Za-z0-9_-]+)\s*$", re.M)
STUDENT_OPEN = '::: {.content-hidden when-profile="student"}'


def quarto_config() -> dict:
    """``_quarto.yml`` as the English edition renders it: with the default profile
    ``en`` (``_quarto-en.yml``: the chapters and the PDF) merged in."""
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    english = yaml.safe_load((ROOT / "_quarto-en.yml").read_text())
    config["book"] = {**config["book"], **english.get("book", {})}
    return config


def flatten(entries) -> list[str]:
    out = []
    for entry in entries:
        if isinstance(entry, str):
            out.append(entry)
        elif isinstance(entry, dict):
            if "file" in entry or "href" in entry:
                out.append(entry.get("file") or entry["href"])
            out.extend(flatten(entry.get("chapters", [])))
    return out


def book_files() -> list[str]:
    """Every file the book lists, chapters and appendices, in order."""
    book = quarto_config()["book"]
    return flatten(book.get("chapters", [])) + flatten(book.get("appendices", []))


def all_notebooks() -> list[Path]:
    """Every notebook in chapters/: the numbered chapters and the appendices."""
    return sorted((ROOT / "chapters").glob("*.ipynb"))


def is_appendix(path: Path) -> bool:
    """A notebook in chapters/ whose name does not start with two digits is an appendix:
    it has the title cell with links and the setup cell, but no exercises or chapter
    structure."""
    return not re.match(r"\d\d-", path.name)


def chapter_notebooks() -> list[Path]:
    """The numbered chapters, ``chapters/NN-name.ipynb``."""
    return [p for p in all_notebooks() if not is_appendix(p)]


def appendix_notebooks() -> list[Path]:
    return [p for p in all_notebooks() if is_appendix(p)]


@lru_cache(maxsize=None)
def read_notebook(path: Path):
    return nbformat.read(path, as_version=4)


def markdown_of(path: Path) -> str:
    """The markdown a reader sees: a .qmd file's text, or a notebook's markdown cells
    joined.
    """
    if path.suffix == ".qmd":
        return path.read_text()
    nb = read_notebook(path)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@lru_cache(maxsize=None)
def pandoc_ast(path: Path) -> dict:
    """Parse a document's markdown with pandoc (the pypandoc-binary package) into its
    JSON AST.
    """
    import pypandoc

    text = markdown_of(path)
    if path.suffix == ".qmd" and text.startswith("---"):
        # front matter is Quarto's, not pandoc's business here
        text = text.split("---", 2)[2]
    return json.loads(pypandoc.convert_text(text, "json", format="markdown"))


def walk(node):
    """Yield every dict node of a pandoc JSON AST."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


@dataclass
class Refs:
    # label -> where defined
    targets: dict[str, list[str]] = field(default_factory=dict)
    uses: list[tuple[str, str]] = field(default_factory=list)  # (label, where used)
    # (bib key, where used)
    citations: list[tuple[str, str]] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)  # (src, where used)


def _attr_id(node: dict) -> str | None:
    t, c = node.get("t"), node.get("c")
    if t == "Header":
        return c[1][0] or None
    if t in ("Div", "Span", "Image", "CodeBlock", "Table", "Figure"):
        return c[0][0] or None
    return None


def collect_refs(paths: list[Path]) -> Refs:
    refs = Refs()
    for path in paths:
        where = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
        for node in walk(pandoc_ast(path)["blocks"]):
            ident = _attr_id(node)
            if ident and ident.split("-")[0] in XREF_PREFIXES:
                refs.targets.setdefault(ident, []).append(where)
            if node.get("t") == "Cite":
                for citation in node["c"][0]:
                    key = citation["citationId"]
                    if key.split("-")[0] in XREF_PREFIXES and "-" in key:
                        refs.uses.append((key, where))
                    else:
                        refs.citations.append((key, where))
            if node.get("t") == "Image":
                refs.images.append((node["c"][2][0], where))
        text = markdown_of(path)
        for label in EQ_LABEL.findall(text):
            refs.targets.setdefault(label, []).append(where)
        if path.suffix == ".ipynb":
            for cell in read_notebook(path).cells:
                if cell.cell_type == "code":
                    for label in CELL_LABEL.findall(cell.source):
                        refs.targets.setdefault(label, []).append(where)
    return refs


def bib_keys() -> set[str]:
    text = (ROOT / "references.bib").read_text()
    return set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", text))


def exercise_cells(nb) -> list:
    """Markdown cells stating an exercise (with ``metadata.rnnbook.exercise``)."""
    return [
        c
        for c in nb.cells
        if c.cell_type == "markdown" and "exercise" in c.metadata.get("rnnbook", {})
    ]
