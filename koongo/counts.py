"""Counters for page views that stop counting at a cap, so a page never counts a merchant's whole history."""

from __future__ import annotations

from django.db.models import QuerySet

CAP = 999


class BoundedCount(int):
    """An int that shows as "999+" once the count passed the cap (templates still compare it as a number)."""

    def __new__(cls, value: int, cap: int):
        count = super().__new__(cls, min(value, cap + 1))
        count.cap = cap
        return count

    @property
    def capped(self) -> bool:
        return int(self) > self.cap

    def __str__(self):
        return f"{self.cap}+" if self.capped else super().__str__()


def bounded_count(queryset: QuerySet, cap: int = CAP) -> BoundedCount:
    """COUNT over at most `cap + 1` rows: `SELECT COUNT(*) FROM (... LIMIT cap + 1)`."""
    return BoundedCount(queryset.order_by()[: cap + 1].count(), cap)
