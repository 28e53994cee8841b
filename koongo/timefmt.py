"""Times on the dashboard: in the merchant's time zone (activated per request) and labelled with it, never raw ISO."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

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


def when_text(value, fallback: str = "—") -> str:
    """A datetime or an ISO 8601 string (e.g. `last_synced`) as `2026-12-05 18:59 CET` in the active time zone."""
    return _formatted(value, fallback, FORMAT)


def when_seconds_text(value, fallback: str = "—") -> str:
    """`when_text` to the second, for run timings and the activity log: `2026-12-05 18:59:02 CET`."""
    return _formatted(value, fallback, SECONDS_FORMAT)


def _shown(text: str):
    """A formatted time is data, already in the reader's locale: no translation tool should touch it."""
    return format_html('<span translate="no">{}</span>', text)


@register.filter
def when(value, fallback: str = "—") -> str:
    """`{{ run.finished_at|when }}`: `when_text`, marked translate="no"."""
    return _shown(when_text(value, fallback))


@register.filter
def when_seconds(value, fallback: str = "—") -> str:
    """`{{ entry.created_at|when_seconds }}`: `when_seconds_text`, marked translate="no"."""
    return _shown(when_seconds_text(value, fallback))
