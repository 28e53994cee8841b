"""What happened to the store's stock for a Stock only order, line by line, in the merchant's words."""

from __future__ import annotations

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from connections.models import OutboxState
from orders.models import Order, StorePush, StorePushKind

LOWERED = ("applied", "already_applied")

# Whole sentences (never glued fragments), one per outcome or push state, so each language words them its own way.
NOT_LOWERED = {
    "ambiguous": _("position %(position)s (%(item)s), SKU %(sku)s: stock may or may not have been lowered; check the store's stock"),
    "failed": _("position %(position)s (%(item)s), SKU %(sku)s: stock was not lowered"),
    "": _("position %(position)s (%(item)s), SKU %(sku)s: stock has no recorded outcome"),
}
UNMATCHED = _("position %(position)s (%(item)s) matches no store product: its stock was not lowered")
NOT_QUEUED = _("Stock not lowered in the store yet: the store update is not queued.")
WAITING = {
    OutboxState.PENDING: _("Stock not lowered in the store yet for %(total)s of %(total)s line(s) (is queued)."),
    OutboxState.IN_FLIGHT: _("Stock not lowered in the store yet for %(total)s of %(total)s line(s) (is being sent now)."),
    OutboxState.FAILED: _("Stock not lowered in the store yet for %(total)s of %(total)s line(s) (failed and will be retried)."),
    OutboxState.DEAD: _(
        "Stock not lowered in the store yet for %(total)s of %(total)s line(s) (failed: retry it from Problems once the cause is fixed)."
    ),
}
LOWERED_SO_FAR = {
    OutboxState.DONE: _("Stock lowered in the store for %(lowered)s of %(total)s line(s)."),
    OutboxState.PENDING: _("Stock lowered in the store for %(lowered)s of %(total)s line(s); the store update is queued."),
    OutboxState.IN_FLIGHT: _("Stock lowered in the store for %(lowered)s of %(total)s line(s); the store update is being sent now."),
    OutboxState.FAILED: _("Stock lowered in the store for %(lowered)s of %(total)s line(s); the store update failed and will be retried."),
    OutboxState.DEAD: _(
        "Stock lowered in the store for %(lowered)s of %(total)s line(s); the store update failed: retry it from Problems once the cause is fixed."
    ),
}


def _sentence(message, **values) -> SafeString:
    """The translated `message` with its values escaped; store data (titles, SKUs) is marked translate="no"."""
    data = {key: format_html('<span translate="no">{}</span>', value) if isinstance(value, str) else value for key, value in values.items()}
    return mark_safe(conditional_escape(str(message)) % data)  # the sentence and every value are escaped above


def _line_values(line) -> dict:
    return {"position": line.miinto_position_id, "item": line.title or line.sku or gettext("item")}


def stock_only_status(order: Order, push: StorePush | None) -> dict:
    """{"summary": one sentence, "failures": [{"text": a sentence, "error": the store's error or ""} per line not lowered]}."""
    lines = list(order.lines.all())
    total = len(lines)
    failures = [{"text": _sentence(UNMATCHED, **_line_values(line)), "error": ""} for line in lines if not line.sku]
    if push is None or push.kind != StorePushKind.ADJUST_STOCK:
        return {"summary": str(NOT_QUEUED), "failures": failures}
    if push.state != OutboxState.DONE and "stock" not in push.result:
        return {"summary": str(WAITING[push.state]) % {"total": total}, "failures": failures}
    by_key = {result.get("key"): result for result in push.result.get("stock", [])}
    lowered = 0
    for line in lines:
        if not line.sku:
            continue
        result = by_key.get(f"miinto-position:{order.connection_id}:{line.miinto_position_id}", {})
        outcome = result.get("outcome", "")
        if outcome in LOWERED:
            lowered += 1
            continue
        sentence = NOT_LOWERED.get(outcome, NOT_LOWERED[""])
        failures.append({"text": _sentence(sentence, **_line_values(line), sku=line.sku), "error": result.get("error", "")})
    summary = str(LOWERED_SO_FAR[push.state]) % {"lowered": lowered, "total": total}
    return {"summary": summary, "failures": failures}


def stock_only_status_for(order: Order) -> dict:
    push = next((p for p in order.store_pushes.all() if p.kind == StorePushKind.ADJUST_STOCK), None)
    return stock_only_status(order, push)
