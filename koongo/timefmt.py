"""Times on the dashboard: in the merchant's time zone (activated per request) and labelled with it, never raw ISO."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()
FORMAT = "Y-m-d H:i T"
SECONDS_FORMAT = "Y-m-d H:i:s T"


def _formatted(value, fallback: str, pattern: str) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return fallback
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return date_format(timezone.localtime(value), pattern)


@register.filter
def when(value, fallback: str = "—") -> str:
    """A datetime or an ISO 8601 string (e.g. `last_synced`) as `2026-12-05 18:59 CET` in the active time zone."""
    return _formatted(value, fallback, FORMAT)


@register.filter
def when_seconds(value, fallback: str = "—") -> str:
    """`when` to the second, for run timings and the activity log: `2026-12-05 18:59:02 CET`."""
    return _formatted(value, fallback, SECONDS_FORMAT)
