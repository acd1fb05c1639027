"""The exercise catalogue (rnnbook.catalogue): every exercise of every chapter, from
metadata.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from booktools import ROOT, chapter_notebooks, exercise_cells, read_notebook

from rnnbook.catalogue import Exercise, catalogue, exercises, summary, to_markdown

CHAPTERS = chapter_notebooks()


def test_the_catalogue_lists_every_exercise_of_every_chapter():
    rows = catalogue(ROOT / "chapters")
    expected = []
    for path in CHAPTERS:
        nb = read_notebook(path)
        title = re.match(r"# (.+?)\s*\{", nb.cells[0].source).group(1)
        for cell in exercise_cells(nb):
            meta = cell.metadata["rnnbook"]
            expected.append(
                (
                    path.name,
                    int(path.name[:2]),
                    title,
                    meta["exercise"],
                    meta["difficulty"],
                    meta["minutes"],
                    meta["kind"],
                    meta["checked"],
                )
            )
    assert [
        (
            r.notebook,
            r.chapter,
            r.chapter_title,
            r.number,
            r.difficulty,
            r.minutes,
            r.kind,
            r.checked,
        )
        for r in rows
    ] == expected
    assert len(rows) >= 5 * len(CHAPTERS)
    for r in rows:
        heading = f"### Exercise {r.number} ({r.stars}, {r.minutes} min): {r.title}"
        assert r.title and any(
            c.source.startswith(heading)
            for c in exercise_cells(read_notebook(ROOT / "chapters" / r.notebook))
        )
        assert r.topic


def test_markdown_table_has_one_row_per_exercise():
    rows = catalogue(ROOT / "chapters")
    table = to_markdown(rows).splitlines()
    assert (
        table[0].startswith("| Exercise | Title | Topic |")
        and len(table) == len(rows) + 2
    )
    for line, r in zip(table[2:], rows):
        assert (
            line.startswith(f"| {r.number} | ")
            and f"| {r.stars} | {r.minutes} |" in line
        )
        assert line.endswith("| yes |" if r.checked else "| no |")


def test_summary_adds_up_per_chapter():
    rows = catalogue(ROOT / "chapters")
    per_chapter = summary(rows)
    assert [s["chapter"] for s in per_chapter] == sorted({r.chapter for r in rows})
    assert sum(s["exercises"] for s in per_chapter) == len(rows)
    assert sum(s["minutes"] for s in per_chapter) == sum(r.minutes for r in rows)
    assert sum(s["checked"] for s in per_chapter) == sum(r.checked for r in rows)


def _exercise(number, text="", **meta):
    cell = nbformat.v4.new_markdown_cell(
        f"### Exercise {number} (★★☆): A title | with a pipe\n\n{text}"
    )
    cell.metadata["rnnbook"] = {
        "exercise": number,
        "difficulty": 2,
        "minutes": 20,
        "kind": "code",
        "checked": True,
        **meta,
    }
    return cell


def _chapter(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Small chapter {#sec-small}"),
        nbformat.v4.new_markdown_cell(
            "## Shapes {#sec-small-shapes}\n\n$$ y = x $$ {#eq-small-y}"
        ),
        nbformat.v4.new_code_cell("#| label: fig-small-plot\nplot()"),
        nbformat.v4.new_markdown_cell("## Exercises"),
        *cells,
    ]
    return nb


def test_topic_comes_from_metadata_then_references_then_the_chapter():
    nb = _chapter(
        _exercise("9.1", "Use @eq-small-y."),
        _exercise("9.2", "See @fig-small-plot and @sec-small."),
        _exercise("9.3", "No reference."),
        _exercise("9.4", "See @eq-small-y.", topic="Gates"),
    )
    rows = exercises(nb, "09-small.ipynb")
    assert [r.topic for r in rows] == ["Shapes", "Shapes", "Small chapter", "Gates"]
    assert rows[0] == Exercise(
        9,
        "Small chapter",
        "09-small.ipynb",
        "9.1",
        "A title | with a pipe",
        "Shapes",
        2,
        20,
        "code",
        True,
    )
    assert rows[0].stars == "★★☆"
    assert "A title \\| with a pipe" in to_markdown(rows)


@pytest.mark.parametrize(
    "meta, wanted",
    [
        ({"minutes": "20"}, "rnnbook.minutes of type int, got '20'"),
        ({"checked": 1}, "rnnbook.checked of type bool, got 1"),
        ({"difficulty": True}, "rnnbook.difficulty of type int, got True"),
        (
            {"kind": "essay"},
            "kind one of ('code', 'concept', 'derivation'), got 'essay'",
        ),
        ({"exercise": "x"}, "exercise number 'N.k', got 'x'"),
    ],
)
def test_bad_metadata_is_a_clear_error(meta, wanted):
    with pytest.raises(ValueError, match=re.escape(wanted)):
        exercises(_chapter(_exercise("9.1", **meta)), "09-small.ipynb")


def test_a_folder_and_a_path(tmp_path):
    with pytest.raises(
        FileNotFoundError, match="expected a folder of chapter notebooks"
    ):
        catalogue(tmp_path / "nowhere")
    nbformat.write(_chapter(_exercise("9.1")), tmp_path / "09-small.ipynb")
    # not a chapter
    nbformat.write(_chapter(_exercise("9.9")), tmp_path / "appendix-x.ipynb")
    assert [r.number for r in catalogue(tmp_path)] == ["9.1"]
    assert exercises(tmp_path / "09-small.ipynb")[0].notebook == "09-small.ipynb"
