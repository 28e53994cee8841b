"""Shipments to Miinto: store shipments polled (or announced by webhook), given a provider, and sent once each; Mark as shipped.

A shipment moves new → queued (one ShipmentPush outbox row) → sent; without a provider it waits in needs_provider
behind a Problem, and without a tracking number in awaiting_tracking until the store adds one.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from connections import clients
from connections.models import ConnectionStatus, Direction, MiintoConnection, OutboxState, ProblemState, SyncLevel, Trigger
from connections.sync.activity import activity_on_call
from connections.sync.outbox import outbox_execute, outbox_schedule
from connections.sync.problems import ProblemActionRefused, problem_handle, problem_raise
from connections.sync.runs import RunContext, SyncRefused, sync_request
from orders import events as order_events
from orders.comments import KOONGO
from orders.models import (
    CarrierMapping,
    Order,
    OrderLine,
    OrderStatus,
    ProviderSource,
    Shipment,
    ShipmentPoll,
    ShipmentPush,
    ShipmentSource,
    ShipmentStatus,
)
from orders.shipments.carrier_mapping import Provider, carrier_key, provider_for
from platforms.values import StoreShipment, WebhookKind

NO_PROVIDER = "shipment_no_provider"
# The first run reads this far back; later runs read from their watermark (the adapter adds its own overlap).
INITIAL_LOOKBACK = timedelta(days=14)
# Once a day a run re-reads this window, so a shipment missed by a bad page or an outage is still found.
SWEEP_WINDOW = timedelta(days=3)
SWEEP_EVERY = timedelta(hours=24)
PUSH_MAX_ATTEMPTS = 10


def is_scheduled(connection: MiintoConnection) -> bool:
    """The schedule runs the flow where there is a store to read (Stock only connections return at once)."""
    return connection.store_connection_id is not None


# --- the flow ------------------------------------------------------------------------------


def shipments_flow(ctx: RunContext) -> None:
    """One run: read the store's shipments since the watermark, record ours, give each a provider, send them."""
    connection = ctx.connection
    store = connection.store_connection
    if store is None or connection.order_configuration.sync_level == SyncLevel.STOCK_ONLY:
        # No store orders to read; manual shipments may still wait for a retry.
        ctx.bump(pushed=shipment_pushes_execute(connection))
        return
    poll, _ = ShipmentPoll.objects.get_or_create(connection=connection, defaults={"merchant": connection.merchant})
    started = timezone.now()
    since, sweeping = poll_window(poll, started)
    with clients.store_adapter(store, on_call=ctx.recorder(Direction.TO_STORE)) as adapter:
        found = adapter.shipments_since(since)
    recorded = store_shipments_record(connection, found)
    with clients.miinto_client(connection, on_call=ctx.recorder(Direction.TO_MIINTO)) as client:
        shipments_resolve(connection, client)
    ShipmentPoll.objects.filter(pk=poll.pk).update(watermark=started, **({"swept_at": started} if sweeping else {}))
    ctx.bump(seen=recorded.ours, skipped=recorded.foreign, pushed=shipment_pushes_execute(connection))


def poll_window(poll: ShipmentPoll, now: datetime) -> tuple[datetime, bool]:
    """Where this run reads from, and whether it is the daily wide sweep."""
    since = poll.watermark or now - INITIAL_LOOKBACK
    sweeping = poll.swept_at is None or poll.swept_at <= now - SWEEP_EVERY
    if sweeping:
        since = min(since, now - SWEEP_WINDOW)
    return since, sweeping


@dataclass(frozen=True)
class Recorded:
    ours: int
    foreign: int


def _orders_for(connection: MiintoConnection, found: list[StoreShipment]) -> dict[str, Order]:
    """Our orders by store order id; an order whose store id we never learnt is found by our reference on it."""
    prefix = f"miinto-{connection.shop_id}-"
    store_ids = {s.order.id for s in found}
    miinto_ids = {
        int(ref[len(prefix) :])
        for ref in (s.order.reference or "" for s in found)
        if ref.startswith(prefix) and ref[len(prefix) :].isdigit()
    }
    orders = Order.objects.filter(connection=connection, store_order_id__in=store_ids) | Order.objects.filter(
        connection=connection, miinto_id__in=miinto_ids
    )
    by_store_id: dict[str, Order] = {}
    for order in orders:
        if order.store_order_id:
            by_store_id[order.store_order_id] = order
        by_store_id[f"{prefix}{order.miinto_id}"] = order
    return by_store_id


def store_shipments_record(connection: MiintoConnection, found: Iterable[StoreShipment]) -> Recorded:
    """Insert the store shipments of our orders, and update those still unsent; a constant number of queries."""
    latest = {s.shipment_id: s for s in found}  # a listing may repeat a shipment; its last view wins
    found = list(latest.values())
    if not found:
        return Recorded(0, 0)
    orders = _orders_for(connection, found)
    ours = [(s, orders.get(s.order.id) or orders.get(s.order.reference or "")) for s in found]
    ours = [(s, order) for s, order in ours if order is not None]
    existing = {
        row.store_shipment_id: row
        for row in Shipment.objects.filter(connection=connection, store_shipment_id__in=[s.shipment_id for s, _ in ours])
    }
    new, changed = [], []
    for wire, order in ours:
        tracking = (wire.tracking_number or "").strip()
        row = existing.get(wire.shipment_id)
        if row is None:
            new.append(
                Shipment(
                    merchant=connection.merchant,
                    connection=connection,
                    order=order,
                    source=ShipmentSource.STORE,
                    store_shipment_id=wire.shipment_id,
                    carrier=(wire.carrier or "")[:200],
                    tracking_number=tracking[:200],
                    tracking_url=(wire.tracking_url or "")[:500],
                    store_lines=_store_lines(wire),
                    store_created_at=wire.created_at,
                    status=ShipmentStatus.NEW if tracking else ShipmentStatus.AWAITING_TRACKING,
                    status_detail="" if tracking else "The store has no tracking number for it yet.",
                )
            )
        elif row.status in (ShipmentStatus.AWAITING_TRACKING, ShipmentStatus.NEW, ShipmentStatus.NEEDS_PROVIDER):
            # Not sent yet: the store's latest carrier and tracking are what Miinto should get.
            before = (row.carrier, row.tracking_number, row.tracking_url, row.store_lines, row.status)
            row.carrier, row.tracking_number = (wire.carrier or "")[:200], tracking[:200]
            row.tracking_url, row.store_lines = (wire.tracking_url or "")[:500], _store_lines(wire)
            if row.status == ShipmentStatus.AWAITING_TRACKING and tracking:
                row.set_status(ShipmentStatus.NEW)
                row.status_detail = ""
            if before != (row.carrier, row.tracking_number, row.tracking_url, row.store_lines, row.status):
                changed.append(row)
    with transaction.atomic():
        # ignore_conflicts: the unique (connection, store shipment id) keeps one row even if two runs ever raced.
        Shipment.objects.bulk_create(new, ignore_conflicts=True)
        Shipment.objects.bulk_update(
            changed, ["carrier", "tracking_number", "tracking_url", "store_lines", "status", "status_detail"]
        )
    return Recorded(len(ours), len(found) - len(ours))


def _store_lines(wire: StoreShipment) -> list[dict]:
    """The shipped lines by SKU; empty means the whole order (platforms without line-level shipments)."""
    if wire.whole_order:
        return []
    return [{"sku": line.sku or "", "quantity": line.quantity} for line in wire.lines]


def positions_for(lines: list[OrderLine], store_lines: list[dict], claimed: set[int]) -> list[int]:
    """The Miinto positions a shipment sends: its lines' positions (by SKU) not sent already; all unsent for a whole order.

    Where several positions share a SKU, unsent ones are matched first. Miinto marks whole positions as sent,
    so a position partly in this shipment goes with it (with the first parcel that carries any of it).
    """
    if not store_lines:
        return [line.miinto_position_id for line in lines if line.miinto_position_id not in claimed]
    remaining = {line.pk: line.quantity for line in lines}
    by_sku: dict[str, list[OrderLine]] = defaultdict(list)
    for line in sorted(lines, key=lambda candidate: (candidate.miinto_position_id in claimed, candidate.pk)):
        if line.sku:
            by_sku[line.sku].append(line)
    chosen: list[int] = []
    for store_line in store_lines:
        quantity = int(store_line.get("quantity") or 0)
        for line in by_sku.get(store_line.get("sku") or "", []):
            if quantity <= 0:
                break
            if remaining[line.pk] <= 0:
                continue
            taken = min(quantity, remaining[line.pk])
            remaining[line.pk] -= taken
            quantity -= taken
            if line.miinto_position_id not in claimed and line.miinto_position_id not in chosen:
                chosen.append(line.miinto_position_id)
    return chosen


def _claimed_positions(order_ids: Iterable[int]) -> dict[int, set[int]]:
    claimed: dict[int, set[int]] = defaultdict(set)
    for order_id, ids in Shipment.objects.filter(
        order_id__in=set(order_ids), status__in=[ShipmentStatus.QUEUED, ShipmentStatus.SENT]
    ).values_list("order_id", "position_ids"):
        claimed[order_id].update(ids)
    return claimed


def order_providers(client, connection: MiintoConnection, order: Order) -> list[Provider]:
    """Miinto's providers for this order: a shipment must name one of them."""
    return [Provider(str(p.id), p.name or str(p.id)) for p in client.shipping_providers(connection.shop_id, order.miinto_id)]


def shipments_resolve(
    connection: MiintoConnection, client, shipments: list[Shipment] | None = None, *, close_problems: bool = True
) -> int:
    """Give each new (or provider-less) shipment its positions and provider, and queue it; returns how many were queued."""
    if shipments is None:
        shipments = list(
            Shipment.objects.filter(connection=connection, status__in=[ShipmentStatus.NEW, ShipmentStatus.NEEDS_PROVIDER])
            .select_related("order")
            .order_by("pk")
        )
    if not shipments:
        return 0
    configuration = connection.order_configuration
    mappings = dict(CarrierMapping.objects.filter(connection=connection).values_list("carrier_key", "provider_id"))
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    for line in OrderLine.objects.filter(order_id__in={s.order_id for s in shipments}).order_by("pk"):
        lines[line.order_id].append(line)
    claimed = _claimed_positions(s.order_id for s in shipments)
    providers: dict[int, list[Provider]] = {}
    queued, resolved_carriers, stuck_carriers = 0, set(), set()
    for shipment in shipments:
        order = shipment.order
        positions = positions_for(lines[order.pk], shipment.store_lines, claimed[order.pk])
        if not positions:
            _settle(
                shipment,
                ShipmentStatus.SKIPPED,
                "Its positions were sent to Miinto with an earlier shipment, or none of its lines is a Miinto position.",
            )
            continue
        if order.pk not in providers:
            providers[order.pk] = order_providers(client, connection, order)
        resolution = provider_for(
            shipment.carrier, providers[order.pk], mappings=mappings, default_id=configuration.default_shipping_provider_id
        )
        key = carrier_key(shipment.carrier)
        if resolution is None:
            stuck_carriers.add(key)
            if shipment.status == ShipmentStatus.NEW:
                _needs_provider(connection, configuration, shipment, providers[order.pk])
            continue
        shipment_queue(
            shipment,
            positions=positions,
            provider_id=resolution.provider_id,
            provider_name=resolution.provider_name,
            provider_source=resolution.source,
        )
        claimed[order.pk].update(positions)
        resolved_carriers.add(key)
        queued += 1
    if close_problems:
        for key in resolved_carriers - stuck_carriers:
            _close_no_provider_problem(connection, key)
    return queued


def _settle(shipment: Shipment, status: str, detail: str) -> None:
    shipment.set_status(status)
    shipment.status_detail = detail
    shipment.save(update_fields=["status", "status_detail"])


def _no_provider_fingerprint(connection: MiintoConnection, key: str) -> str:
    return f"{NO_PROVIDER}:{connection.pk}:{key or '-'}"


def no_provider_message(carrier: str, default_name: str = "", order_number: int | None = None) -> str:
    message = f'Carrier "{carrier or "(none given)"}" has no Miinto provider; set a mapping or a default.'
    if default_name:
        message += f" The Default Shipping Service ({default_name}) is not one of Miinto's providers for order {order_number}."
    return message


def _needs_provider(connection, configuration, shipment: Shipment, providers: list[Provider]) -> None:
    with transaction.atomic():
        _settle(shipment, ShipmentStatus.NEEDS_PROVIDER, "Set a carrier mapping or a Default Shipping Service; it is sent then.")
        default = configuration.default_shipping_provider_id
        problem_raise(
            merchant=connection.merchant,
            kind=NO_PROVIDER,
            message=no_provider_message(
                shipment.carrier,
                configuration.default_shipping_provider_name or default if default else "",
                shipment.order.parent_order_id or shipment.order.miinto_id,
            ),
            fingerprint=_no_provider_fingerprint(connection, carrier_key(shipment.carrier)),
            connection=connection,
            subject_type="carrier",
            subject_id=carrier_key(shipment.carrier) or "-",
            excerpt={
                "carrier": shipment.carrier,
                "order": shipment.order.miinto_id,
                "providers": [{"id": p.id, "name": p.name} for p in providers],
            },
        )


def _close_no_provider_problem(connection: MiintoConnection, key: str) -> None:
    from connections.models import Problem

    problem = Problem.objects.filter(
        merchant=connection.merchant, fingerprint=_no_provider_fingerprint(connection, key), state=ProblemState.OPEN
    ).first()
    if problem is not None:
        problem_handle(merchant=connection.merchant, problem=problem, by=f"{KOONGO}: a provider now applies to this carrier")


def retry_no_provider(problem) -> None:
    """The Problem's Retry: resolve that carrier's waiting shipments again (after the merchant set a mapping or default)."""
    connection = problem.connection
    if connection is None:
        raise ProblemActionRefused("This problem has no connection; mark it handled.")
    waiting = [
        s
        for s in Shipment.objects.filter(connection=connection, status=ShipmentStatus.NEEDS_PROVIDER)
        .select_related("order")
        .order_by("pk")
        if (carrier_key(s.carrier) or "-") == problem.subject_id
    ]
    if not waiting:
        return
    with clients.miinto_client(connection) as client:
        queued = shipments_resolve(connection, client, waiting, close_problems=False)
    if queued < len(waiting) and any(s.status == ShipmentStatus.NEEDS_PROVIDER for s in waiting):
        raise ProblemActionRefused(
            f'Carrier "{waiting[0].carrier}" still has no Miinto provider; set a mapping or a default first.'
        )


# --- queueing and sending ------------------------------------------------------------------


def shipment_queue(
    shipment: Shipment, *, positions: list[int], provider_id: str, provider_name: str, provider_source: str
) -> ShipmentPush:
    """new or needs_provider → queued, with its one outbox row; keyed by the store shipment, so it is sent once.

    The row is locked and its status read again, so a Problem's retry racing a run cannot queue it twice.
    """
    with transaction.atomic():
        shipment.status = Shipment.objects.select_for_update().values_list("status", flat=True).get(pk=shipment.pk)
        shipment.set_status(ShipmentStatus.QUEUED)
        shipment.position_ids = sorted(positions)
        shipment.provider_id, shipment.provider_name, shipment.provider_source = provider_id, provider_name, provider_source
        shipment.status_detail = ""
        shipment.save(
            update_fields=["status", "position_ids", "provider_id", "provider_name", "provider_source", "status_detail"]
        )
        push = ShipmentPush.objects.create(
            merchant=shipment.merchant,
            connection_id=shipment.connection_id,
            shipment=shipment,
            idempotency_key=_push_key(shipment),
        )
        outbox_schedule(push)
    return push


def _push_key(shipment: Shipment) -> str:
    if shipment.store_shipment_id:
        digest = hashlib.sha256(shipment.store_shipment_id.encode()).hexdigest()[:40]
        return f"shipment:{shipment.connection_id}:store:{digest}"
    what = f"{shipment.order_id}|{shipment.tracking_number}|{','.join(map(str, shipment.position_ids))}"
    return f"shipment:{shipment.connection_id}:manual:{hashlib.sha256(what.encode()).hexdigest()[:40]}"


def shipment_push_execute(push: ShipmentPush) -> None:
    """POST the shipment; Miinto answers a repeat (same tracking, same positions) with the first shipment, so retries are safe."""
    shipment = Shipment.objects.select_related("order", "connection").get(pk=push.shipment_id)
    connection, order = shipment.connection, shipment.order
    recorder = activity_on_call(merchant=connection.merchant, direction=Direction.TO_MIINTO, connection=connection)
    with (
        clients.miinto_client(connection, on_call=recorder) as client,
        recorder,
        recorder.about("order", order.pk, operation="shipment"),
    ):
        sent = client.create_shipment(
            connection.shop_id,
            order.miinto_id,
            provider_id=shipment.provider_id,
            track_and_trace=shipment.tracking_number,
            position_ids=shipment.position_ids,
        )
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if shipment.status == ShipmentStatus.QUEUED:
            shipment.set_status(ShipmentStatus.SENT)
            shipment.miinto_shipment_id, shipment.sent_at = sent.id, timezone.now()
            shipment.save(update_fields=["status", "miinto_shipment_id", "sent_at"])
            order_events.shipment_sent(shipment)
        _order_shipped_if_complete(order)


def _order_shipped_if_complete(order: Order) -> None:
    sent = set()
    for ids in Shipment.objects.filter(order=order, status=ShipmentStatus.SENT).values_list("position_ids", flat=True):
        sent.update(ids)
    if set(order.lines.values_list("miinto_position_id", flat=True)) <= sent:
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.SHIPPED)


def describe_push(push: ShipmentPush) -> dict:
    """The Problem of a shipment Miinto would not take."""
    shipment = push.shipment
    order = shipment.order
    return {
        "connection": push.connection,
        "message": f"Shipment {shipment.tracking_number} of Miinto order {order.parent_order_id or order.miinto_id} could not be sent to Miinto: "
        f"{push.last_error}",
    }


def shipment_pushes_execute(connection: MiintoConnection) -> int:
    """Run this connection's due shipment rows now (the claim makes it safe beside queued tasks); returns how many were sent."""
    due = ShipmentPush.objects.filter(
        connection=connection, state__in=[OutboxState.PENDING, OutboxState.FAILED], next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if outbox_execute(ShipmentPush._meta.label_lower, pk) == "done")


# --- Mark as shipped (Stock only) ----------------------------------------------------------


def mark_as_shipped_check(
    *, order: Order, providers: list[Provider], provider_id: str, tracking_number: str, position_ids: list[int] | None
) -> tuple[Provider, list[int]]:
    """Validate a manual shipment; field errors name what is wrong. Returns the provider and the positions to send."""
    if order.connection.order_configuration.sync_level != SyncLevel.STOCK_ONLY:
        raise ValidationError("Shipments of this order come from the store order; mark it shipped in the store.")
    errors: dict[str, str] = {}
    provider = next((p for p in providers if p.id == provider_id), None)
    if provider is None:
        names = ", ".join(f"{p.id} ({p.name})" for p in providers) or "none"
        errors["provider_id"] = f"{provider_id!r} is not one of Miinto's providers for this order: {names}."
    if not (tracking_number or "").strip():
        errors["tracking_number"] = "Enter the tracking number."
    lines = list(order.lines.all())
    all_ids = {line.miinto_position_id for line in lines}
    sent = _claimed_positions([order.pk])[order.pk]
    wanted = list(dict.fromkeys(position_ids)) if position_ids else sorted(all_ids - sent)
    unknown = [i for i in wanted if i not in all_ids]
    already = [i for i in wanted if i in sent]
    if unknown:
        errors["position_ids"] = f"Not positions of this order: {unknown}."
    elif already:
        errors["position_ids"] = f"Already sent to Miinto: {already}."
    elif not wanted:
        errors["position_ids"] = "Every position of this order has been sent already."
    if errors:
        raise ValidationError(errors)
    return provider, wanted


def shipment_mark(
    *,
    merchant,
    order: Order,
    provider: Provider,
    tracking_number: str,
    position_ids: list[int],
    actor: str,
    tracking_url: str = "",
) -> Shipment:
    """Record a shipment the merchant marked by hand and queue it for Miinto (validate with `mark_as_shipped_check` first)."""
    with transaction.atomic():
        shipment = Shipment.objects.create(
            merchant=merchant,
            connection=order.connection,
            order=order,
            source=ShipmentSource.MANUAL,
            tracking_number=tracking_number.strip()[:200],
            tracking_url=tracking_url.strip()[:500],
            carrier=provider.name[:200],
            position_ids=sorted(position_ids),
            actor=actor[:200],
        )
        shipment_queue(
            shipment,
            positions=position_ids,
            provider_id=provider.id,
            provider_name=provider.name,
            provider_source=ProviderSource.MERCHANT,
        )
    return shipment


def shipment_send_now(shipment: Shipment) -> Shipment:
    """Execute the shipment's row at once, so the merchant sees Miinto's answer; a failure stays queued for retry."""
    outbox_execute(ShipmentPush._meta.label_lower, shipment.push.pk)
    shipment.refresh_from_db()
    return shipment


# --- the store webhook ---------------------------------------------------------------------


def shipments_webhook(store, event) -> None:
    """A fulfillment (or an order update carrying fulfillments) on one of our store orders brings the next run forward."""
    if event.kind == WebhookKind.ORDER_UPDATED and not event.payload.get("fulfillments"):
        return
    connections = MiintoConnection.objects.filter(
        store_connection=store,
        status=ConnectionStatus.ACTIVE,
        paused_at__isnull=True,
        order_configuration__sync_level=SyncLevel.ORDERS_AND_STOCK,
    )
    if event.order_id:
        connections = connections.filter(orders__store_order_id=event.order_id)
    for connection in connections.distinct():
        try:
            # Trigger has no webhook value: the run is the scheduled one, brought forward.
            sync_request(connection=connection, flow="shipments", trigger=Trigger.SCHEDULE)
        except SyncRefused:
            continue
