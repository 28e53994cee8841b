"""Times on the dashboard: in the merchant's time zone (activated per request) and labelled with it, never raw ISO."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()
FORMAT = "Y-m-d H:i T"


@register.filter
def when(value, fallback: str = "—") -> str:
    """A datetime or an ISO 8601 string (e.g. `last_synced`) as `2026-12-05 18:59 CET` in the active time zone."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return fallback
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return date_format(timezone.localtime(value), FORMAT)
