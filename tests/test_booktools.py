"""The book checks must be able to fail: feed them small broken documents."""

import nbformat
from booktools import collect_refs
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from test_book import _cells_outside_student_blocks, _fence_balance


def write_notebook(path, cells):
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_collect_refs_finds_targets_uses_citations_and_images(tmp_path):
    nb = write_notebook(
        tmp_path / "a.ipynb",
        [
            new_markdown_cell(
                "# Title {#sec-a}\n\nSee @sec-b, @fig-x, @eq-y and @tbl-z "
                "[@elman1990].\n\n"
                "$$ h = 1 $$ {#eq-y}\n\n![A](pic.png){#fig-img}"
            ),
            new_code_cell("#| label: fig-x\n#| fig-cap: x\nprint(1)"),
        ],
    )
    refs = collect_refs([nb])
    assert {"sec-a", "eq-y", "fig-x", "fig-img"} <= set(refs.targets)
    used = {label for label, _ in refs.uses}
    assert used == {"sec-b", "fig-x", "eq-y", "tbl-z"}
    dangling = used - set(refs.targets)
    assert dangling == {"sec-b", "tbl-z"}
    assert [key for key, _ in refs.citations] == ["elman1990"]
    assert [src for src, _ in refs.images] == ["pic.png"]


def test_email_addresses_are_not_cross_references(tmp_path):
    nb = write_notebook(
        tmp_path / "b.ipynb", [new_markdown_cell("Write to someone@sec-example.org.")]
    )
    assert collect_refs([nb]).uses == []


def test_fence_balance():
    assert _fence_balance("::: {.callout-note}\ntext\n:::") == 0
    assert _fence_balance("::: {.a}\n::: {.b}\n:::") == 1
    assert _fence_balance("```\n:::\n```") == 0


def test_solution_cells_outside_a_student_block_are_found():
    opener = new_markdown_cell(
        '::: {.content-hidden when-profile="student"}\n::: {.callout-tip}\n## Solution'
    )
    inside = new_code_cell("x = 1", metadata={"tags": ["solution"]})
    closer = new_markdown_cell(":::\n:::")
    stray = new_code_cell("y = 2", metadata={"tags": ["solution"]})
    outside = list(_cells_outside_student_blocks([opener, inside, closer, stray]))
    assert inside not in outside and stray in outside
