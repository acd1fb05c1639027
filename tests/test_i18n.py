"""The Spanish edition follows the English one: every unit translated from the English
as it is now (hash), with the same markup, the glossary's terms, and notebooks whose
code cells and outputs are the English ones. Also the machinery's own behaviour: a
changed English cell fails naming the cell, with a diff of the English.
"""

from __future__ import annotations

import copy
import shutil

import nbformat
import pytest
import yaml
from booktools import ROOT, flatten

from rnnbook.i18n import build, check
from rnnbook.i18n.invariants import (
    Term,
    glossary_misses,
    markup_differences,
    read_glossary,
)
from rnnbook.i18n.units import (
    load_translation,
    save_translation,
    source_files,
    text_hash,
    translation_path,
    units_of,
)

LANG = "es"
SOURCES = [p.relative_to(ROOT).as_posix() for p in source_files(ROOT)]
ENGLISH = sorted((ROOT / "chapters").glob("*.ipynb"))


# --- the book's translation -----------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_every_unit_is_translated_current_and_keeps_the_markup(source):
    problems = check(ROOT, LANG, built=True, sources=[source])
    shown = "\n".join(str(p) for p in problems[:15])
    more = f"\n... and {len(problems) - 15} more" if len(problems) > 15 else ""
    assert not problems, (
        f"{len(problems)} problem(s) in the Spanish translation of {source} "
        f"(i18n/{LANG}/, see i18n/README.md):\n{shown}{more}"
    )


def test_translation_files_record_the_english_they_translate():
    for source in source_files(ROOT):
        data = load_translation(translation_path(ROOT, LANG, source))
        assert data["source"] == source.relative_to(ROOT).as_posix()
        for key, entry in data["units"].items():
            assert entry["hash"] == text_hash(entry["en"]), (
                f"{source.name} unit {key}: its hash is not the hash of its `en` text"
            )


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.name)
def test_spanish_notebooks_have_the_english_code_and_outputs(english):
    spanish = ROOT / LANG / "chapters" / english.name
    assert spanish.exists(), f"{spanish.relative_to(ROOT)} is missing: run `make es`"
    en = nbformat.read(english, as_version=4)
    es = nbformat.read(spanish, as_version=4)
    assert [c.id for c in es.cells] == [c.id for c in en.cells]
    for a, b in zip(en.cells, es.cells):
        assert a.cell_type == b.cell_type and a.metadata == b.metadata, a.id
        if a.cell_type != "code":
            continue

        def code(cell):
            return [
                line
                for line in cell.source.splitlines()
                if not line.startswith(("#| fig-cap:", "#| fig-alt:", "#| tbl-cap:"))
            ]

        assert code(a) == code(b), f"{english.name} cell {a.id}: the code differs"
        assert a.outputs == b.outputs, f"{english.name} cell {a.id}: outputs differ"
        assert a.get("execution_count") == b.get("execution_count")
    assert es.metadata["rnnbook"]["translation"] == {
        "lang": LANG,
        "of": f"chapters/{english.name}",
    }


def test_the_glossary_fixes_the_lectures_terms():
    terms = {t.english: t.translation for t in read_glossary(_glossary())}
    assert terms["forget gate"] == "compuerta de olvido"
    assert terms["hidden state"] == "estado oculto"
    assert terms["backpropagation through time"] == (
        "retropropagación a través del tiempo"
    )
    assert len(terms) >= 50


def test_the_spanish_profile_lists_the_english_chapters():
    en = yaml.safe_load((ROOT / "_quarto-en.yml").read_text())["book"]
    es_cfg = yaml.safe_load((ROOT / "_quarto-es.yml").read_text())
    es = es_cfg["book"]

    english = flatten(en["chapters"]) + en["appendices"]
    spanish = flatten(es["chapters"]) + es["appendices"]
    wanted = [
        f if f == "index.qmd" else f"{LANG}/{f}" for f in english
    ]  # index.qmd holds both languages
    assert spanish == wanted
    assert len(es["chapters"]) == len(en["chapters"]), "the same parts"
    assert es_cfg["lang"].startswith("es") and es_cfg["project"]["output-dir"] not in (
        "_book",
        "_book-student",
    )
    main = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    assert main["profile"]["group"] == [["en", "es"]]


def test_the_preface_shows_the_spanish_text_under_the_spanish_profile():
    index = (ROOT / "index.qmd").read_text()
    assert '::: {.content-visible when-profile="es"}' in index
    assert "{{< include es/_index.qmd >}}" in index
    assert (ROOT / LANG / "_index.qmd").exists()


# --- the machinery, on a copy of one chapter ------------------------------------------


def _glossary():
    return ROOT / "i18n" / LANG / "glossary.md"


@pytest.fixture
def book(tmp_path):
    """A copy of the preface, chapter 1 and the references, their translations and
    their Spanish edition."""
    for rel in ["index.qmd", "references.qmd", "chapters/01-sequential-data.ipynb"]:
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
        name = f"{target.stem}.yml"
        (tmp_path / "i18n" / LANG).mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "i18n" / LANG / name, tmp_path / "i18n" / LANG / name)
    shutil.copy2(_glossary(), tmp_path / "i18n" / LANG / "glossary.md")
    build(tmp_path, LANG)
    assert check(tmp_path, LANG) == []
    return tmp_path


def _edit_english(book, index, change):
    path = book / "chapters" / "01-sequential-data.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = [c for c in nb.cells if c.cell_type == "markdown"][index]
    cell.source = change(cell.source)
    nbformat.write(nb, path)
    return cell.id


def test_a_changed_english_cell_fails_naming_the_cell_with_a_diff(book):
    cell = _edit_english(book, 2, lambda s: s + "\nA new English sentence.")
    problems = check(book, LANG)
    stale = [p for p in problems if p.kind == "stale"]
    assert [p.key for p in stale] == [cell]
    assert "+A new English sentence." in str(stale[0]) and cell in str(stale[0])
    assert "accept es chapters/01-sequential-data.ipynb " + cell in str(stale[0])


def test_accepting_an_updated_translation_clears_it(book, monkeypatch):
    from rnnbook.i18n import __main__ as cli

    cell = _edit_english(book, 2, lambda s: s + "\nA new English sentence.")
    path = book / "i18n" / LANG / "01-sequential-data.yml"
    data = load_translation(path)
    data["units"][cell][LANG] += "\nUna nueva oración en español."
    save_translation(path, data)
    monkeypatch.setattr(cli, "ROOT", book)
    assert cli.main(["accept", LANG, "chapters/01-sequential-data.ipynb", cell]) == 0
    assert cli.main(["build", LANG]) == 0
    assert check(book, LANG) == []


def test_a_new_cell_is_missing_and_a_deleted_one_an_orphan(book):
    path = book / "chapters" / "01-sequential-data.ipynb"
    nb = nbformat.read(path, as_version=4)
    gone = nb.cells.pop(2).id
    nb.cells.insert(2, nbformat.v4.new_markdown_cell("A brand new cell.", id="new1"))
    nbformat.write(nb, path)
    kinds = {(p.kind, p.key) for p in check(book, LANG)}
    assert ("missing", "new1") in kinds and ("orphan", gone) in kinds


def test_a_translation_that_changes_math_or_a_reference_fails(book):
    path = book / "i18n" / LANG / "01-sequential-data.yml"
    data = load_translation(path)
    key = next(
        k
        for k, v in data["units"].items()
        if "$" in v["en"] and "@sec-" in v["en"] and "/" not in k
    )
    broken = copy.deepcopy(data)
    text = broken["units"][key][LANG]
    ref = text[text.index("@sec-") :].split()[0].rstrip(".,;:)")
    broken["units"][key][LANG] = text.replace("$", "", 2).replace(ref, "@sec-nowhere")
    save_translation(path, broken)
    found = [str(p) for p in check(book, LANG, built=False) if p.key == key]
    assert any("inline math differ" in p for p in found), found
    assert any("cross-references differ" in p and "sec-nowhere" in p for p in found)


def test_a_glossary_term_translated_otherwise_fails(book):
    path = book / "i18n" / LANG / "01-sequential-data.yml"
    data = load_translation(path)
    key = next(
        k
        for k, v in data["units"].items()
        if "hidden state" in v["en"] and "estado oculto" in v[LANG]
    )
    data["units"][key][LANG] = data["units"][key][LANG].replace(
        "estado oculto", "estado escondido"
    )
    save_translation(path, data)
    found = [p for p in check(book, LANG, built=False) if p.kind == "glossary"]
    assert [p.key for p in found] == [key] and "hidden state" in found[0].message


def test_a_spanish_notebook_whose_code_was_edited_fails(book):
    path = book / LANG / "chapters" / "01-sequential-data.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.source += "\nprint('edited by hand')"
    nbformat.write(nb, path)
    problems = check(book, LANG)
    assert [(p.kind, p.key) for p in problems] == [("edition", cell.id)]
    assert "code or outputs" in problems[0].message


def test_the_build_refuses_a_stale_translation_unless_allowed(book):
    from rnnbook.i18n import MissingTranslation

    cell = _edit_english(book, 3, lambda s: s.replace("the", "a", 1))
    with pytest.raises(MissingTranslation, match=cell):
        build(book, LANG)
    build(book, LANG, strict=False)  # the English where the Spanish is stale
    nb = nbformat.read(book / LANG / "chapters" / "01-sequential-data.ipynb", 4)
    english = nbformat.read(book / "chapters" / "01-sequential-data.ipynb", 4)
    assert (
        next(c for c in nb.cells if c.id == cell).source
        == next(c for c in english.cells if c.id == cell).source
    )


def test_links_point_to_the_translated_notebook_and_figures(book):
    nb = nbformat.read(book / LANG / "chapters" / "01-sequential-data.ipynb", 4)
    first = nb.cells[0].source
    assert "/main/es/chapters/01-sequential-data.ipynb" in first
    assert "/main/chapters/" not in first
    assert "Descargar el cuaderno" in first


# --- the invariants and the glossary, on small texts ----------------------------------


@pytest.mark.parametrize(
    "english, spanish, kind",
    [
        ("See `f(x)` here.", "Mira `g(x)` aquí.", "code spans"),
        ("As in [@elman1990].", "Como en [@jordan1986].", "citations"),
        ("See @fig-a.", "Mira la figura.", "cross-references"),
        ("## Title {#sec-a}", "## Título {#sec-b}", "labels"),
        ("[link](https://a.org)", "[enlace](https://b.org)", "link targets"),
        (
            '::: {.content-hidden when-profile="student"}\nx\n:::',
            "::: {.content-hidden}\nx\n:::",
            "fenced divs",
        ),
        (
            "### Exercise 2.3 (★★☆, 20 min): T",
            "### Ejercicio 2.3 (★☆☆, 20 min): T",
            "exercise headings",
        ),
        ("$$\na = b\n$$ {#eq-a}", "$$\na = c\n$$ {#eq-a}", "display math"),
        ("```python\nx = 1\n```", "```python\nx = 2\n```", "code blocks"),
        ("## A", "### A", "heading levels"),
    ],
)
def test_markup_differences_are_named(english, spanish, kind):
    found = markup_differences(english, spanish)
    assert any(f.startswith(kind) for f in found), found


def test_identical_markup_passes():
    english = (
        "### Exercise 2.3 (★★☆, 20 min): Images\n\nSee @fig-a, $x_t$ and `f` "
        "[@le2015; @elman1990], and [this](https://x.org).\n\n::: {.callout-tip}\n:::"
    )
    spanish = (
        "### Ejercicio 2.3 (★★☆, 20 min): Imágenes\n\nMira @fig-a, $x_t$ y `f` "
        "[@le2015; @elman1990], y [esto](https://x.org).\n\n::: {.callout-tip}\n:::"
    )
    assert markup_differences(english, spanish) == []


@pytest.mark.parametrize(
    "term, english, spanish, missed",
    [
        (
            Term("hidden state", "estado oculto"),
            "the hidden states",
            "los estados ocultos",
            False,
        ),
        (
            Term("hidden state", "estado oculto"),
            "the hidden state",
            "el estado escondido",
            True,
        ),
        (
            Term("backpropagation", "retropropagación"),
            "Backpropagation",
            "RETROPROPAGACION",
            False,
        ),
        (Term("unroll*", "desenroll*"), "unrolled", "desenrollada", False),
        (Term("greedy", "voraz, voraces"), "greedy samples", "muestras voraces", False),
        (Term("gate", "compuerta"), "`gate` in code", "`gate` en código", False),
        (Term("step", "paso"), "a stepwise look", "una mirada", False),
    ],
)
def test_glossary_terms_match_plurals_accents_stems_and_skip_code(
    term, english, spanish, missed
):
    assert bool(glossary_misses([term], english, spanish)) is missed


def test_a_glossary_without_its_table_is_refused(tmp_path):
    path = tmp_path / "glossary.md"
    path.write_text("# Glosario\n\nNada.\n")
    with pytest.raises(ValueError, match="expected a table"):
        read_glossary(path)


def test_units_of_a_notebook_and_a_page():
    units = units_of(ROOT / "chapters" / "02-vanilla-rnn.ipynb")
    kinds = {u.kind for u in units}
    assert {"markdown", "fig-cap", "fig-alt"} <= kinds
    assert len({u.key for u in units}) == len(units)
    page = units_of(ROOT / "index.qmd")
    assert page[0].key == "preface" and page[0].text.startswith("# Preface")
    assert not any("BEGIN ENGLISH" in u.text or "END ENGLISH" in u.text for u in page)
    with pytest.raises(ValueError, match="expected a .ipynb or .qmd"):
        units_of(ROOT / "README.md")


def test_the_spanish_student_edition_has_the_english_assignment(tmp_path):
    """Exercise ids, points, kinds, checks and check cells are the same in both
    languages, so one manifest grades either edition (test_grade.py grades one)."""
    import json

    from rnnbook.edition import write_student_edition

    def manifest(chapters, out):
        write_student_edition(chapters, out)
        data = json.loads((out / "manifest.json").read_text())
        keys = ("id", "kind", "grading", "points", "checks", "check_cells", "solutions")
        return [
            (c["name"], [tuple(str(e.get(k)) for k in keys) for e in c["exercises"]])
            for c in data["chapters"]
        ]

    english = manifest(ROOT / "chapters", tmp_path / "en")
    assert english == manifest(ROOT / LANG / "chapters", tmp_path / "es")
    assert sum(len(exercises) for _, exercises in english) >= 60
    assert sum(e[5] != "None" for _, exercises in english for e in exercises) >= 30
    spanish = nbformat.read(tmp_path / "es" / "02-vanilla-rnn.ipynb", as_version=4)
    assert (
        spanish.cells[0].source.splitlines()[-1].startswith("Edición para estudiantes")
    )
    answers = [
        c.source for c in spanish.cells if "answer" in c.metadata.get("rnnbook", {})
    ]
    assert answers and all(a.startswith("**Tu respuesta") for a in answers)
