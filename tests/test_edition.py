"""The student edition (rnnbook.edition): stubs, hidden blocks, what is kept, on small
notebooks and on every chapter. Executing the student notebooks is tested in
test_grade.py, which runs each of them once."""

from __future__ import annotations

import re
import textwrap

import nbformat
import pytest
from booktools import ROOT, STUDENT_OPEN, exercise_cells, read_notebook
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnbook.edition import (
    BEGIN,
    END,
    STUDENT_SITE,
    _readable,
    crossref_targets,
    is_check_cell,
    is_solution_cell,
    main,
    stub_solution,
    student_notebook,
    write_student_edition,
)

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
CLOSE = ":::\n:::"


def md(source, **meta):
    cell = nbformat.v4.new_markdown_cell(source)
    if meta:
        cell.metadata["rnnbook"] = meta
    return cell


def code(source, tags=(), outputs=(), count=None):
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=t) for t in outputs
    ]
    cell.execution_count = count
    return cell


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


SOLUTION = textwrap.dedent("""\
    def double(x):
        \"\"\"Twice x.\"\"\"
        # BEGIN SOLUTION
        y = 2 * x
        return y
        # END SOLUTION""")


def small_chapter():
    return notebook(
        md("# Title {#sec-t}"),
        code("import rnnbook\ndevice = rnnbook.setup()", outputs=["setup\n"], count=1),
        md("## Exercises"),
        md(
            "### Exercise 9.1 (★☆☆): Double\n\nWrite `double`.",
            exercise="9.1",
            difficulty=1,
            minutes=5,
            kind="code",
            checked=True,
        ),
        md(
            f'{STUDENT_OPEN}\n::: {{.callout-tip collapse="true"}}\n## Solution to '
            "Exercise 9.1\n\nMultiply by two."
        ),
        code(SOLUTION, tags=["solution"], count=2),
        code(
            "rnnbook.checks.demo.check_double(double)",
            outputs=["✅ Exercise 9.1: passed\n"],
            count=3,
        ),
        code("print(double(21))", outputs=["42\n"], count=4),
        md(f"So the answer is 42.\n\n{CLOSE}"),
        md(
            "### Exercise 9.2 (★★☆): Why\n\nExplain.",
            exercise="9.2",
            difficulty=2,
            minutes=5,
            kind="concept",
            checked=False,
        ),
        md(
            f'{STUDENT_OPEN}\n::: {{.callout-tip collapse="true"}}\n## Solution to '
            "Exercise 9.2\n\n"
            "```markdown\n::: not a fence inside "
            "code\n```\nBecause.\n:::\n:::\n\nAfter the block."
        ),
        md("## References\n\n- a book"),
    )


# --- stub_solution --------------------------------------------------------------------


def test_stub_replaces_the_body_at_the_marker_indentation():
    stub = stub_solution(SOLUTION, "9.1")
    assert stub.splitlines() == [
        "def double(x):",
        '    """Twice x."""',
        "    # BEGIN SOLUTION",
        "    # TODO: Exercise 9.1: write your code here, then run the check below.",
        '    raise NotImplementedError("Exercise 9.1: your code here")',
        "    # END SOLUTION",
    ]
    namespace = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError, match="Exercise 9.1: your code here"):
        namespace["double"](1)


def test_stub_handles_several_blocks_and_keeps_code_outside_them():
    source = (
        SOLUTION
        + "\n\n\nclass Model:\n    def f(self):\n        # BEGIN SOLUTION\n        "
        "return 1\n        # END SOLUTION\n\nKEEP = 3"
    )
    stub = stub_solution(source, "2.4")
    assert (
        stub.count("raise NotImplementedError") == 2
        and "return 1" not in stub
        and "y = 2 * x" not in stub
    )
    assert '        raise NotImplementedError("Exercise 2.4: your code here")' in stub
    assert stub.endswith("KEEP = 3")


def test_stub_of_a_cell_without_markers_is_a_todo_comment():
    stub = stub_solution("print(3 + 4)", "4.1")
    assert stub.startswith("# TODO: Exercise 4.1") and "print" not in stub
    compile(stub, "<stub>", "exec")


@pytest.mark.parametrize(
    "source, wanted",
    [
        (f"def f():\n    {BEGIN}\n    return 1", "got the end of the cell"),
        (f"def f():\n    return 1\n    {END}", f"expected '{BEGIN}'"),
        (f"def f():\n    {BEGIN}\n    {BEGIN}\n    {END}", "got another"),
    ],
)
def test_unbalanced_markers_are_a_clear_error(source, wanted):
    with pytest.raises(ValueError, match=re.escape(wanted)):
        stub_solution(source, "1.1")


@settings(max_examples=30, deadline=None)
@given(
    indent=st.sampled_from(["    ", "        ", "\t"]),
    body=st.lists(
        st.sampled_from(
            ["x = 1", "return 2", "for i in range(3):", "    pass", "", "# note"]
        ),
        max_size=6,
    ),
)
def test_any_stubbed_function_compiles_and_raises(indent, body):
    inner = "\n".join(indent + line if line else "" for line in body)
    source = f"def f():\n{indent}{BEGIN}\n{inner}\n{indent}{END}"
    namespace = {}
    exec(stub_solution(source, "3.2"), namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"]()


# --- student_notebook on a small chapter ----------------------------------------------


def test_student_notebook_of_a_small_chapter():
    full = small_chapter()
    before = nbformat.writes(full)
    student = student_notebook(full, "09-small.ipynb")
    assert nbformat.writes(full) == before, "the full notebook must not be modified"
    sources = [c.source for c in student.cells]
    # the header links to the student site, not to the full notebook
    assert sources[0].startswith("# Title\n") and "Student edition" in sources[0]
    assert f"({STUDENT_SITE}chapters/09-small.html)" in sources[0]
    assert (
        f"[Download the notebook]({STUDENT_SITE}notebooks/09-small.ipynb)"
        in (sources[0])
    )
    assert [c.source for c in student.cells[1:4]] == [c.source for c in full.cells[1:4]]
    # the solution prose and the worked-solution cell are gone, the stub and the check
    # stay
    assert (
        "Multiply by two" not in "".join(sources) and "print(double(21))" not in sources
    )
    assert "So the answer is 42" not in "".join(sources) and "Because." not in "".join(
        sources
    )
    assert not any(STUDENT_OPEN in s or s.strip().startswith(":::") for s in sources)
    stub, check = student.cells[4], student.cells[5]
    assert (
        is_solution_cell(stub)
        and 'raise NotImplementedError("Exercise 9.1: your code here")' in stub.source
    )
    assert stub.metadata["rnnbook"] == {"solution": "9.1"}
    assert (
        is_check_cell(check) and check.outputs == [] and check.execution_count is None
    )
    assert check.metadata["rnnbook"] == {"check": "9.1"}
    assert stub.outputs == [] and stub.execution_count is None
    # the untouched cells keep their outputs and counts; the text after a closed block
    # stays; the concept exercise gets an answer cell
    assert (
        student.cells[1].outputs == full.cells[1].outputs
        and student.cells[1].execution_count == 1
    )
    assert sources[6].startswith("### Exercise 9.2") and sources[7] == (
        "After the block."
    )
    assert student.cells[8].metadata["rnnbook"] == {"answer": "9.2"}
    assert "Your answer to Exercise 9.2" in sources[8]
    assert sources[-1] == "## References\n\n- a book"
    assert student.cells[3].metadata["rnnbook"]["exercise"] == "9.1"
    assert student.metadata["rnnbook"] == {"edition": "student", "chapter": "09-small"}
    nbformat.validate(student)


def test_readable_cross_references_and_equation_numbers():
    nb = notebook(
        md("# Title {#sec-t}"),
        md("## Intro"),
        md("## Shapes {#sec-t-shapes}\n\n$$\ny = x\n$$ {#eq-t-y}\n\n$$ z $$ {#eq-t-z}"),
        code("#| label: fig-t-plot\nplot()"),
        md(
            "See @sec-t-shapes, @eq-t-z, [-@eq-t-y], @fig-t-plot, @sec-t, "
            "@sec-elsewhere and `@eq-t-y` in code:\n```\n@sec-t\n```"
        ),
    )
    student = student_notebook(nb, "04-t.ipynb", site="https://x.org/s")
    page = "https://x.org/s/chapters/04-t.html"
    assert student.cells[2].source == (
        "## Shapes\n\n$$\ny = x\n\\tag{4.1} $$\n\n$$ z \\tag{4.2} $$"
    )
    assert student.cells[4].source == (
        f"See [Section 4.2]({page}#sec-t-shapes), [Equation 4.2]({page}#eq-t-z), "
        f"[4.1]({page}#eq-t-y), [Figure 4.1]({page}#fig-t-plot), "
        f"[Chapter 4]({page}#sec-t), @sec-elsewhere and `@eq-t-y` in code:\n```\n"
        "@sec-t\n```"
    )


def test_stubs_of_unchecked_and_concept_exercises():
    assert "run the check below" not in stub_solution(SOLUTION, "4.7", checked=False)
    assert "graded by hand" in stub_solution(SOLUTION, "4.7", checked=False)
    nb = notebook(
        md(
            "### Exercise 4.1 (★☆☆, 5 min): Clip",
            exercise="4.1",
            difficulty=1,
            minutes=5,
            kind="concept",
            checked=False,
        ),
        md(f"{STUDENT_OPEN}\n::: {{.callout-tip}}\n## Solution to Exercise 4.1"),
        code("print(3 + 4)", tags=["solution"]),
        md(CLOSE),
        md(
            "### Exercise 4.7 (★★★, 40 min): Open",
            exercise="4.7",
            difficulty=3,
            minutes=40,
            kind="code",
            checked=False,
        ),
        md(f"{STUDENT_OPEN}\n::: {{.callout-tip}}\n## Solution to Exercise 4.7"),
        code(SOLUTION, tags=["solution"]),
        md(CLOSE),
    )
    student = student_notebook(nb, "04-x.ipynb")
    text = "\n".join(c.source for c in student.cells)
    assert "print(3 + 4)" not in text and "write your code here" in text
    assert "run the check below" not in text
    answers = [
        c.metadata["rnnbook"]["answer"]
        for c in student.cells
        if "answer" in c.metadata.get("rnnbook", {})
    ]
    assert answers == ["4.1", "4.7"]


def test_student_only_content_is_unwrapped_and_other_divs_kept():
    nb = notebook(
        md(
            '::: {.content-visible when-profile="student"}\nOnly students read '
            "this.\n:::\n\n"
            "::: {.callout-note}\nA note.\n:::"
        )
    )
    assert (
        student_notebook(nb).cells[0].source
        == "Only students read this.\n\n::: {.callout-note}\nA note.\n:::"
    )


# --- the real chapters ----------------------------------------------------------------


def _outside_hidden(cells):
    from test_book import _cells_outside_student_blocks

    return list(_cells_outside_student_blocks(cells))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_student_edition_of_every_chapter(chapter):
    full = read_notebook(chapter)
    targets = crossref_targets({p.name: read_notebook(p) for p in CHAPTERS})
    student = student_notebook(full, chapter.name, targets=targets)
    text = "\n".join(c.source for c in student.cells)
    assert STUDENT_OPEN not in text and "Solution to Exercise" not in text
    # every code cell outside the hidden blocks is kept unchanged, outputs and counts
    # included
    outside = _outside_hidden(full.cells)
    plain = lambda cells: [  # noqa: E731
        c
        for c in cells
        if c.cell_type == "code" and not is_solution_cell(c) and not is_check_cell(c)
    ]  # noqa: E731
    assert [(c.source, c.outputs, c.execution_count) for c in plain(student.cells)] == [
        (c.source, c.outputs, c.execution_count) for c in plain(outside)
    ]
    # so is every markdown cell that holds no fence of a hidden block, in order (made
    # readable: no Quarto cross-references left)
    untouched = [
        _readable(c.source, targets)
        for c in outside[1:]
        if c.cell_type == "markdown" and ":::" not in c.source
    ]
    shown = iter(c.source for c in student.cells if c.cell_type == "markdown")
    assert all(source in shown for source in untouched), (
        "markdown cells lost or reordered"
    )
    prose = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
    assert not re.search(r"(?<![\w@`])@(sec|eq|fig|tbl)-", prose), "a raw cross-ref"
    assert "/raw/main/chapters" not in text and "colab.research" not in text
    # every exercise is there with its metadata, every solution is a stub, every check
    # cell is kept
    assert [c.metadata["rnnbook"] for c in exercise_cells(student)] == [
        c.metadata["rnnbook"] for c in exercise_cells(full)
    ]
    solutions, kind = [], None
    for c in full.cells:  # the worked computations of concept exercises are left out
        kind = c.metadata.get("rnnbook", {}).get("kind", kind)
        if is_solution_cell(c) and (BEGIN in c.source or kind == "code"):
            solutions.append(c)
    stubs = [c for c in student.cells if is_solution_cell(c)]
    assert len(stubs) == len(solutions)
    for stub in stubs:
        assert stub.outputs == [] and stub.execution_count is None
        assert "raise NotImplementedError(" in stub.source or stub.source.startswith(
            "# TODO"
        )
        body = re.findall(rf"{BEGIN}\n(.*?)\n\s*{END}", stub.source, re.S)
        assert all(len(b.splitlines()) == 2 and "# TODO" in b for b in body)
    checks_full = [
        c.source
        for c in full.cells
        if is_check_cell(c) and c not in _outside_hidden(full.cells)
    ]
    checks_student = [c for c in student.cells if is_check_cell(c)]
    assert [c.source for c in checks_student if c.source in checks_full] == checks_full
    assert all(
        c.outputs == [] and c.execution_count is None
        for c in checks_student
        if c.source in checks_full
    )
    nbformat.validate(student)


def test_write_student_edition_and_its_command(tmp_path, capsys):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    nbformat.write(small_chapter(), chapters / "09-small.ipynb")
    nbformat.write(notebook(md("# For instructors")), chapters / "appendix-x.ipynb")
    assert main([str(chapters), str(tmp_path / "student")]) == 0
    assert sorted(p.name for p in (tmp_path / "student").iterdir()) == [
        "09-small.ipynb",
        "manifest.json",
    ]
    assert "wrote" in capsys.readouterr().out
    written = nbformat.read(tmp_path / "student" / "09-small.ipynb", as_version=4)
    assert any("raise NotImplementedError" in c.source for c in written.cells)
    assert main([str(tmp_path / "nowhere"), str(tmp_path / "out")]) == 2
    assert "expected a folder of chapter notebooks" in capsys.readouterr().err
    bad = small_chapter()
    bad.cells[5].source = f"def f():\n    {BEGIN}\n    return 1"
    nbformat.write(bad, chapters / "09-small.ipynb")
    with pytest.raises(ValueError, match="09-small.ipynb: Exercise 9.1"):
        write_student_edition(chapters, tmp_path / "student")
