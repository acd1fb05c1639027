"""Every hand-written diagram in ``figures/`` is valid SVG with an accessible title.

The chapters include these files as images (``![...](../figures/name.svg)``); a browser
shows nothing for a file that is not well-formed XML, and a screen reader announces an
SVG by its ``<title>`` (and ``<desc>``, where there is one).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SVG_NS = "{http://www.w3.org/2000/svg}"
FIGURES = sorted((ROOT / "figures").glob("*.svg"))


def test_there_are_figures_to_check():
    assert FIGURES, "figures/ holds no .svg files"


@pytest.mark.parametrize("svg", FIGURES, ids=lambda p: p.name)
def test_svg_parses_and_has_a_title(svg):
    try:
        root = ET.parse(svg).getroot()
    except ET.ParseError as err:
        pytest.fail(f"{svg.name} is not well-formed XML: {err}")
    assert root.tag == f"{SVG_NS}svg", (
        f"{svg.name}: expected an <svg> root element in the SVG namespace "
        f'(xmlns="http://www.w3.org/2000/svg"), got <{root.tag}>'
    )
    title = root.find(f"{SVG_NS}title")
    assert title is not None, (
        f"{svg.name}: expected a <title> element as a direct child of <svg>, found none"
    )
    assert (title.text or "").strip(), f"{svg.name}: its <title> is empty"
