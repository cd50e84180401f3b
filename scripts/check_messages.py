"""Fail when the Chinese catalog has untranslated or fuzzy entries, or a stale .mo file."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[1] / "src" / "tousu" / "locale"


def main() -> int:
    problems = []
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/django.po")):
        po = polib.pofile(str(po_path))
        problems += [f"{po_path}: untranslated: {e.msgid!r}" for e in po.untranslated_entries()]
        problems += [f"{po_path}: fuzzy: {e.msgid!r}" for e in po.fuzzy_entries()]
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            problems.append(f"{mo_path}: missing (run make messages)")
            continue
        compiled = {
            (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(mo_path))
        }
        for entry in po.translated_entries():
            got = compiled.get((entry.msgctxt, entry.msgid))
            if got is None or (entry.msgstr or got[0]) != got[0]:
                problems.append(f"{mo_path}: stale for {entry.msgid!r} (run make messages)")
    for line in problems:
        print(line)
    print(f"translations: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
