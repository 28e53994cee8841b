"""The auto-accept price threshold's one rule, shared by the form and the API: greater than 0, at most 2, at most 4
decimals; each refusal says which of these the value broke."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

THRESHOLD_DECIMALS = 4
NOT_A_NUMBER = _("Enter the threshold as a number, e.g. 0.97.")
OUT_OF_RANGE = _("Enter a threshold greater than 0 and at most 2, e.g. 0.97.")
TOO_PRECISE = _("Use at most %(decimals)s decimals, e.g. 0.9725.")
ERROR_MESSAGES = {"invalid": NOT_A_NUMBER}


def threshold_error(value: Decimal | None) -> str | None:
    """Why `value` is not a valid threshold, or None; range first (the more useful message), then precision."""
    if value is None or not value.is_finite():
        return NOT_A_NUMBER
    if not (Decimal("0") < value <= Decimal("2")):
        return OUT_OF_RANGE
    if value.as_tuple().exponent < -THRESHOLD_DECIMALS and value != round(value, THRESHOLD_DECIMALS):
        return TOO_PRECISE % {"decimals": THRESHOLD_DECIMALS}
    return None


def normalized(value: Decimal) -> Decimal:
    """A valid threshold with exactly the stored 4 decimals (0.97250 → 0.9725)."""
    return value.quantize(Decimal(1).scaleb(-THRESHOLD_DECIMALS))
