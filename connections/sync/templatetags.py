"""Template helpers for the sync pages: payload excerpts as indented JSON, run status badge colours."""

import json

import orjson
from django import template
from django.utils.translation import gettext_lazy as _

from connections.models import RunStatus

register = template.Library()

# Dates and dataclasses go through `default=str`, as they did with the standard library.
PRETTY = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

STATUS_BADGES = {
    RunStatus.QUEUED: "secondary",
    RunStatus.RUNNING: "primary",
    RunStatus.SUCCEEDED: "success",
    RunStatus.PARTIAL: "warning",
    RunStatus.FAILED: "danger",
}


@register.filter
def pretty_json(value) -> str:
    """Indented JSON for a <pre>; autoescaping still applies to the result.

    orjson writes the text of `json.dumps(indent=2, ensure_ascii=False, default=str)` (floats with an exponent aside,
    `1e16` for `1e+16`), where the standard library falls back to its pure-Python encoder whenever it indents: that was
    most of the activity log's time. What orjson refuses (an integer past 64 bits, say) goes through the standard library.
    """
    if value is None:
        return ""
    try:
        return orjson.dumps(value, default=str, option=PRETTY).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@register.filter
def run_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "secondary")


# What a recorded call did, in the merchant's words: (HTTP method, a fragment of the path or the operation name) → label.
CALL_LABELS = [
    ("", "create_order", _("Created the order in the store")),
    ("", "adjust_stock", _("Lowered the store's stock")),
    ("POST", "/token", _("Signed in to Miinto")),
    ("POST", "/auth", _("Signed in to Miinto")),
    ("PATCH", "/transfers/", _("Sent the decisions to Miinto")),
    ("GET", "/transfers/", _("Read the transfer from Miinto")),
    ("GET", "/transfers", _("Listed pending transfers in Miinto")),
    ("GET", "/orders/", _("Read the order from Miinto")),
    ("POST", "/shipments", _("Told Miinto about a shipment")),
    ("GET", "/labels", _("Asked Miinto for the shipping label")),
    ("GET", "/productVariants", _("Looked products up in the store")),
    ("POST", "/graphql", _("Called the store's API")),
]


# A call no label above matches, by direction; the HTTP method is added when known.
CALL = _("Call")
CALLS = {"to_miinto": _("Call to Miinto"), "to_store": _("Call to the store")}
CALL_WITH_METHOD = _("Call: %(method)s")
CALLS_WITH_METHOD = {"to_miinto": _("Call to Miinto: %(method)s"), "to_store": _("Call to the store: %(method)s")}


@register.filter
def call_label(entry) -> str:
    """A human label for one Communications entry; the raw operation stays next to it for support."""
    operation = entry.operation or ""
    method = (entry.method or operation.split(" ", 1)[0]).upper()
    for wanted_method, fragment, label in CALL_LABELS:
        if (not wanted_method or wanted_method == method) and fragment in operation:
            return str(label)
    if not method:
        return str(CALLS.get(entry.direction, CALL))
    return str(CALLS_WITH_METHOD.get(entry.direction, CALL_WITH_METHOD)) % {"method": method}


# What each counter counts, per flow, in the merchant's words; a counter a flow never fills is not shown.
COUNTER_LABELS = {
    "orders": {
        "seen": _("Transfers read"),
        "accepted": _("Positions accepted"),
        "declined": _("Positions declined"),
        "skipped": _("Transfers before the start date"),
        "failed": _("Transfers unreadable"),
    },
    "shipments": {
        "seen": _("Shipments found"),
        "pushed": _("Shipments sent to Miinto"),
        "skipped": _("Shipments of other channels"),
        "failed": _("Shipments failed"),
    },
    "labels": {
        "seen": _("Labels asked for"),
        "pushed": _("Labels saved and noted"),
        "skipped": _("Labels not ready yet"),
        "failed": _("Labels given up"),
    },
    "stock": {
        "seen": _("Stock levels sent"),
        "pushed": _("Taken by Miinto"),
        "skipped": _("Unchanged"),
        "failed": _("Unknown to Miinto"),
    },
    "catalog": {"seen": _("Products read")},
    "rma": {
        "seen": _("Returns read"),
        "pushed": _("Decisions sent to Miinto"),
        "skipped": _("Returns before the start date"),
        "failed": _("Returns unreadable"),
    },
    "refunds": {
        "seen": _("Store refunds read"),
        "accepted": _("Returns accepted by a refund"),
        "pushed": _("Sent to Miinto"),
        "skipped": _("Refunds already known"),
    },
}
# What the progress bar says (`seen` of `total`), per flow: one whole sentence each, so a translation can order it.
PROGRESS = {
    "stock": _("%(seen)s of %(total)s stock levels (%(percent)s%%)"),
    "labels": _("%(seen)s of %(total)s labels (%(percent)s%%)"),
    "catalog": _("%(seen)s of %(total)s products (%(percent)s%%)"),
    "orders": _("%(seen)s of %(total)s transfers (%(percent)s%%)"),
}
PROGRESS_ITEMS = _("%(seen)s of %(total)s items (%(percent)s%%)")


@register.filter
def run_counters(run) -> list[tuple[str, str, int]]:
    """(key, label, value) of the counters the run's flow fills, in display order."""
    labels = COUNTER_LABELS.get(run.flow, {})
    return [(name, labels[name], getattr(run, name)) for name in ("seen", "accepted", "declined", "pushed", "skipped", "failed") if name in labels]


@register.filter
def progress_text(run) -> str:
    return str(PROGRESS.get(run.flow, PROGRESS_ITEMS)) % {"seen": run.seen, "total": run.total, "percent": run.progress_percent}
