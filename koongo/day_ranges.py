"""Calendar-day filters as half-open timestamp ranges in the merchant's time zone.

`created_at__date__gte=...` compiles to `(created_at AT TIME ZONE 'UTC')::date`, which no index serves, and it
counts days in UTC; `created_at >= local midnight` and `< the next local midnight` use the list's index and the
merchant's own days.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django_filters import rest_framework as filters

from koongo.accounts.tenancy import current_merchant


def merchant_zone(merchant=None) -> zoneinfo.ZoneInfo:
    merchant = merchant or current_merchant()
    try:
        return zoneinfo.ZoneInfo(merchant.timezone if merchant is not None else "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def day_start(day: date, zone) -> datetime:
    """Midnight at the start of `day` in `zone`, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=zone)


def parse_day(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def on_or_after(field: str, day, zone) -> Q:
    parsed = parse_day(day)
    return Q(**{f"{field}__gte": day_start(parsed, zone)}) if parsed else Q()


def on_or_before(field: str, day, zone) -> Q:
    parsed = parse_day(day)
    return Q(**{f"{field}__lt": day_start(parsed + timedelta(days=1), zone)}) if parsed else Q()


class FromDayFilter(filters.DateFilter):
    """`field >= ` the start of the day, in the scoped merchant's time zone."""

    def filter(self, qs, value):
        return qs.filter(on_or_after(self.field_name, value, merchant_zone())) if value else qs


class ToDayFilter(filters.DateFilter):
    """`field < ` the start of the next day, in the scoped merchant's time zone (the day itself included)."""

    def filter(self, qs, value):
        return qs.filter(on_or_before(self.field_name, value, merchant_zone())) if value else qs
