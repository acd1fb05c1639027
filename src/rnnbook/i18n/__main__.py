"""Command line of the translations: ``python -m rnnbook.i18n COMMAND LANG ...``.

check LANG [SOURCE ...]     list what is missing, stale or broken (exit 1 if any)
build LANG                  write LANG/chapters/*.ipynb, LANG/_index.qmd, ...
init LANG                   add every English unit the files lack (untranslated)
accept LANG SOURCE KEY ...  record that the translation of KEY follows the English
                            as it is now (after you updated the translated text)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import MissingTranslation, build
from .check import check
from .units import (
    load_translation,
    save_translation,
    source_files,
    translation_path,
    units_of,
)

ROOT = Path.cwd()


def _init(lang: str) -> int:
    added = 0
    for source in source_files(ROOT):
        path = translation_path(ROOT, lang, source)
        data = load_translation(path)
        old = data["units"]
        units = {}
        for unit in units_of(
            source
        ):  # English order; translated units kept as they are
            units[unit.key] = old.get(unit.key) or {
                "hash": unit.hash,
                "en": unit.text,
                lang: None,
            }
            added += unit.key not in old
        units.update({k: v for k, v in old.items() if k not in units})  # orphans stay
        data = {
            "source": source.relative_to(ROOT).as_posix(),
            "lang": lang,
            "units": units,
        }
        save_translation(path, data)
    print(f"added {added} untranslated units to i18n/{lang}/")
    return 0


def _accept(lang: str, source: str, keys: list[str]) -> int:
    path = translation_path(ROOT, lang, Path(source))
    data = load_translation(path)
    english = {u.key: u for u in units_of(ROOT / source)}
    for key in keys:
        if key not in english:
            print(f"{source} has no unit {key!r}", file=sys.stderr)
            return 2
        entry = data["units"].get(key) or {}
        if not entry.get(lang):
            print(f"{source} unit {key} has no {lang} text to accept", file=sys.stderr)
            return 2
        entry.update(hash=english[key].hash, en=english[key].text)
    save_translation(path, data)
    print(f"accepted {len(keys)} unit(s) of {path.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnbook.i18n")
    parser.add_argument("command", choices=["check", "build", "init", "accept"])
    parser.add_argument("lang", help="language code, e.g. es")
    parser.add_argument("rest", nargs="*", help="check: sources; accept: SOURCE KEY...")
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="build: use the English where a unit has no current translation",
    )
    parser.add_argument(
        "--text-only",
        action="store_true",
        help="check: the translation files only, not the built edition in LANG/",
    )
    args = parser.parse_intermixed_args(argv)
    if args.command == "init":
        return _init(args.lang)
    if args.command == "accept":
        if len(args.rest) < 2:
            parser.error("accept needs SOURCE and at least one KEY")
        return _accept(args.lang, args.rest[0], args.rest[1:])
    if args.command == "build":
        try:
            written = build(ROOT, args.lang, strict=not args.allow_missing)
        except MissingTranslation as err:
            print(f"cannot build the {args.lang} edition: {err}", file=sys.stderr)
            return 1
        print(f"wrote {len(written)} files into {args.lang}/")
        return 0
    sources = [Path(s).as_posix() for s in args.rest] or None
    problems = check(ROOT, args.lang, built=not args.text_only, sources=sources)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
