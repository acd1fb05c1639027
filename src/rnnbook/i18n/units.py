"""The translatable units of the book's sources, and the files that hold their
translations.

A *unit* is one piece of English text a translation replaces as a whole:

- a markdown cell of a chapter notebook, keyed by the cell's id (``"3b2a1c0d"``);
- a caption or alt text in a code cell's Quarto options (``#| fig-cap:``,
  ``#| fig-alt:``, ``#| tbl-cap:``), keyed by the cell id and the option
  (``"82e759a1/fig-cap"``);
- a section of a Quarto page (the preface ``index.qmd``, ``references.qmd``), keyed by
  its heading's label or slug.

A translation file (``i18n/es/01-sequential-data.yml``) maps every key to the English
text it translates (``en``), that text's hash (``hash``) and the translation (``es``).
The hash is what goes stale: when the English of a unit changes, its hash no longer
matches and the check (``rnnbook.i18n.check``) reports the unit with a diff of the
English change.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

__all__ = [
    "CAPTION_LINE",
    "CAPTION_OPTIONS",
    "Unit",
    "load_translation",
    "save_translation",
    "source_files",
    "text_hash",
    "translation_path",
    "units_of",
]

CAPTION_OPTIONS = ("fig-cap", "fig-alt", "tbl-cap")
CAPTION_LINE = re.compile(
    r"^#\|\s*(" + "|".join(CAPTION_OPTIONS) + r")\s*:\s*(.*?)\s*$"
)
# the English text of the preface sits between these two lines of index.qmd
ENGLISH_BEGIN = "<!-- BEGIN ENGLISH"
ENGLISH_END = "<!-- END ENGLISH"
_HEADING = re.compile(r"^(#{1,2})\s+(.*?)\s*(\{[^}]*\})?\s*$")
_CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


@dataclass(frozen=True)
class Unit:
    """One translatable piece of English text."""

    key: str  # "3b2a1c0d", "82e759a1/fig-cap" or "who-this-book-is-for"
    kind: str  # "markdown", one of CAPTION_OPTIONS, or "section"
    text: str  # the English

    @property
    def hash(self) -> str:
        return text_hash(self.text)


def text_hash(text: str) -> str:
    """The first 16 hex digits of the SHA-256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def source_files(root: Path) -> list[Path]:
    """Every English source the translations follow, in book order: the preface, the
    chapter notebooks and the appendix, the references page."""
    root = Path(root)
    notebooks = sorted((root / "chapters").glob("*.ipynb"))
    return [root / "index.qmd", *notebooks, root / "references.qmd"]


def translation_path(root: Path, lang: str, source: Path) -> Path:
    """``i18n/<lang>/<stem>.yml`` for a source file."""
    return Path(root) / "i18n" / lang / f"{Path(source).stem}.yml"


def units_of(path: Path) -> list[Unit]:
    """The units of one source file, in order (a notebook or a Quarto page)."""
    path = Path(path)
    if path.suffix == ".ipynb":
        return _notebook_units(nbformat.read(path, as_version=4), path)
    if path.suffix == ".qmd":
        return _page_units(path.read_text(encoding="utf-8"), path)
    raise ValueError(f"expected a .ipynb or .qmd source, got {path}")


def caption_value(raw: str) -> str:
    """The text of a caption option's value as written after the colon (YAML)."""
    value = yaml.safe_load(raw) if raw else ""
    return "" if value is None else str(value)


def caption_line(option: str, text: str) -> str:
    """``#| fig-cap: "..."`` with ``text`` as a YAML double-quoted string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'#| {option}: "{escaped}"'


def _notebook_units(nb, path: Path) -> list[Unit]:
    units = []
    for i, cell in enumerate(nb.cells):
        cell_id = cell.get("id")
        if not cell_id:
            raise ValueError(
                f"{path}: cell {i} has no id (nbformat 4.5 ids are needed)"
            )
        if cell.cell_type == "markdown":
            units.append(Unit(cell_id, "markdown", cell.source))
        elif cell.cell_type == "code":
            for line in cell.source.splitlines():
                m = CAPTION_LINE.match(line)
                if m:
                    text = caption_value(m.group(2))
                    units.append(Unit(f"{cell_id}/{m.group(1)}", m.group(1), text))
    return units


def english_region(text: str, path: Path | str = "index.qmd") -> tuple[int, int]:
    """(first, last) line numbers, exclusive, of the English text of a bilingual page:
    between its ``<!-- BEGIN ENGLISH`` and ``<!-- END ENGLISH`` lines, or all of it."""
    lines = text.splitlines()
    begin = [i for i, line in enumerate(lines) if line.startswith(ENGLISH_BEGIN)]
    end = [i for i, line in enumerate(lines) if line.startswith(ENGLISH_END)]
    if not begin and not end:
        return 0, len(lines)
    if len(begin) != 1 or len(end) != 1 or end[0] < begin[0]:
        raise ValueError(
            f"{path}: expected one {ENGLISH_BEGIN} line before one {ENGLISH_END} line, "
            f"got {len(begin)} and {len(end)}"
        )
    return begin[0] + 1, end[0]


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") or "section"


def _page_units(text: str, path: Path) -> list[Unit]:
    """A Quarto page split into sections at its level-1 and level-2 headings."""
    first, last = english_region(text, path)
    sections: list[tuple[str, list[str]]] = []
    fence = None
    for line in text.splitlines()[first:last]:
        m = _CODE_FENCE.match(line)
        if m:
            fence = (
                None if fence and m.group(1).startswith(fence) else fence or m.group(1)
            )
        heading = None if fence else _HEADING.match(line)
        if heading or not sections:
            attrs = heading.group(3) if heading else None
            label = re.search(r"#([\w-]+)", attrs) if attrs else None
            key = (
                label.group(1) if label else _slug(heading.group(2) if heading else "")
            )
            sections.append((key, []))
        sections[-1][1].append(line)
    units, seen = [], set()
    for key, lines in sections:
        body = "\n".join(lines).strip("\n")
        if not body:
            continue
        if key in seen:
            raise ValueError(
                f"{path}: two sections are keyed {key!r}; give one a label"
            )
        seen.add(key)
        units.append(Unit(key, "section", body))
    return units


# --- translation files --------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, data):
    style = "|" if "\n" in data and not re.search(r"[ \t]\n|[ \t]$", data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def load_translation(path: Path) -> dict:
    """A translation file: ``{"source": ..., "lang": ..., "units": {key: {"hash", "en",
    lang}}}``; an empty one when the file does not exist."""
    path = Path(path)
    if not path.exists():
        return {"source": None, "lang": path.parent.name, "units": {}}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not isinstance(data.get("units", {}), dict):
        raise ValueError(
            f"{path}: expected a mapping with 'source', 'lang' and 'units', "
            f"got {type(data).__name__}"
        )
    data.setdefault("units", {})
    data["units"] = data["units"] or {}
    return data


HEADER = (
    "# The {language} text of {source}, unit by unit: a markdown cell (its id),\n"
    "# a caption (cell id/option) or a page section. `en` is the English it\n"
    "# translates and `hash` that English's hash; the check reports a unit whose\n"
    "# English has changed since.\n"
    "# How to update a translation: i18n/README.md\n"
)


def save_translation(path: Path, data: dict, language: str = "Spanish") -> None:
    """Write a translation file (units in the order given, text in block style)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000
    )
    header = HEADER.format(language=language, source=data.get("source"))
    path.write_text(header + body, encoding="utf-8")
