"""Compile locale/*/LC_MESSAGES/*.po into the .mo files Django reads, with Babel: no GNU gettext on the machine.

`make install` and the image's build run it; the .mo files are build output, never committed (README: Languages).
Untranslated and fuzzy entries are left out, so Django falls back to the English text for them, as msgfmt does.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def compile_catalogue(po_path: Path) -> Path:
    """Write `po_path`'s .mo beside it, atomically (parallel test workers may compile at once)."""
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, abort_invalid=True)
    mo_path = po_path.with_suffix(".mo")
    fd, temporary = tempfile.mkstemp(dir=mo_path.parent, prefix=".", suffix=".mo")
    with os.fdopen(fd, "wb") as mo_file:
        write_mo(mo_file, catalog)
    os.replace(temporary, mo_path)
    return mo_path


def compile_all(locale_dir: Path = LOCALE_DIR, only_stale: bool = False) -> list[Path]:
    """Every catalogue under `locale_dir` (or only those whose .po is newer than their .mo); the .mo paths written."""
    written = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if only_stale and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        written.append(compile_catalogue(po_path))
    return written


if __name__ == "__main__":
    compiled = compile_all(only_stale="--stale" in sys.argv[1:])
    print(f"compiled {len(compiled)} catalogue(s) in {LOCALE_DIR}")
