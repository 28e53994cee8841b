"""Pure matching of a store refund against the pending RMAs of its order: the same items, partly the same, or none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

Quantities = Mapping[int, int]  # order position id -> quantity


class MatchKind(StrEnum):
    EXACT = "exact"  # one pending RMA holds exactly the refunded items and quantities: the refund accepts it
    PARTIAL = "partial"  # some items overlap but none is the same: a human decides
    NONE = "none"  # no pending RMA shares an item: the refund becomes an RMA request
    UNKNOWN_ITEMS = "unknown_items"  # the refund names no items we can tell, or items not on the order: a human decides


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    rma_ids: tuple[int, ...] = ()


def match_refund(refund: Quantities | None, pending: Sequence[tuple[int, Quantities]], *, item_level: bool = True) -> Match:
    """Classify a refund's {position: quantity} against pending RMAs given as (rma id, {position: quantity}).

    The seed's rule: a refund accepts an RMA only when both hold the same order items. A refund without item detail
    (the store records no lines) never accepts an RMA on a guess: with a pending RMA on the order it is PARTIAL.
    """
    if not refund:
        return Match(MatchKind.UNKNOWN_ITEMS)
    if not item_level:
        return Match(MatchKind.PARTIAL, tuple(rma_id for rma_id, _ in pending)) if pending else Match(MatchKind.NONE)
    wanted = {position: quantity for position, quantity in refund.items() if quantity}
    for rma_id, quantities in pending:
        if dict(quantities) == wanted:
            return Match(MatchKind.EXACT, (rma_id,))
    overlapping = tuple(rma_id for rma_id, quantities in pending if set(quantities) & set(wanted))
    if overlapping:
        return Match(MatchKind.PARTIAL, overlapping)
    return Match(MatchKind.NONE)
