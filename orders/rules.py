"""The auto-accept rule: a pure function from a position's facts to accept, decline or wait, with a reason.

Accept when the available stock covers the quantity and `unit price ≥ threshold × reference`; compare only in one
currency (we never convert), so a currency mismatch waits for a human. No I/O here; tested exhaustively.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from enum import StrEnum

RULE_VERSION = "2026.1"


class Outcome(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    WAIT = "wait"


class Reason(StrEnum):
    ACCEPTED = "accepted"
    OUT_OF_STOCK = "out_of_stock"
    PRICE_BELOW_THRESHOLD = "price_below_threshold"
    PRODUCT_NOT_FOUND = "product_not_found"
    NO_REFERENCE_PRICE = "no_reference_price"
    CURRENCY_MISMATCH = "currency_mismatch"


@dataclass(frozen=True)
class RuleInput:
    """Everything the rule looks at; stored with the decision so the merchant can always see why."""

    unit_price: Decimal
    currency: str
    quantity: int
    product_found: bool
    available_stock: int | None
    reference_price: Decimal | None
    reference_currency: str
    reference_source: str
    threshold: Decimal

    def as_record(self) -> dict:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()} | {"rule_version": RULE_VERSION}


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: Reason
    minimum_price: Decimal | None = None


def decide(facts: RuleInput) -> Verdict:
    """Apply the rule; the order of checks makes the most actionable reason win."""
    if not facts.product_found:
        return Verdict(Outcome.DECLINE, Reason.PRODUCT_NOT_FOUND)
    if facts.available_stock is None or facts.available_stock < facts.quantity:
        return Verdict(Outcome.DECLINE, Reason.OUT_OF_STOCK)
    if facts.reference_price is None:
        return Verdict(Outcome.DECLINE, Reason.NO_REFERENCE_PRICE)
    if facts.reference_currency.upper() != facts.currency.upper():
        return Verdict(Outcome.WAIT, Reason.CURRENCY_MISMATCH)
    minimum = facts.threshold * facts.reference_price
    if facts.unit_price < minimum:
        return Verdict(Outcome.DECLINE, Reason.PRICE_BELOW_THRESHOLD, minimum)
    return Verdict(Outcome.ACCEPT, Reason.ACCEPTED, minimum)
