"""The project's translation catalogues as the tests read them: locale/<language>/LC_MESSAGES/<domain>.po."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
DOMAINS = ("django", "djangojs")
SOURCE_LANGUAGE = "en"


@cache
def compile_messages():
    """scripts/compile_messages.py, the build's own compiler (a script, not a package: loaded from its path)."""
    path = Path(settings.BASE_DIR) / "scripts" / "compile_messages.py"
    spec = importlib.util.spec_from_file_location("compile_messages", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def translated_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE]


def po_path(language: str, domain: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def catalogue(language: str, domain: str) -> Catalog:
    with po_path(language, domain).open("rb") as po_file:
        return read_po(po_file, abort_invalid=True)
