"""What a message reads like in a given language, for tests that check who got which."""

from __future__ import annotations

from django.utils import translation


def in_language(language: str, text: str, **values) -> str:
    """`text` as gettext gives it in `language`, filled with `values`."""
    with translation.override(language):
        return translation.gettext(text) % values
