"""Money on the dashboard in its currency's decimals ("DKK222.13", "¥1,500"), never the database's "222.13000"."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import UnknownCurrencyError, format_currency, format_decimal
from django import template
from django.utils import translation
from django.utils.html import format_html

register = template.Library()
FALLBACK_LOCALE = "en"


def current_locale() -> Locale:
    """The Babel locale of the active Django language: the one place a per-user locale will plug in."""
    return _locale(translation.get_language() or FALLBACK_LOCALE)


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    # Parsed once per language: a page formats dozens of times and money, each of which asked for its locale.
    try:
        return Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK_LOCALE)


def money_text(amount, currency: str = "") -> str:
    """`amount` formatted for `currency` (its ISO 4217 decimals, rounded half up); "—" when there is no amount."""
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    locale = current_locale()
    code = (currency or "").strip().upper()
    # Babel rounds with the decimal context; money rounds half up (2.005 EUR is 2.01, not banker's 2.00).
    with localcontext(rounding=ROUND_HALF_UP):
        if not code:
            # No currency known (an old row, a store that never said): a number, never with the database's zeros.
            return format_decimal(value, format="#,##0.00", locale=locale)
        try:
            return format_currency(value, code, locale=locale)
        except UnknownCurrencyError:
            return f"{format_decimal(value, format='#,##0.00', locale=locale)} {code}"


@register.filter
def money(amount, currency: str = "") -> str:
    """`{{ p.unit_price|money:p.currency }}`: data in the reader's locale, marked so no translation tool touches it."""
    return format_html('<span translate="no">{}</span>', money_text(amount, currency))


@register.filter
def plain_number(value) -> str:
    """A ratio or factor without the database's trailing zeros: "0.9700" → "0.97", "1.0000" → "1"."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value) if value not in (None, "") else "—"
    return f"{number.normalize():f}"
