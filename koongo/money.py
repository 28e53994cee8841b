"""Money on the dashboard in its currency's minor units ("222.13 DKK", "1500 JPY"), never the database's "222.13000"."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()
# ISO 4217 currencies whose minor unit is not 2 decimals (Miinto's markets all use 2; stores may report others).
MINOR_UNITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}


def money_text(amount, currency: str = "") -> str:
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    places = MINOR_UNITS.get((currency or "").upper(), 2)
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded} {currency}".strip()


@register.filter
def money(amount, currency: str = "") -> str:
    """`{{ p.unit_price|money:p.currency }}`."""
    return money_text(amount, currency)
