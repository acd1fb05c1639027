"""Quarto post-render step: publish each chapter's notebook next to the site.

Every chapter page links "Download the notebook" to ``notebooks/NN-name.ipynb`` on the
site itself (``filters/book.lua`` rewrites the link). This script puts the notebooks
there: the full site gets the chapters as they are in ``chapters/``; the student site
(profile ``student``) gets the student edition, made from the same chapters by
``rnnbook.edition``, so that the student site never serves a solution.

Quarto runs it after every render (``post-render`` in ``_quarto.yml``) with the Python
that ``QUARTO_PYTHON`` names, from the project's root folder.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    out = Path(os.environ.get("QUARTO_PROJECT_OUTPUT_DIR", "_book"))
    dest = (out if out.is_absolute() else ROOT / out) / "notebooks"
    profiles = os.environ.get("QUARTO_PROFILE", "").split(",")
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    dest.mkdir(parents=True, exist_ok=True)
    if "student" in profiles:
        sys.path.insert(0, str(ROOT / "src"))
        from rnnbook.edition import write_student_edition

        numbered = [p for p in chapters if p.name[:2].isdigit()]
        written = write_student_edition(notebooks=numbered, out_dir=dest)
    else:
        written = [Path(shutil.copy2(p, dest / p.name)) for p in chapters]
    print(f"published {len(written)} notebooks into {dest.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
