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


# What a recorded call did, in the merchant's words: (HTTP method, a fragment of the path or the operation name) → label.
CALL_LABELS = [
    ("", "create_order", "Created the order in the store"),
    ("", "adjust_stock", "Lowered the store's stock"),
    ("POST", "/token", "Signed in to Miinto"),
    ("POST", "/auth", "Signed in to Miinto"),
    ("PATCH", "/transfers/", "Sent the decisions to Miinto"),
    ("GET", "/transfers/", "Read the transfer from Miinto"),
    ("GET", "/transfers", "Listed pending transfers in Miinto"),
    ("GET", "/orders/", "Read the order from Miinto"),
    ("POST", "/shipments", "Told Miinto about a shipment"),
    ("GET", "/labels", "Asked Miinto for the shipping label"),
    ("GET", "/productVariants", "Looked products up in the store"),
    ("POST", "/graphql", "Called the store's API"),
]


@register.filter
def call_label(entry) -> str:
    """A human label for one Communications entry; the raw operation stays next to it for support."""
    operation = entry.operation or ""
    method = (entry.method or operation.split(" ", 1)[0]).upper()
    for wanted_method, fragment, label in CALL_LABELS:
        if (not wanted_method or wanted_method == method) and fragment in operation:
            return label
    direction = {"to_miinto": "Call to Miinto", "to_store": "Call to the store"}.get(entry.direction, "Call")
    return f"{direction}: {method}" if method else direction
