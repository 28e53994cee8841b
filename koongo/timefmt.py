"""Times on the dashboard: in the merchant's time zone (activated per request) and labelled with it, never raw ISO.

English keeps the sortable `2026-12-05 18:59 CET`; every other language writes the locale's short date and time
(Babel, CLDR): Danish `05.12.2026 18.59 CET`, German `05.12.26, 18:59 CET`. The zone label stays in every language.
"""

from __future__ import annotations

from datetime import UTC, datetime

from babel.dates import format_date, format_time, get_datetime_format
from django import template
from django.utils import timezone
from django.utils.html import format_html

from koongo.money import current_locale

register = template.Library()
# English's sortable form as strftime patterns: a tenth of the cost of Django's `date` format, 50 times on a page.
FORMAT = "%Y-%m-%d %H:%M"
SECONDS_FORMAT = "%Y-%m-%d %H:%M:%S"


def _formatted(value, fallback: str, pattern: str, time_length: str = "short") -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return fallback
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    local = timezone.localtime(value)
    zone = local.tzname() or local.strftime("%z")  # the zone's abbreviation ("CET"), or its offset where it has none
    locale = current_locale()
    if locale.language == "en":
        return f"{local.strftime(pattern)} {zone}"
    # The locale's own date-time joint ("{1} {0}" in Danish, "{1}, {0}" in German), as Babel's format_datetime joins.
    joint = str(get_datetime_format("short", locale=locale)).replace("'", "")
    date = format_date(local, "short", locale=locale)
    clock = format_time(local, time_length, tzinfo=local.tzinfo, locale=locale)
    return f"{joint.replace('{0}', clock).replace('{1}', date)} {zone}"


def when_text(value, fallback: str = "—") -> str:
    """A datetime or an ISO 8601 string (e.g. `last_synced`) as `2026-12-05 18:59 CET` in the active time zone."""
    return _formatted(value, fallback, FORMAT)


def when_seconds_text(value, fallback: str = "—") -> str:
    """`when_text` to the second, for run timings and the activity log: `2026-12-05 18:59:02 CET`."""
    return _formatted(value, fallback, SECONDS_FORMAT, time_length="medium")


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
