"""Counters for page views that stop counting at a cap, so a page never counts a merchant's whole history."""

from __future__ import annotations

from django.db.models import QuerySet

CAP = 999


class BoundedCount(int):
    """An int that shows as "999+" once the count passed the cap (templates compare it as a number)."""

    capped: bool = False

    def __str__(self):
        return f"{CAP}+" if self.capped else super().__str__()


def bounded_count(queryset: QuerySet, cap: int = CAP) -> BoundedCount:
    """COUNT over at most `cap + 1` rows: `SELECT COUNT(*) FROM (... LIMIT cap + 1)`."""
    counted = queryset.order_by()[: cap + 1].count()
    result = BoundedCount(min(counted, cap + 1))
    result.capped = counted > cap
    return result
