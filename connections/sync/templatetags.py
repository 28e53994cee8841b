"""Template helpers for the sync pages: payload excerpts as indented JSON, run status badge colours."""

import json

from django import template

from connections.models import RunStatus

register = template.Library()

STATUS_BADGES = {
    RunStatus.QUEUED: "secondary",
    RunStatus.RUNNING: "primary",
    RunStatus.SUCCEEDED: "success",
    RunStatus.PARTIAL: "warning",
    RunStatus.FAILED: "danger",
}


@register.filter
def pretty_json(value) -> str:
    """Indented JSON for a <pre>; autoescaping still applies to the result."""
    if value is None:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@register.filter
def run_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "secondary")
