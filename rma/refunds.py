"""Scenario 2: an accepted customer RMA becomes a refund in the store, once, or a "enter it by hand" item where it cannot.

An RMA that reached us before its order waits for it (rma/orphans.py) until `RMA_ORDER_WAIT_SECONDS` have passed.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from connections.models import OutboxState
from connections.sync.outbox import Waiting, outbox_schedule
from connections.sync.problems import problem_raise
from koongo.http import TransientError
from orders.pushes import AMBIGUOUS_STOCK
from platforms.values import RefundRequest, StockOutcome, StoreOrderRef
from rma import events as rma_events
from rma import problems
from rma.configuration import rma_settings_for
from rma.lines import refund_request_lines, rma_lines_json, store_refund_lines
from rma.models import RefundOrigin, RefundPush, Rma, RmaLine, StoreRefund, StoreRefundStatus
from rma.remote import store_about
from rma.scope import refund_sync_scope


def refund_key(rma: Rma) -> str:
    """Our key on the store refund: it dedupes the create and marks the refund as ours when it comes back."""
    return f"rma-{rma.connection_id}-{rma.miinto_id}"


def _order_wait_over(rma: Rma) -> bool:
    """Whether an RMA without its order has waited `RMA_ORDER_WAIT_SECONDS` since we first saw it."""
    return rma.first_seen_at <= timezone.now() - timedelta(seconds=settings.RMA_ORDER_WAIT_SECONDS)


def _manual_reason(rma: Rma, lines: list[RmaLine]) -> str:
    """Why we cannot create this refund in the store ourselves; empty when we can, or may once its order arrives."""
    scope = refund_sync_scope(rma.connection)
    if not scope:
        return scope.reason
    if rma.order is None:
        if not _order_wait_over(rma):
            return ""  # the order's run may still be going: rma/orphans.py links it and queues the refund
        return "We have not received this Miinto order, so we cannot tell which store order to refund."
    if any(line.order_line is None or not line.order_line.sku for line in lines):
        return "Some returned lines match no store product, so we cannot tell what to refund."
    return ""


def refund_after_acceptance(rma: Rma) -> RefundPush | None:
    """Called in the transaction that accepted `rma`: queue its store refund, or ask for it by hand.

    Only a customer RMA accepted by the merchant (here or in Miinto) is refunded by us: an RMA a store refund accepted,
    or one we requested, already has its refund in the store. The database refuses any other (see `Rma.refund_key`).
    """
    if not rma.refund_is_ours_to_push or rma.refund_by_hand_at is not None:
        return None  # once the merchant was asked to refund by hand, a push could refund twice
    if RefundPush.objects.filter(rma__pk=rma.pk).exists():
        return None
    lines = list(rma.lines.select_related("order_line"))
    why = _manual_reason(rma, lines)
    if why:
        rma.refund_by_hand_at = timezone.now()
        rma.save(update_fields=["refund_by_hand_at"])
        problems.manual_refund_raise(rma, rma_lines_json(lines), why)
        return None
    if rma.order is None:
        return None
    rma.refund_key = refund_key(rma)
    rma.save(update_fields=["refund_key"])
    push = RefundPush.objects.create(
        merchant_id=rma.merchant_id,
        connection=rma.connection,
        rma=rma,
        order=rma.order,
        restock=rma_settings_for(rma.connection).restock_refunds,
        idempotency_key=rma.refund_key,
    )
    outbox_schedule(push)
    return push


def refund_push_create(*, merchant, rma: Rma) -> RefundPush:
    """The service's guard in front of the database's: refuse a refund push that PRODUCT.md does not allow."""
    with transaction.atomic():
        locked = Rma.objects.select_for_update().get(pk=rma.pk, merchant=merchant)
        if not locked.refund_is_ours_to_push:
            raise ValidationError(
                {"rma": _("A refund is pushed only for a customer RMA accepted by the merchant, in our dashboard, the API or Miinto.")}
            )
        if RefundPush.objects.filter(rma__pk=locked.pk).exists():
            raise ValidationError({"rma": _("This RMA's refund has already been pushed to the store.")})
        push = refund_after_acceptance(locked)
        if push is None and locked.order_id is None and locked.refund_by_hand_at is None:
            raise ValidationError({"rma": _("This RMA's order has not reached us yet: its refund is pushed when it does.")})
        if push is None:
            raise ValidationError({"rma": _("This RMA's refund must be entered in the store by hand.")})
        return push


def refunds_due_when_orders_recorded(sender, order_ids, **kwargs) -> int:
    """`store_orders_recorded` receiver: a refund that waited for one of these store orders need not wait out its
    backoff (a chaos run's refund tried again 25 minutes after its order reached the store)."""
    return RefundPush.objects.filter(order_id__in=order_ids, state=OutboxState.FAILED).update(next_attempt_at=timezone.now())


def refund_push_execute(push: RefundPush) -> None:
    """Create the store refund (the adapter looks our key up first and holds the per-order refund lock), then record it."""
    rma, order, connection = push.rma, push.order, push.connection
    if not order.store_order_id:
        # The store push of the order has not finished yet; the refund waits for it.
        # Recording the store order makes this row due (`refunds_due_when_orders_recorded`): no need to poll for it.
        raise Waiting(f"Miinto order {order.miinto_id} is not in the store yet", woken=True)
    lines = list(rma.lines.select_related("order_line"))
    # Miinto's returns carry no shipping line (miinto-api.md §11), so no shipping is refunded; the adapter refunds the
    # lines offline (Miinto paid the buyer) and treats tax as in the store order.
    request = RefundRequest(
        key=push.idempotency_key,
        order=StoreOrderRef(id=order.store_order_id, name=order.store_order_name or None),
        lines=tuple(refund_request_lines(lines)),
        currency=rma.currency,
        reason=f"Miinto RMA {rma.miinto_id} accepted: {rma.decision_reason}"[:500],
        restock=push.restock,
    )
    operation = f"create_refund for RMA {rma.miinto_id}"
    with store_about(connection, problems.SUBJECT_ORDER_REFUNDS, order.pk, operation) as adapter:
        result = adapter.create_refund(request)
    restocked = _restock_results(result)
    with transaction.atomic():
        _record_ours(push, rma, result.refund, list(order.lines.all()))
        RefundPush.objects.filter(pk=push.pk).update(
            result={
                "store_refund_id": result.refund.refund_id,
                "created": result.created,
                "total": f"{result.refund.total.amount:.2f}",
                "currency": result.refund.total.currency,
                "restock": [r.model_dump(mode="json") for r in restocked],
            }
        )
        _restock_problems(push, restocked)
        rma_events.refund_pushed(push, rma, result.refund.refund_id)
    if any(r.outcome == StockOutcome.FAILED and r.retryable for r in restocked):
        # The refund exists and is found by our key next time; only the failed restocks are sent again.
        raise TransientError("returning refunded items to stock failed and will be retried")


def _restock_results(result) -> tuple:
    # Adapters report separate restock calls as `restocked` (or `restock` on adapters that predate the rename).
    return tuple(getattr(result, "restocked", ()) or getattr(result, "restock", ()) or ())


def _record_ours(push: RefundPush, rma: Rma, refund, order_lines) -> StoreRefund:
    """Keep the refund we made, so that the refunds flow knows it as ours the moment it lists it."""
    found, created = StoreRefund.objects.get_or_create(
        store_connection_id=push.connection.store_connection_id,
        store_refund_id=refund.refund_id,
        defaults={
            "merchant_id": push.merchant_id,
            "connection": push.connection,
            "order": push.order,
            "store_order_id": refund.order.id,
            "origin": RefundOrigin.OURS,
            "origin_key": push.idempotency_key,
            "item_level": refund.item_level,
            "lines": store_refund_lines(refund, order_lines),
            "shipping_amount": refund.shipping_amount,
            "total": refund.total.amount,
            "currency": refund.total.currency,
            "note": refund.note[:2000],
            "created_at_store": refund.created_at,
            "status": StoreRefundStatus.RECORDED,
            "rma": rma,
        },
    )
    if not created and found.rma_id is None:
        # The refunds flow listed it first (a worker stopped after the store made it): tie it to its RMA now.
        found.rma = rma
        found.save(update_fields=["rma"])
    return found


def _restock_problems(push: RefundPush, restocked) -> None:
    for result in restocked:
        if result.outcome == StockOutcome.AMBIGUOUS or (result.outcome == StockOutcome.FAILED and not result.retryable):
            problem_raise(
                merchant=push.merchant,
                kind=AMBIGUOUS_STOCK,
                connection=push.connection,
                message=(
                    f"Returning SKU {result.sku} to stock for Miinto RMA {push.rma.miinto_id} may or may not have worked: "
                    f"{result.error or result.outcome}. Check the store's stock and mark this handled."
                ),
                fingerprint=f"stock:{result.key}",
                subject_type=problems.SUBJECT_RMA,
                subject_id=push.rma.pk,
                excerpt=result.model_dump(mode="json"),
            )


def manual_refund_done(*, merchant, rma: Rma, by: str) -> int:
    """The merchant entered the return in the store by hand: the Needs-attention item closes."""
    return problems.problems_close(merchant, problems.MANUAL_REFUND, problems.SUBJECT_RMA, rma.pk, by)


def refund_push_describe(push: RefundPush) -> dict:
    """What the errors inbox says when a refund push dies."""
    return {
        "connection": push.connection,
        "message": (
            f"The store refund for Miinto RMA {push.rma.miinto_id} (order {push.order.miinto_id}) failed and will not be "
            f"retried: {push.last_error}. Retry it, or enter the refund in the store by hand."
        ),
    }
