"""Decision reasons as the merchant reads them: the rule's codes get labels; anything a person typed is a note, and
is counted under "decided by hand" rather than becoming a category of its own. Also why a position waits."""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext_lazy as _

# The codes stay as stored and sent; only these labels are translated.
REASON_LABELS = {
    "accepted": _("In stock, price above the threshold"),
    "out_of_stock": _("Out of stock"),
    "price_below_threshold": _("Price below the threshold"),
    "product_not_found": _("No matching store product"),
    "no_reference_price": _("No reference price"),
    "currency_mismatch": _("Currency differs from the store's"),
    "decided_in_miinto": _("Decided in Miinto"),
    "manual_accept": _("Decided by hand"),
    "manual_decline": _("Decided by hand"),
}
BY_HAND = _("Decided by hand")

WAIT_LABELS = {
    "": _("Auto-accept is off: decide by hand."),
    "currency_mismatch": _("Miinto's currency differs from the store price's; we never convert, so decide by hand."),
    "identification_mismatch": _(
        "No store product matches by the Product Identification Attribute: check it on the connection page."
    ),
    "product_not_found": _("No matching store product; the store look-up was inconclusive."),
    "stock_unconfirmed": _("The store's stock could not be read: the next run decides it."),
}


def reason_label(reason: str) -> str:
    return str(REASON_LABELS.get(reason, BY_HAND))


def coded_reason_label(reason: str) -> str:
    """The label of a rule's reason code, or "" when the reason is a note a person typed (shown as written)."""
    return str(REASON_LABELS[reason]) if reason in REASON_LABELS else ""


def wait_label(wait_reason: str) -> str:
    """Why a pending position waits, in words; an unknown code is shown as it is."""
    return str(WAIT_LABELS[wait_reason]) if wait_reason in WAIT_LABELS else wait_reason


def grouped_by_label(rows: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """(outcome, reason code, count) rows → (outcome, label, count), typed reasons folded into "Decided by hand"."""
    totals: Counter = Counter()
    for outcome, reason, count in rows:
        totals[(outcome, reason_label(reason))] += count
    return sorted(((outcome, label, n) for (outcome, label), n in totals.items()), key=lambda row: (row[0], -row[2], row[1]))
