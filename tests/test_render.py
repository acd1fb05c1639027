"""The site as readers see it, rendered with real Quarto: no warning, every reference
resolved, no raw math or div fences left in the pages, and no solution in the student
edition. Skipped with one line when Quarto is not installed (see
``tests/rendering.py``).
"""

from __future__ import annotations

import posixpath
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from booktools import ROOT, all_notebooks, read_notebook
from rendering import SPANISH_CHAPTER, wait_for_render

# after everything else: the render runs in the background meanwhile (conftest.py), so
# the first core runs the chapters instead of waiting for it
pytestmark = pytest.mark.run_last

WARNING = re.compile(r"^\s*(WARN|WARNING|ERROR)\b.*$", re.M)


@pytest.fixture(scope="module")
def rendered(request):
    return wait_for_render(request.config)


class _Text(HTMLParser):
    """The visible prose of a page (outside code, math, scripts and styles), and the
    text of its code blocks."""

    SKIP = {"script", "style", "code", "pre", "svg", "math", "mjx-container"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.prose: list[str] = []
        self.code: list[str] = []
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, skip prose, is code)

    def handle_starttag(self, tag, attrs):
        if tag in {"br", "img", "meta", "link", "input", "hr", "source", "wbr"}:
            return
        classes = (dict(attrs).get("class") or "").split()
        parent_skip = self._stack[-1][1] if self._stack else False
        parent_code = self._stack[-1][2] if self._stack else False
        skip = parent_skip or tag in self.SKIP or "math" in classes
        code = parent_code or tag == "pre"
        self._stack.append((tag, skip, code))

    def handle_endtag(self, tag):
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        skip, code = self._stack[-1][1:] if self._stack else (False, False)
        if code:
            self.code.append(data)
        elif not skip:
            self.prose.append(data)


def page_text(path: Path) -> tuple[str, str]:
    parser = _Text()
    parser.feed(path.read_text(errors="replace"))
    return "".join(parser.prose), "".join(parser.code)


def _pages(site: Path) -> list[Path]:
    pages = sorted(site.rglob("*.html"))
    assert pages, f"no HTML pages in {site}"
    return pages


def test_render_prints_no_warning(rendered):
    warnings = WARNING.findall(rendered.log)
    lines = [m.group(0).strip() for m in WARNING.finditer(rendered.log)]
    assert not warnings, "Quarto warned while rendering:\n" + "\n".join(lines[:20])


@pytest.mark.parametrize("edition", ["book", "student"])
def test_every_cross_reference_resolves(rendered, edition):
    bad = {}
    for page in _pages(getattr(rendered, edition)):
        found = re.findall(r"\?@[\w-]+", unescape(page.read_text(errors="replace")))
        if found:
            bad[page.name] = sorted(set(found))[:5]
    assert not bad, f"unresolved cross-references (Quarto shows ?@label): {bad}"


@pytest.mark.parametrize("edition", ["book", "student"])
def test_no_raw_math_or_div_fences_in_the_prose(rendered, edition):
    bad = {}
    for page in _pages(getattr(rendered, edition)):
        prose, _ = page_text(page)
        hits = re.findall(r".{0,30}(?:\$|:::).{0,30}", prose)
        if hits:
            bad[page.name] = hits[:3]
    assert not bad, f"raw `$` math or `:::` fences left in the page text: {bad}"


def _solution_lines() -> list[str]:
    """Distinctive lines of the worked solutions: code between the solution markers that
    appears nowhere else in the chapters, not even inside a longer line (a line the
    chapter also shows outside its solutions may rightly be on the student site)."""
    inside, outside = set(), set()
    for path in all_notebooks():
        for cell in read_notebook(path).cells:
            solution = cell.cell_type == "code" and "solution" in cell.metadata.get(
                "tags", []
            )
            within = False
            for line in cell.source.splitlines():
                if "END SOLUTION" in line:
                    within = False
                (inside if solution and within else outside).add(line.strip())
                if "BEGIN SOLUTION" in line:
                    within = True
    # not even as part of a longer line: a solution line may be the start of a line
    # that the chapter shows outside its solutions
    shown_elsewhere = "\n".join(outside)
    return sorted(
        line for line in inside if len(line) >= 30 and line not in shown_elsewhere
    )


def test_student_site_shows_no_solution(rendered):
    lines = _solution_lines()
    assert len(lines) > 50, "expected the chapters' worked solutions to be found"
    book = "\n".join(page_text(p)[1] for p in _pages(rendered.book))
    student = "\n".join(page_text(p)[1] for p in _pages(rendered.student))
    # the full edition shows them: the check below would otherwise prove nothing
    shown = [line for line in lines if line in book]
    assert len(shown) > 0.9 * len(lines), (
        f"only {len(shown)} of {len(lines)} solution lines found in the full edition"
    )
    leaked = [line for line in lines if line in student]
    assert not leaked, f"solution lines in the student edition: {leaked[:5]}"
    assert "BEGIN SOLUTION" not in book + student, "solution markers shown on the page"


def test_editions_do_not_copy_each_other(rendered):
    nested = [
        str(p)
        for site in (rendered.book, rendered.student)
        for p in site.rglob("_book*")
        if p.is_dir()
    ]
    assert not nested, f"an edition holds a copy of an output folder: {nested}"


def test_each_site_publishes_its_own_notebooks(rendered):
    full = sorted(p.name for p in (rendered.book / "notebooks").glob("*.ipynb"))
    student = sorted(p.name for p in (rendered.student / "notebooks").glob("*.ipynb"))
    chapters = sorted(p.name for p in (ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
    assert set(chapters) <= set(full) and student == chapters
    sample = rendered.student / "notebooks" / chapters[0]
    assert '"edition": "student"' in sample.read_text(), (
        "the student site serves the full notebook"
    )


def test_chapters_list_matches_the_site(rendered):
    chapters = sorted(p.stem for p in (ROOT / "chapters").glob("*.ipynb"))
    pages = sorted(p.stem for p in (rendered.book / "chapters").glob("*.html"))
    assert pages == chapters


# --- the Spanish edition (a few of its pages) ----------------------------------------

SPANISH = Path(SPANISH_CHAPTER).name.replace(".ipynb", ".html")


def test_spanish_pages_are_in_spanish_with_quartos_spanish_interface(rendered):
    page = (rendered.spanish / "es" / "chapters" / SPANISH).read_text()
    assert re.search(r'<html[^>]*lang="es', page), "the Spanish site is not lang=es"
    assert "Redes neuronales recurrentes" in page  # the Spanish book title
    assert "Capítulo" in page or "Sección" in page, "Quarto's strings are not Spanish"
    home = (rendered.spanish / "index.html").read_text()
    assert "Prefacio" in home and "Who this book is for" not in home
    english_home = (rendered.book / "index.html").read_text()
    assert "Who this book is for" in english_home and "Prefacio" not in english_home


def _switch(page: Path) -> str:
    m = re.search(r'<a class="language-switch" href="([^"]+)"', page.read_text())
    assert m, f"{page.name} has no language switch"
    return m.group(1)


def test_the_language_switch_links_both_ways_in_the_published_layout(rendered):
    """Published, the Spanish site sits in es/ of the English one (and the Spanish
    student site in es/ of the student site): every switch lands on its twin page."""
    published = {"": rendered.book, "es/": rendered.spanish}
    pairs = [
        ("chapters/" + SPANISH, "es/es/chapters/" + SPANISH),
        ("index.html", "es/index.html"),
        ("references.html", "es/es/references.html"),
    ]
    for english, spanish in pairs:
        for here, there in [(english, spanish), (spanish, english)]:
            site = "es/" if here.startswith("es/") else ""
            page = published[site] / here[len(site) :]
            target = posixpath.normpath(
                posixpath.join(posixpath.dirname(here), _switch(page))
            )
            assert target == there, f"{here} switches to {target}, expected {there}"
            other = "es/" if there.startswith("es/") else ""
            assert (published[other] / there[len(other) :]).exists()


def test_spanish_student_site_hides_the_solutions(rendered):
    full = (rendered.spanish / "es" / "chapters" / SPANISH).read_text()
    student = (rendered.spanish_student / "es" / "chapters" / SPANISH).read_text()
    assert "Solución del ejercicio" in full
    assert "Solución del ejercicio" not in student
    assert "Ejercicio 2.1" in student
