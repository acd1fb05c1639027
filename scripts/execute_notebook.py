"""Execute chapter notebooks top to bottom in a fresh kernel and store their outputs.

    python scripts/execute_notebook.py chapters/01-sequential-data.ipynb [more ...]

This is how every stored output in ``chapters/`` is produced: one clean run, execution
counts 1, 2, 3, ..., the kernel started in the notebook's own folder (as nbval does),
and no timing or widget metadata that would change from run to run. nbval later re-runs
the notebook and compares against exactly these outputs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {
    "name": "python3",
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
}


def execute(path: Path, timeout: int = 600) -> float:
    """Run ``path`` in place; return the wall time in seconds. Raises on the first
    error.
    """
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata.pop("widgets", None)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("transient", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.exists():
            print(f"no such notebook: {path}", file=sys.stderr)
            return 2
        elapsed = execute(path, args.timeout)
        print(f"{path}: executed in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
