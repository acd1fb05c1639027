"""Render the book with Quarto, or say in one line how to read it without Quarto.

Called by `make book` after the environment is set up. Looks for `quarto` on the PATH or
inside the virtual environment; if there is none it tries `pip install quarto-cli`
(which downloads Quarto's binary from GitHub, so it only works online). Extra arguments
go to `quarto render` (for example `--profile student`). Without ``--to``, Quarto
renders every format of ``_quarto.yml``: the website and the PDF, which the site links
to. Quarto runs the post-render step (``scripts/publish_notebooks.py``) with this
Python. A render that fails half-way leaves no side files behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def find_quarto() -> str | None:
    return shutil.which("quarto") or shutil.which("quarto", path=str(VENV_BIN))


def try_install_quarto() -> str | None:
    print(
        "Quarto not found; trying `pip install quarto-cli` (needs internet access) ..."
    )
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "quarto-cli"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=600,
    )
    return find_quarto() if result.returncode == 0 else None


def remove_leftovers() -> None:
    """What a render stopped half-way leaves next to the sources."""
    for pattern in (
        "chapters/*_files",
        "es/chapters/*_files",
        "index_files",
        "*.typ",
        "chapters/*.typ",
        "es/chapters/*.typ",
    ):
        for path in ROOT.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    for path in ROOT.glob("**/*.quarto_ipynb"):
        path.unlink(missing_ok=True)


def split_profiles(argv: list[str]) -> tuple[list[str], list[str]]:
    """The arguments without ``--profile``, and the profiles they named, in order."""
    rest, profiles = [], []
    args = iter(argv)
    for arg in args:
        if arg == "--profile":
            profiles += next(args, "").split(",")
        elif arg.startswith("--profile="):
            profiles += arg.split("=", 1)[1].split(",")
        else:
            rest.append(arg)
    return rest, [p for p in profiles if p]


def main(argv: list[str]) -> int:
    quarto = find_quarto() or (
        None if os.environ.get("RNNBOOK_NO_QUARTO_INSTALL") else try_install_quarto()
    )
    if quarto is None:
        print(
            "Quarto is not available here: install it from "
            "https://quarto.org/docs/get-started/ "
            "(or `pip install quarto-cli` online) and run `make book` again, or read "
            "the chapters "
            "now with `make lab` (JupyterLab on chapters/)."
        )
        return 0
    argv, profiles = split_profiles(argv)
    if "es" in profiles:
        if not (ROOT / "es" / "chapters").is_dir():
            print("The Spanish edition is not built: run `make es` first.")
            return 2
        if "student" in profiles and "es-student" not in profiles:
            # the Spanish student site's own profile first: where profiles disagree
            # (output folder, subtitle) the first one listed wins
            profiles = ["es-student", "es", "student"]
    if profiles:
        argv = [*argv, "--profile", ",".join(profiles)]
    shown = f" --profile {','.join(profiles)}" if profiles else ""
    print(f"Rendering the book with {quarto}{shown} ...")
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    code = subprocess.call([quarto, "render", *argv], cwd=ROOT, env=env)
    if code != 0:
        remove_leftovers()
    else:
        out = "_book"
        if "--output-dir" in argv:
            out = argv[argv.index("--output-dir") + 1]
        elif "es-student" in profiles:
            out = "_book-es-student"
        elif "es" in profiles:
            out = "_book-es"
        elif "student" in profiles:
            out = "_book-student"
        print(f"Done: open {ROOT / out / 'index.html'} in a browser.")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
