"""What happened to the store's stock for a Stock only order, line by line, in the merchant's words."""

from __future__ import annotations

from connections.models import OutboxState
from orders.models import Order, StorePush, StorePushKind

LOWERED = ("applied", "already_applied")
OUTCOME_WORDS = {
    "ambiguous": "may or may not have been lowered; check the store's stock",
    "failed": "was not lowered",
}

WAITING = {
    OutboxState.PENDING: "is queued",
    OutboxState.IN_FLIGHT: "is being sent now",
    OutboxState.FAILED: "failed and will be retried",
    OutboxState.DEAD: "failed: retry it from Problems once the cause is fixed",
}


def _line_name(line) -> str:
    return f"position {line.miinto_position_id} ({line.title or line.sku or 'item'})"


def stock_only_status(order: Order, push: StorePush | None) -> dict:
    """{"summary": one sentence, "failures": [one sentence per line whose stock was not lowered]}."""
    lines = list(order.lines.all())
    total = len(lines)
    unmatched = [f"{_line_name(line)} matches no store product: its stock was not lowered" for line in lines if not line.sku]
    if push is None or push.kind != StorePushKind.ADJUST_STOCK:
        return {"summary": "Stock not lowered in the store yet: the store update is not queued.", "failures": unmatched}
    if push.state != OutboxState.DONE and "stock" not in push.result:
        summary = f"Stock not lowered in the store yet for {total} of {total} line(s) ({WAITING[push.state]})."
        return {"summary": summary, "failures": unmatched}
    by_key = {result.get("key"): result for result in push.result.get("stock", [])}
    lowered, failures = 0, list(unmatched)
    for line in lines:
        if not line.sku:
            continue
        result = by_key.get(f"miinto-position:{order.connection_id}:{line.miinto_position_id}", {})
        outcome = result.get("outcome", "")
        if outcome in LOWERED:
            lowered += 1
            continue
        words = OUTCOME_WORDS.get(outcome, "has no recorded outcome")
        failures.append(f"{_line_name(line)}, SKU {line.sku}: stock {words}{': ' + result['error'] if result.get('error') else ''}")
    summary = f"Stock lowered in the store for {lowered} of {total} line(s)"
    if push.state != OutboxState.DONE:
        summary += f"; the store update {WAITING[push.state]}"
    return {"summary": summary + ".", "failures": failures}


def stock_only_status_for(order: Order) -> dict:
    push = next((p for p in order.store_pushes.all() if p.kind == StorePushKind.ADJUST_STOCK), None)
    return stock_only_status(order, push)
