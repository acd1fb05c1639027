"""Translated editions of the book, built from the English sources.

The English chapters are the only source of code, outputs and structure; a translation
holds text only, unit by unit, in ``i18n/<lang>/*.yml``, each unit with the hash of the
English it translates. ``python -m rnnbook.i18n build es`` (``make es``) writes the
Spanish notebooks into ``es/``; ``python -m rnnbook.i18n check es`` lists every unit
that is missing, stale, breaks the markup or the glossary. See ``i18n/README.md``.
"""

from .build import MissingTranslation, build
from .check import Problem, check
from .units import Unit, load_translation, save_translation, units_of

__all__ = [
    "MissingTranslation",
    "Problem",
    "Unit",
    "build",
    "check",
    "load_translation",
    "save_translation",
    "units_of",
]
