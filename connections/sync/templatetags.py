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


# What each counter counts, per flow, in the merchant's words; a counter a flow never fills is not shown.
COUNTER_LABELS = {
    "orders": {
        "seen": "Transfers read",
        "accepted": "Positions accepted",
        "declined": "Positions declined",
        "skipped": "Transfers before the start date",
        "failed": "Transfers unreadable",
    },
    "shipments": {
        "seen": "Shipments found",
        "pushed": "Shipments sent to Miinto",
        "skipped": "Shipments of other channels",
        "failed": "Shipments failed",
    },
    "labels": {
        "seen": "Labels asked for",
        "pushed": "Labels saved and noted",
        "skipped": "Labels not ready yet",
        "failed": "Labels given up",
    },
    "stock": {
        "seen": "Stock levels sent",
        "pushed": "Taken by Miinto",
        "skipped": "Unchanged",
        "failed": "Unknown to Miinto",
    },
    "catalog": {"seen": "Products read"},
    "rma": {
        "seen": "Returns read",
        "pushed": "Decisions sent to Miinto",
        "skipped": "Returns before the start date",
        "failed": "Returns unreadable",
    },
    "refunds": {
        "seen": "Store refunds read",
        "accepted": "Returns accepted by a refund",
        "pushed": "Sent to Miinto",
        "skipped": "Refunds already known",
    },
}
# What the progress bar counts (`seen` of `total`), per flow.
PROGRESS_NOUNS = {"stock": "stock levels", "labels": "labels", "catalog": "products", "orders": "transfers"}


@register.filter
def run_counters(run) -> list[tuple[str, str, int]]:
    """(key, label, value) of the counters the run's flow fills, in display order."""
    labels = COUNTER_LABELS.get(run.flow, {})
    return [(name, labels[name], getattr(run, name)) for name in ("seen", "accepted", "declined", "pushed", "skipped", "failed") if name in labels]


@register.filter
def progress_noun(run) -> str:
    return PROGRESS_NOUNS.get(run.flow, "items")
