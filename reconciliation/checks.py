"""The comparisons: Miinto's records, ours and the store's in, unsaved typed findings out. No I/O beyond what was loaded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from connections.models import MiintoConnection, OutboxState
from orders.pushes import store_reference
from reconciliation.collect import MiintoRecords, StoreRecords
from reconciliation.kinds import FindingKind, Fix
from reconciliation.models import Finding
from reconciliation.ours import OurRecords
from rma.models import StoreRefundStatus

# A row the outbox is still working on is not a mismatch yet: it will settle by itself.
IN_PROGRESS = (OutboxState.PENDING, OutboxState.IN_FLIGHT)


@dataclass
class Inputs:
    connection: MiintoConnection
    miinto: MiintoRecords
    store: StoreRecords
    ours: OurRecords
    stock_buffer: int
    stock_tolerance: int
    orders_to_store: bool  # Orders & Stock: each accepted Miinto order should have a store order
    refunds_both_ways: bool  # refund sync is on: store refunds and accepted RMAs should meet


def findings(inputs: Inputs) -> list[Finding]:
    """Every mismatch of the period, in a stable order: orders, declines, shipments, refunds, RMAs, stock."""
    found: list[Finding] = []
    for check in (_orders, _declined, _shipments, _store_refunds, _accepted_rmas, _stock):
        found.extend(check(inputs))
    for finding in found:
        finding.merchant_id = inputs.connection.merchant_id
        finding.connection = inputs.connection
    return found


def _stuck(row) -> bool:
    return row is not None and row.state not in IN_PROGRESS and row.state != OutboxState.DONE


def _orders(inputs: Inputs) -> Iterator[Finding]:
    shop = inputs.connection.shop_id
    for wire in inputs.miinto.orders:
        if not wire.accepted_positions:
            continue
        ours = inputs.ours.orders.get(wire.id)
        if inputs.orders_to_store and inputs.store.orders.get(store_reference(shop, wire.id)) is None:
            push = inputs.ours.store_pushes.get(ours.pk) if ours else None
            transfer_id = inputs.miinto.order_transfers.get(wire.id)
            if _stuck(push):
                fix, args = Fix.REPUSH_ORDER, {"push": push.pk}
            elif ours is None and transfer_id is not None:
                fix, args = Fix.FETCH_ORDER, {"transfer_id": transfer_id}
            else:
                fix, args = Fix.NONE, {}
            if push is None or push.state not in IN_PROGRESS:
                yield Finding(
                    kind=FindingKind.ACCEPTED_NO_STORE_ORDER, miinto_order_id=wire.id, order=ours,
                    message=f"Miinto order {wire.id} was accepted but the store has no order {store_reference(shop, wire.id)}"
                    + ("" if ours else "; it is not recorded here either") + ".",
                    fix=fix, fix_args=args,
                )  # fmt: skip
        if ours is not None:
            yield from _lines(wire, ours, inputs.ours.lines.get(ours.pk, []))


def _lines(wire, order, lines) -> Iterator[Finding]:
    by_position = {line.miinto_position_id: line for line in lines}
    for position in wire.accepted_positions:
        line = by_position.get(position.id)
        ours_quantity = line.quantity if line else 0
        if ours_quantity != position.quantity:
            yield Finding(
                kind=FindingKind.QUANTITY_MISMATCH, miinto_order_id=wire.id, miinto_position_id=position.id, order=order,
                message=f"Position {position.id} of Miinto order {wire.id}: Miinto says {position.quantity}, we recorded {ours_quantity}.",
                miinto_value=str(position.quantity), store_value=str(ours_quantity),
            )  # fmt: skip
        elif line.unit_price != position.price.amount:
            yield Finding(
                kind=FindingKind.AMOUNT_MISMATCH, miinto_order_id=wire.id, miinto_position_id=position.id, order=order,
                message=f"Position {position.id} of Miinto order {wire.id}: Miinto's unit price is {position.price.amount}, "
                f"we recorded {line.unit_price} {order.currency}.",
                miinto_value=str(position.price.amount), store_value=str(line.unit_price),
            )  # fmt: skip


def _declined(inputs: Inputs) -> Iterator[Finding]:
    for position_id, transfer_id in sorted(inputs.miinto.declined.items()):
        position = inputs.ours.accepted_positions.get(position_id)
        order = getattr(getattr(position, "order_line", None), "order", None)
        if position is None or order is None or not order.store_order_id:
            continue
        yield Finding(
            kind=FindingKind.STORE_ORDER_DECLINED, miinto_order_id=order.miinto_id, miinto_position_id=position_id, order=order,
            store_ref=order.store_order_id,
            message=f"Miinto shows position {position_id} (transfer {transfer_id}) declined, but store order "
            f"{order.store_order_name or order.store_order_id} holds it: cancel that line in the store.",
        )  # fmt: skip


def _sent_positions(inputs: Inputs) -> dict[int, set[int]]:
    return {
        wire.id: {p.id for p in wire.accepted_positions if p.status == "sent"} for wire in inputs.miinto.orders
    }


def _shipments(inputs: Inputs) -> Iterator[Finding]:
    sent = _sent_positions(inputs)
    for shipment in inputs.store.shipments:
        order = inputs.ours.by_store_id.get(shipment.order.id)
        if order is None or order.miinto_id not in sent:
            continue  # not one of our Miinto orders, or one outside the period's Miinto reads
        lines = inputs.ours.lines.get(order.pk, [])
        skus = {line.sku for line in shipment.lines if line.sku}
        wanted = {line.miinto_position_id for line in lines if shipment.whole_order or not skus or line.sku in skus}
        missing = sorted(wanted - sent[order.miinto_id])
        if not missing:
            continue
        ours = inputs.ours.shipments.get(shipment.shipment_id)
        push = getattr(ours, "push", None) if ours else None
        if push is not None and push.state in IN_PROGRESS:
            continue
        yield Finding(
            kind=FindingKind.SHIPPED_NOT_ON_MIINTO, miinto_order_id=order.miinto_id, order=order, store_ref=shipment.shipment_id,
            message=f"The store shipped Miinto order {order.miinto_id} ({shipment.tracking_number or 'no tracking'}), "
            f"but Miinto has positions {missing} unsent" + ("" if ours else "; the shipment is not recorded here yet") + ".",
            fix=Fix.RESEND_SHIPMENT if _stuck(push) else Fix.NONE, fix_args={"push": push.pk} if _stuck(push) else {},
        )  # fmt: skip


def _store_refunds(inputs: Inputs) -> Iterator[Finding]:
    if inputs.store.refunds is None or not inputs.refunds_both_ways:
        return
    returned_orders = {r.order_id for r in inputs.miinto.returns if r.status != "declined"}
    for refund in inputs.store.refunds:
        order = inputs.ours.by_store_id.get(refund.order.id)
        if order is None or refund.origin_key:
            continue  # not our order, or a refund we pushed for an RMA
        if order.miinto_id in returned_orders or inputs.ours.rmas.get(order.pk):
            continue
        ours = inputs.ours.store_refunds.get(refund.refund_id)
        push = inputs.ours.request_pushes.get(ours.request_key) if ours and ours.request_key else None
        if push is not None and push.state in IN_PROGRESS:
            continue
        if _stuck(push):
            fix, args = Fix.CREATE_RMA_REQUEST, {"push": push.pk}
        elif ours is not None and push is None and ours.status == StoreRefundStatus.NEEDS_ATTENTION:
            # The refunds flow left the choice to the merchant: the fix is that choice's "request an RMA".
            fix, args = Fix.CREATE_RMA_REQUEST, {"store_refund": ours.pk}
        else:
            fix, args = Fix.NONE, {}
        yield Finding(
            kind=FindingKind.REFUND_WITHOUT_RMA, miinto_order_id=order.miinto_id, order=order, store_ref=refund.refund_id,
            store_value=f"{refund.total.amount} {refund.total.currency}",
            message=f"The store refunded {refund.total.amount} {refund.total.currency} on Miinto order {order.miinto_id}, "
            "but Miinto has no RMA for it" + ("" if ours else "; the refund is not recorded here yet (run Refunds)") + ".",
            fix=fix, fix_args=args,
        )  # fmt: skip


def _accepted_rmas(inputs: Inputs) -> Iterator[Finding]:
    if inputs.store.refunds is None or not inputs.refunds_both_ways:
        return
    by_key = {r.origin_key: r for r in inputs.store.refunds if r.origin_key}
    store_ids = {r.refund_id for r in inputs.store.refunds}
    accepted = {r.id for r in inputs.miinto.returns if r.status == "accepted"}
    linked = {r.rma_id for r in inputs.ours.store_refunds.values() if r.rma_id and r.store_refund_id in store_ids}
    for rmas in inputs.ours.rmas.values():
        for rma in rmas:
            if rma.miinto_id not in accepted or rma.pk in linked:
                continue
            refund = by_key.get(rma.refund_key) if rma.refund_key else None
            if refund is not None:
                if refund.total.amount != rma.amount:
                    yield Finding(
                        kind=FindingKind.AMOUNT_MISMATCH, miinto_order_id=rma.miinto_order_id, miinto_return_id=rma.miinto_id,
                        order=rma.order, rma=rma, store_ref=refund.refund_id,
                        message=f"RMA {rma.miinto_id} refunds {rma.amount} on Miinto; the store refunded {refund.total.amount}.",
                        miinto_value=str(rma.amount), store_value=str(refund.total.amount),
                    )  # fmt: skip
                continue
            push = inputs.ours.refund_pushes.get(rma.pk)
            if push is not None and push.state in IN_PROGRESS:
                continue
            yield Finding(
                kind=FindingKind.RMA_WITHOUT_REFUND, miinto_order_id=rma.miinto_order_id, miinto_return_id=rma.miinto_id,
                order=rma.order, rma=rma, miinto_value=f"{rma.amount} {rma.currency}",
                message=f"Miinto accepted RMA {rma.miinto_id} ({rma.amount} {rma.currency}) but the store has no refund for it.",
                fix=Fix.PUSH_REFUND, fix_args={"rma": rma.pk},
            )  # fmt: skip


def _stock(inputs: Inputs) -> Iterator[Finding]:
    for listing in inputs.ours.listings:
        sku = listing.product.sku
        if sku not in inputs.store.stock:
            continue
        store_stock = inputs.store.stock[sku]
        expected = max(0, store_stock - inputs.stock_buffer)
        if abs(listing.exported_stock - expected) <= inputs.stock_tolerance:
            continue
        yield Finding(
            kind=FindingKind.STOCK_MISMATCH, store_ref=sku, miinto_value=str(listing.exported_stock), store_value=str(store_stock),
            message=f"SKU {sku}: Miinto has {listing.exported_stock}, the store has {store_stock}"
            + (f" (minus the buffer of {inputs.stock_buffer}: {expected})" if inputs.stock_buffer else "") + ".",
            fix=Fix.PUSH_STOCK, fix_args={"product": listing.product_id, "store_stock": store_stock},
        )  # fmt: skip


def totals(found: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in found:
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
    return counts

