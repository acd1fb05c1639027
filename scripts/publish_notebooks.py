"""Quarto post-render step: publish each chapter's notebook next to the site.

Every chapter page links "Download the notebook" to ``notebooks/NN-name.ipynb`` on the
site itself (``filters/book.lua`` rewrites the link). This script puts the notebooks
there: the full site gets the chapters as they are in ``chapters/``; the student site
(profile ``student``) gets the student edition, made from the same chapters by
``rnnbook.edition``, so that the student site never serves a solution. The Spanish site
(profile ``es``) gets the Spanish notebooks of ``es/chapters/`` (``make es``), next to
its pages in ``es/notebooks/``, and the Spanish student site their student edition.

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
    out = out if out.is_absolute() else ROOT / out
    profiles = os.environ.get("QUARTO_PROFILE", "").split(",")
    source = ROOT / "es" / "chapters" if "es" in profiles else ROOT / "chapters"
    dest = out / "es" / "notebooks" if "es" in profiles else out / "notebooks"
    chapters = sorted(source.glob("*.ipynb"))
    dest.mkdir(parents=True, exist_ok=True)
    if "student" in profiles:
        sys.path.insert(0, str(ROOT / "src"))
        from rnnbook.edition import write_student_edition

        numbered = [p for p in chapters if p.name[:2].isdigit()]
        written = write_student_edition(notebooks=numbered, out_dir=dest)
    else:
        written = [Path(shutil.copy2(p, dest / p.name)) for p in chapters]
    shown = dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest
    print(f"published {len(written)} notebooks into {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
