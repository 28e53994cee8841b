"""Decision reasons as the merchant reads them: the rule's codes get labels; anything a person typed is a note, and
is counted under "decided by hand" rather than becoming a category of its own."""

from __future__ import annotations

from collections import Counter

REASON_LABELS = {
    "accepted": "In stock, price above the threshold",
    "out_of_stock": "Out of stock",
    "price_below_threshold": "Price below the threshold",
    "product_not_found": "No matching store product",
    "no_reference_price": "No reference price",
    "currency_mismatch": "Currency differs from the store's",
    "decided_in_miinto": "Decided in Miinto",
    "manual_accept": "Decided by hand",
    "manual_decline": "Decided by hand",
}
BY_HAND = "Decided by hand"


def reason_label(reason: str) -> str:
    return REASON_LABELS.get(reason, BY_HAND)


def grouped_by_label(rows: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """(outcome, reason code, count) rows → (outcome, label, count), typed reasons folded into "Decided by hand"."""
    totals: Counter = Counter()
    for outcome, reason, count in rows:
        totals[(outcome, reason_label(reason))] += count
    return sorted(((outcome, label, n) for (outcome, label), n in totals.items()), key=lambda row: (row[0], -row[2], row[1]))
