"""Money goes through one filter (Babel's format_currency, in the active language's locale): no template prints a bare
number beside a currency code."""

import re
from decimal import Decimal
from pathlib import Path

from django.template import Context, Template
from django.utils import translation

from koongo.money import money_text

ROOT = Path(__file__).resolve().parents[2]


def test_the_locale_follows_the_active_language():
    with translation.override("de"):
        assert money_text(Decimal("1222.13000"), "DKK") == "1.222,13\xa0DKK"
    with translation.override("en"):
        assert money_text(Decimal("1222.13000"), "DKK") == "DKK1,222.13"


def test_the_filter_is_a_builtin():
    rendered = Template("{{ amount|money:currency }}").render(Context({"amount": Decimal("222.13000"), "currency": "SEK"}))
    assert rendered == '<span translate="no">SEK222.13</span>'  # data in the reader's locale, never translated


def test_no_template_prints_an_amount_beside_a_currency_code():
    """`{{ x.total }} {{ x.currency }}` would print the database's "222.13000 DKK": amounts go through `|money:`."""
    bare = re.compile(r"\{\{[^}|]*\}\}\s*\{\{\s*[\w.]*currency\s*\}\}")
    offenders = [
        f"{path.relative_to(ROOT)}: {match}"
        for path in ROOT.glob("*/templates/**/*.html")
        for match in bare.findall(path.read_text())
    ]
    assert offenders == []


def test_plain_number_drops_the_database_zeros():
    from koongo.money import plain_number

    assert [plain_number("0.9700"), plain_number(Decimal("1.0000")), plain_number(None)] == ["0.97", "1", "—"]
