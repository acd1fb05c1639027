"""Check a translation against the English it follows.

``check(root, "es")`` returns one ``Problem`` per unit that is out of step:

- *missing*: an English unit with no translation;
- *stale*: a unit whose English changed after it was translated (the hash differs); the
  message carries a diff of the English, old against new;
- *orphan*: a translated unit whose English cell or section no longer exists;
- *markup*: math, code, cross-references, labels, citations, link targets, fenced divs
  or exercise headings that differ between the English and the translation;
- *glossary*: a term of ``i18n/<lang>/glossary.md`` translated otherwise;
- *edition*: a built notebook or page of ``<lang>/`` that is not what ``make <lang>``
  builds from the current English and translations (code cells and outputs included).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .build import output_path, translated_notebook, translated_page
from .invariants import glossary_misses, markup_differences, read_glossary
from .units import load_translation, source_files, text_hash, translation_path, units_of

__all__ = ["Problem", "check", "english_diff"]


@dataclass(frozen=True)
class Problem:
    kind: str  # missing, stale, orphan, markup, glossary or edition
    source: str  # "chapters/01-sequential-data.ipynb"
    key: str  # the unit ("3b2a1c0d", "82e759a1/fig-cap"), or "" for a whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.source} {self._unit()}" if self.key else self.source
        return f"[{self.kind}] {where}: {self.message}"

    def _unit(self) -> str:
        return (
            f"section {self.key}"
            if self.source.endswith(".qmd")
            else (f"cell {self.key}" if "/" not in self.key else f"caption {self.key}")
        )


def english_diff(old: str, new: str) -> str:
    """A unified diff of two versions of a unit's English, one sentence per line."""
    lines = difflib.unified_diff(
        old.splitlines(),
        new.splitlines(),
        "translated English",
        "English now",
        lineterm="",
    )
    return "\n".join(lines)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 60 else line[:57] + "..."


def check(
    root: Path, lang: str, built: bool = True, sources: list[str] | None = None
) -> list[Problem]:
    """Every way the ``lang`` translation is out of step with the English sources
    (all of them, or the ``sources`` given relative to ``root``); ``built`` also
    compares the built edition in ``<lang>/`` with a fresh build."""
    root = Path(root)
    glossary_file = root / "i18n" / lang / "glossary.md"
    terms = read_glossary(glossary_file) if glossary_file.exists() else []
    problems: list[Problem] = []
    for source in source_files(root):
        rel = source.relative_to(root).as_posix()
        if sources is not None and rel not in sources:
            continue
        path = translation_path(root, lang, source)
        data = load_translation(path)
        units = data["units"]
        english_units = units_of(source)
        for unit in english_units:
            entry = units.get(unit.key) or {}
            text = entry.get(lang)
            if not text:
                problems.append(
                    Problem(
                        "missing",
                        rel,
                        unit.key,
                        f"no translation ({_first_line(unit.text)!r})",
                    )
                )
                continue
            if entry.get("hash") != unit.hash:
                old = entry.get("en") or ""
                diff = (
                    english_diff(old, unit.text)
                    if text_hash(old) == entry.get("hash")
                    else ("(the English it translated is not in the file)")
                )
                problems.append(
                    Problem(
                        "stale",
                        rel,
                        unit.key,
                        "the English changed after it was "
                        f"translated; update `{lang}`, then run "
                        "`python -m rnnbook.i18n "
                        f"accept {lang} {rel} {unit.key}`\n{diff}",
                    )
                )
            for difference in markup_differences(unit.text, text):
                problems.append(Problem("markup", rel, unit.key, difference))
            for term in glossary_misses(terms, unit.text, text):
                problems.append(
                    Problem(
                        "glossary",
                        rel,
                        unit.key,
                        f"the English says {term.english!r}, "
                        f"the glossary's translation {term.translation!r} is missing",
                    )
                )
        known = {u.key for u in english_units}
        for key in units:
            if key not in known:
                problems.append(
                    Problem(
                        "orphan",
                        rel,
                        key,
                        "no English unit has this key any more "
                        "(cell deleted or id changed): remove or re-key it",
                    )
                )
        if built and not any(
            p.source == rel and p.kind != "glossary" for p in problems
        ):
            problems.extend(_edition_problems(root, lang, source, data, rel))
    return problems


def _edition_problems(root: Path, lang: str, source: Path, data: dict, rel: str):
    target = output_path(root, lang, source)
    shown = target.relative_to(root).as_posix()
    if not target.exists():
        return [Problem("edition", rel, "", f"{shown} is missing: run `make {lang}`")]
    if source.suffix == ".qmd":
        if target.read_text("utf-8") != translated_page(source, data, lang):
            return [
                Problem(
                    "edition", rel, "", f"{shown} is out of date: run `make {lang}`"
                )
            ]
        return []
    built = nbformat.read(target, as_version=4)
    fresh = translated_notebook(source, data, lang)
    if built == fresh:
        return []
    problems = []
    if len(built.cells) != len(fresh.cells):
        problems.append(
            Problem(
                "edition",
                rel,
                "",
                f"{shown} has {len(built.cells)} cells, "
                f"the English {len(fresh.cells)}: run `make {lang}`",
            )
        )
    for ours, theirs in zip(built.cells, fresh.cells):
        if ours != theirs:
            what = "code or outputs" if ours.cell_type == "code" else "text"
            problems.append(
                Problem(
                    "edition",
                    rel,
                    ours.get("id", "?"),
                    f"{shown}: the {what} differ from the English build: "
                    f"run `make {lang}`",
                )
            )
    return problems or [
        Problem("edition", rel, "", f"{shown} is out of date: run `make {lang}`")
    ]
