"""What a translation must keep exactly as the English has it, and the glossary.

A translation changes words, never the machinery around them: math, inline code and
code blocks, cross-references and the labels they point to, citations, link targets,
Quarto's fenced divs (the lines that hide a solution from the student edition) and
the exercise headings' numbers, marks and minutes. ``markup_differences`` compares two
texts on each of these and says what differs.

The glossary (``i18n/<lang>/glossary.md``) fixes the translation of the book's terms:
``glossary_misses`` reports a term used in the English of a unit whose fixed translation
does not appear in the translated unit.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "Term",
    "glossary_misses",
    "markup_differences",
    "prose_only",
    "read_glossary",
]

_CODE_BLOCK = re.compile(r"^([ \t]*)(`{3,}|~{3,})[^\n]*\n.*?^\1\2[ \t]*$", re.M | re.S)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$(?:\s*\{#eq-[\w-]+\})?", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)(?:\\.|[^$\\\n])+?(?<!\s)\$(?!\d)")
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_XREF = re.compile(r"(?<![\w@])-?@((?:sec|eq|fig|tbl)-[\w-]*\w)")
_LABEL = re.compile(r"\{#((?:sec|eq|fig|tbl)-[\w-]+)[^}]*\}")
_CITATION = re.compile(
    r"(?<![\w@])-?@((?!(?:sec|eq|fig|tbl)-)[A-Za-z][\w:.#$%&+?<>~/-]*\w)"
)
_LINK_TARGET = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCED_DIV = re.compile(r"^\s*:{3,}.*$", re.M)
_EXERCISE = re.compile(r"^#{1,6}\s+\S+\s+(\d+\.\d+)\s*\(([★☆]+),\s*(\d+)\s*min\)", re.M)
_HEADING_LEVELS = re.compile(r"^(#{1,6})\s", re.M)


def _without_code(text: str) -> str:
    text = _CODE_BLOCK.sub(" ", text)
    return _CODE_SPAN.sub(" ", text)


def _without_math(text: str) -> str:
    return _INLINE_MATH.sub(" ", _DISPLAY_MATH.sub(" ", text))


def prose_only(text: str) -> str:
    """``text`` without code blocks, code spans, math, link targets, cross-references,
    labels and citations (``@sec-vanishing-gradients`` names a section; it does not use
    the term)."""
    text = _LINK_TARGET.sub("]", _without_math(_without_code(text)))
    text = _LABEL.sub(" ", _XREF.sub(" ", text))
    return _CITATION.sub(" ", text)


def _inventory(text: str) -> dict[str, Counter]:
    no_blocks = _CODE_BLOCK.sub(" ", text)
    spans = [m.group(0) for m in _CODE_SPAN.finditer(no_blocks)]
    no_code = _CODE_SPAN.sub(" ", no_blocks)
    display = _DISPLAY_MATH.findall(no_code)
    no_display = _DISPLAY_MATH.sub(" ", no_code)
    inline = _INLINE_MATH.findall(no_display)
    prose = _INLINE_MATH.sub(" ", no_display)
    return {
        "code blocks": Counter(m.group(0) for m in _CODE_BLOCK.finditer(text)),
        "code spans": Counter(spans),
        "display math": Counter(display),
        "inline math": Counter(inline),
        "cross-references": Counter(_XREF.findall(prose)),
        "labels": Counter(_LABEL.findall(prose)),
        "citations": Counter(_CITATION.findall(_LINK_TARGET.sub("]", prose))),
        "link targets": Counter(_LINK_TARGET.findall(prose)),
        "fenced divs": Counter(line.strip() for line in _FENCED_DIV.findall(prose)),
        "exercise headings": Counter(_EXERCISE.findall(prose)),
        "heading levels": Counter(_HEADING_LEVELS.findall(prose)),
    }


def markup_differences(english: str, translated: str) -> list[str]:
    """One line per kind of markup that differs: what the English has that the
    translation lacks, and what the translation adds."""
    a, b = _inventory(english), _inventory(translated)
    problems = []
    for kind in a:
        missing, extra = a[kind] - b[kind], b[kind] - a[kind]
        if missing or extra:
            parts = []
            if missing:
                parts.append(
                    "missing " + ", ".join(_show(x) for x in missing.elements())
                )
            if extra:
                parts.append("added " + ", ".join(_show(x) for x in extra.elements()))
            problems.append(f"{kind} differ: " + "; ".join(parts))
    return problems


def _show(item) -> str:
    text = " ".join(map(str, item)) if isinstance(item, tuple) else str(item)
    text = text.replace("\n", "⏎")
    return repr(text if len(text) <= 70 else text[:67] + "...")


# --- the glossary -------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without accents: how terms are matched."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=None)
def _pattern(term: str) -> re.Pattern:
    """A term as a pattern: ``stem*`` matches any word that starts with the stem;
    otherwise each word may take a plural ending (-s, -es). Alternatives are
    separated by commas."""
    alternatives = []
    for alt in term.split(","):
        alt = _fold(alt.strip())
        if alt.endswith("*"):
            alternatives.append(r"\b" + re.escape(alt[:-1]) + r"[\w-]*")
            continue
        words = [re.escape(w) + r"(?:s|es)?" for w in alt.split()]
        alternatives.append(r"\b" + r"\s+".join(words) + r"\b")
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


@dataclass(frozen=True)
class Term:
    english: str
    translation: str
    note: str = ""


def read_glossary(path: Path) -> list[Term]:
    """The rows of the glossary's table of checked terms (the first table in the file
    whose header's first column is ``English``)."""
    terms, in_table = [], False
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.lstrip().startswith("|"):
            if in_table:
                break
            continue
        if cells and cells[0] == "English":
            in_table = True
            continue
        if in_table and not set("".join(cells)) <= set("-: "):
            english, translation = cells[0].strip("`"), cells[1].strip("`")
            note = cells[2] if len(cells) > 2 else ""
            if not english or not translation:
                raise ValueError(f"{path}: a glossary row lacks a term: {line!r}")
            terms.append(Term(english, translation, note))
    if not terms:
        raise ValueError(f"{path}: expected a table whose first column is 'English'")
    return terms


def glossary_misses(terms: list[Term], english: str, translated: str) -> list[Term]:
    """The terms the English uses whose fixed translation the translation lacks."""
    english, translated = _fold(prose_only(english)), _fold(prose_only(translated))
    return [
        t
        for t in terms
        if _pattern(t.english).search(english)
        and not _pattern(t.translation).search(translated)
    ]
