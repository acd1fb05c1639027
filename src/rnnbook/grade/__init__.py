"""Grade a class's notebooks against the assignment.

    python -m rnnbook.grade PATH... [--csv grades.csv] [--out DIR] [--jobs N]
        [--timeout S] [--notebook-timeout S] [--manual scores.csv]
        [--gradescope results.json] [--chapter N] [--manifest FILE] [--seed N]

Each PATH is a notebook or a folder of notebooks. The assignment is the manifest that
``make student`` writes (``student/manifest.json``; :mod:`rnnbook.grade.manifest`): for
every chapter its exercises, their points, which are auto-checked and which are graded
by hand, and a checksum of every check cell. Each submission

1. is compared with the manifest: an exercise that is missing scores 0 (the maximum
   stays), and the flags say so (``missing:2.4``), as they do for an edited check cell
   (``edited-check:2.1``), a notebook of another chapter (``other-chapter:...``, score
   0) and the full edition submitted as the student's work (``full-edition``, score 0);
2. runs in a fresh kernel (:mod:`rnnbook.grade.kernel`) in a temporary folder, from a
   process of its own (:mod:`rnnbook.grade.worker`; flag ``crashed`` if it is killed),
   all
   cells even after an error, each cell within ``--timeout`` seconds and the notebook
   within ``--notebook-timeout``: a cell past its limit is interrupted, and a kernel
   that ignores the interrupt is killed, restarted and the cells before replayed;
3. is graded by the grader itself (:mod:`rnnbook.grade.inkernel`): a fresh copy of
   ``rnnbook.checks`` loaded from the grader's files calls every checker of the
   manifest on the student's objects, on test cases drawn from the grader's seed, and
   the verdicts are taken from what the checkers report, never from printed lines; a
   notebook that replaced library code the checks rely on is flagged ``tampered`` and
   its auto-checked exercises fail.

Statuses: ``pass``, ``fail``, ``not attempted``, ``timeout``, ``missing`` and
``manual`` (graded by hand; ``--manual scores.csv`` merges the points given).
The outputs (:mod:`rnnbook.grade.report`): a summary table on stdout, the gradebook
CSV, a JSON report, per submission a JSON file and a feedback HTML page, Gradescope's
``results.json``. Exit code 0 once everything is graded (an unreadable notebook gets a
row with score 0 and its reason), 2 with one line on stderr for a usage error.

Introduced in the appendix "For instructors".
"""

from rnnbook.grade.core import (
    STATUSES,
    ItemResult,
    Limits,
    Submission,
    UnreadableNotebook,
    grade_submission,
    read_notebook,
)
from rnnbook.grade.manifest import build_manifest, load_manifest

__all__ = [
    "STATUSES",
    "ItemResult",
    "Limits",
    "Submission",
    "UnreadableNotebook",
    "build_manifest",
    "grade_submission",
    "load_manifest",
    "main",
    "read_notebook",
]


def main(argv=None) -> int:
    """The command line (``python -m rnnbook.grade``)."""
    from rnnbook.grade.cli import main as cli

    return cli(argv)
