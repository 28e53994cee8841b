"""Outbox handlers: tell Miinto the decisions (reconciling first on a retry), fetch the order, and put it in the store."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from connections import clients
from connections.models import Direction, MiintoConnection, OutboxState, SyncLevel
from connections.sync.activity import activity_on_call
from connections.sync.outbox import DoneWith, outbox_schedule
from connections.sync.problems import problem_raise
from koongo.accounts.services import usage_add_orders
from koongo.http import PermanentError
from miinto.client import DECIDED
from miinto.schemas import Order as WireOrder
from orders import events as order_events
from orders.ingest import record_miinto_decisions
from orders.matching import lines_rematch
from orders.models import (
    DecidedBy,
    Decision,
    DecisionPush,
    LabelNotePush,
    Order,
    OrderLine,
    Position,
    PositionStatus,
    StorePush,
    StorePushKind,
    Transfer,
)
from orders.shipments.labels import label_fetch_schedule
from orders.signals import store_orders_recorded
from orders.store_adapters import store_adapter_for

AMBIGUOUS_STOCK = "ambiguous_stock_write"
LATE_POSITIONS = "positions_added_after_store_push"


def _miinto(connection: MiintoConnection, subject: tuple[str, object]):
    recorder = activity_on_call(merchant=connection.merchant, direction=Direction.TO_MIINTO, connection=connection)
    client = clients.miinto_client(connection, on_call=recorder)
    return client, recorder, recorder.about(*subject)


# What a decision push reads through its row: loaded with it in one query.
DECISION_PUSH_RELATED = ("transfer", "connection", "connection__merchant", "connection__order_configuration")


def decision_push_execute(push: DecisionPush) -> None:
    """A queued push (a worker's task): its own client and activity recorder."""
    connection, transfer = push.connection, push.transfer
    client, recorder, about = _miinto(connection, ("transfer", transfer.miinto_id))
    with client, recorder, about:
        decision_push_send(push, client)


class SentDecisions:
    """What a batch's PATCHes confirmed, written in one UPDATE per table once the batch's chunk is through.

    Until then a confirmed decision still reads unsent; a crash before the write leaves its push in flight, and the
    retry reconciles with Miinto first (as after any lost answer), so nothing is sent twice.
    """

    def __init__(self) -> None:
        self.decisions: list[int] = []
        self.transfers: dict[int, int | None] = {}  # transfer pk -> the new order id Miinto gave (None: none)

    def write(self, _rows=None) -> None:
        decisions, transfers = self.decisions, self.transfers
        self.decisions, self.transfers = [], {}
        if decisions:
            Decision.objects.filter(pk__in=decisions).update(sent_at=timezone.now())
        if transfers:
            told = {pk: order_id for pk, order_id in transfers.items() if order_id}
            new_order_id = Case(*[When(pk=pk, then=Value(order_id)) for pk, order_id in told.items()], default=F("new_order_id"),
                                output_field=Transfer._meta.get_field("new_order_id"))
            Transfer.objects.filter(pk__in=list(transfers)).update(
                closed_at=_closed_at(), **({"new_order_id": new_order_id} if told else {})
            )


def _closed_at():
    """Every position decided and told: the transfer is closed and no longer a candidate for reconciliation."""
    pending = Position.objects.filter(transfer=OuterRef("pk"), status="pending")
    return Coalesce(F("closed_at"), Case(When(Exists(pending), then=Value(None)), default=Value(timezone.now())))


def unsent_decisions(transfers) -> dict[int, list[Decision]]:
    """Each transfer's decisions not yet sent (with their positions and products), in one query."""
    by_transfer: dict[int, list[Decision]] = {t.pk: [] for t in transfers}
    for decision in Decision.objects.filter(position__transfer__in=list(by_transfer), sent_at__isnull=True).select_related("position__product"):
        by_transfer[decision.position.transfer_id].append(decision)
    return by_transfer


def decision_push_send(push: DecisionPush, client, *, count_usage: bool = True, unsent: list[Decision] | None = None,
                       sent: SentDecisions | None = None, collect: list | None = None) -> Order | None:
    """Send the transfer's unsent decisions in one PATCH; after a lost answer or a 409, read the transfer and reconcile.

    Then fetch the order Miinto made (only once the decision is confirmed) and queue its store push; returns that order.
    `push.connection` and `push.transfer` are used as loaded: the caller passes objects it already holds, and may pass
    the `unsent` decisions it read after claiming the push, a `sent` that writes what the PATCH confirmed later, and
    `collect`, which takes the order's store push for the caller to publish (in a batch) instead of one task of its own.
    """
    connection, transfer = push.connection, push.transfer
    known_order = transfer.new_order_id  # an earlier PATCH of this transfer may have made its order already
    if unsent is None or push.attempts > 1:
        unsent = list(Decision.objects.filter(position__transfer=transfer, sent_at__isnull=True).select_related("position__product"))
    reconciled = False
    if push.attempts > 1 and unsent:
        # A previous attempt may have been applied with its answer lost: never send a second, different decision.
        _reconcile(connection, transfer, client)
        unsent, reconciled = list(Decision.objects.filter(position__transfer=transfer, sent_at__isnull=True).select_related("position__product")), True
    fresh_order = told = False
    if unsent:
        accepted = [d.position.miinto_id for d in unsent if d.outcome == "accept"]
        declined = [d.position.miinto_id for d in unsent if d.outcome == "decline"]
        try:
            new_order_id = client.decide_transfer(connection.shop_id, transfer.miinto_id, accepted, declined)
        except PermanentError as error:
            if error.status != 409 or error.code != DECIDED:
                raise
            _reconcile(connection, transfer, client)
            reconciled = True
        else:
            if sent is not None:
                sent.decisions.extend(d.pk for d in unsent)
            else:
                Decision.objects.filter(pk__in=[d.pk for d in unsent]).update(sent_at=timezone.now())
            if new_order_id:
                transfer.new_order_id, fresh_order, told = new_order_id, push.attempts == 1 and not known_order, True
    # One UPDATE closes the transfer and stores the new order id (a crash before it leaves the decisions sent and the
    # retry reconciles).
    if sent is not None:
        sent.transfers[transfer.pk] = transfer.new_order_id if told else None
    else:
        Transfer.objects.filter(pk=transfer.pk).update(
            closed_at=_closed_at(), **({"new_order_id": transfer.new_order_id} if told else {})
        )
    if reconciled and not told:  # the reconcile may have recorded the order Miinto made
        transfer.refresh_from_db(fields=["new_order_id"])
    if not transfer.new_order_id:
        return None
    positions = {d.position.miinto_id: d.position for d in unsent}
    # An order id Miinto just gave the transfer's first accepting attempt cannot have an Order yet; any other may (a
    # retry, a reconcile, or a later PATCH of the same transfer, whose positions Miinto adds to that order).
    if not fresh_order:
        order = Order.objects.filter(connection=connection, miinto_id=transfer.new_order_id).first()
        if order is not None:
            order_amend(connection, order, client, positions)
            return None
    # The merchant decides a transfer's positions one by one: its store push waits a little for the rest to join.
    by_merchant = any(d.decided_by == DecidedBy.MERCHANT for d in unsent)
    return order_fetch(connection, transfer, client, positions=positions, count_usage=count_usage, new=fresh_order, collect=collect,
                       hold=by_merchant)


def order_amend(connection: MiintoConnection, order: Order, client, positions: dict[int, Position]) -> list[OrderLine]:
    """Add the positions a later PATCH accepted to the transfer's order, as Miinto does (miinto-api §11); returns them.

    A store push that has not been tried yet takes them along. Once it has been tried, the store order or stock change
    may exist already, and no store order is edited after the fact: a Problem names the lines to add by hand.
    """
    accepted = Position.objects.filter(transfer_id=order.transfer_id, status=PositionStatus.ACCEPTED).values_list("miinto_id", flat=True)
    if set(accepted) <= set(order.lines.values_list("miinto_position_id", flat=True)):
        return []  # the usual retry: nothing was added
    wire = client.order(connection.shop_id, order.miinto_id)
    with transaction.atomic():
        push = StorePush.objects.select_for_update().filter(order=order).first()  # amends and the push's claim take turns
        known = set(order.lines.values_list("miinto_position_id", flat=True))
        added = order_lines(connection, order, [p for p in wire.accepted_positions if p.id not in known], positions)
        OrderLine.objects.bulk_create(added)
        untried = push is not None and push.state == OutboxState.PENDING and push.attempts == 0
        if added and not untried:
            _late_positions_problem(connection, order, added, push)
        elif added and not Position.objects.filter(transfer_id=order.transfer_id, status=PositionStatus.PENDING).exists():
            # The transfer is fully decided: nothing more can join, so the held push need not wait out its grace.
            StorePush.objects.filter(pk=push.pk).update(next_attempt_at=timezone.now())
            outbox_schedule(push)
    return added


def _late_positions_problem(connection: MiintoConnection, order: Order, added: list[OrderLine], push: StorePush | None) -> None:
    lines = ", ".join(f"{line.quantity} × {line.sku or line.gtin or line.title} (position {line.miinto_position_id})" for line in added)
    in_store = f"store order {push.result.get('name') or push.result.get('store_order_id')}" if push and push.result.get("store_order_id") else "the store"
    todo = "lower their stock in the store" if push and push.kind == StorePushKind.ADJUST_STOCK else f"add them to {in_store}"
    problem_raise(
        merchant=connection.merchant, kind=LATE_POSITIONS, connection=connection,
        message=f"Miinto added {lines} to order {order.parent_order_id or order.miinto_id} after its store push had started: "
        f"{todo} by hand, then mark this handled.",
        fingerprint=f"late-positions:{order.pk}:{','.join(str(line.miinto_position_id) for line in added)}",
        subject_type="order", subject_id=order.pk,
    )


def _reconcile(connection: MiintoConnection, transfer: Transfer, client) -> None:
    """Make our records match what Miinto shows for the transfer: sent where it agrees, Miinto's where it differs."""
    detail = client.transfer(connection.shop_id, transfer.miinto_id)
    statuses = {p.id: p.status for p in detail.positions}
    now = timezone.now()
    with transaction.atomic():
        unsent = Decision.objects.filter(position__transfer=transfer, sent_at__isnull=True)
        for decision in unsent.select_related("position").select_for_update(of=("self", "position")):
            status = statuses.get(decision.position.miinto_id, "pending")
            if status == "pending":
                continue  # not applied: the next PATCH sends it
            miinto_outcome = "accept" if status == "accepted" else "decline"
            if miinto_outcome != decision.outcome:
                # Miinto decided otherwise (in its own back office): its decision stands, through the model's checks,
                # and the decision keeps what we had decided and why.
                position = decision.position
                position.overrule(status, decision)
                position.save(update_fields=["status", "awaiting_store"])
                overruled = {"outcome": decision.outcome, "reason": decision.reason, "decided_by": decision.decided_by, "actor": decision.actor}
                decision.inputs = {**decision.inputs, "overruled": overruled}
                decision.outcome, decision.decided_by, decision.reason = miinto_outcome, "miinto", "decided_in_miinto"
            decision.sent_at = now
            decision.save(update_fields=["outcome", "decided_by", "reason", "inputs", "sent_at"])
        record_miinto_decisions(connection, transfer, detail)


def order_fetch(connection: MiintoConnection, transfer: Transfer | None, client, order_id: int | None = None, *,
                positions: dict[int, Position] | None = None, count_usage: bool = True, new: bool = False,
                collect: list | None = None, hold: bool = False) -> Order:
    """Store the full Miinto order and queue its store push; applies Use Billing Address For Shipping."""
    wire = client.order(connection.shop_id, order_id or transfer.new_order_id)
    with transaction.atomic():
        return order_save(connection, transfer, wire, positions=positions, count_usage=count_usage, new=new, collect=collect, hold=hold)


def order_resync(order: Order) -> Order:
    """Read the order from Miinto again and refresh what Miinto may change (customer, addresses, delivery); lines stay."""
    connection = order.connection
    client, recorder, about = _miinto(connection, ("order", order.pk))
    with client, recorder, about:
        wire = client.order(connection.shop_id, order.miinto_id)
    fresh = _order_fields(connection, wire)
    for field in ("customer_name", "customer_email", "customer_phone", "billing_address", "shipping_address", "delivery_address",
                  "delivery_type", "delivery_provider_id", "shipping_method", "warnings", "raw"):
        setattr(order, field, fresh[field])
    order.save()
    return order


def _address(person, address) -> dict:
    return {
        "name": person.name, "first_name": person.first_name, "last_name": person.last_name,
        "street": address.street or "", "postcode": address.postcode or "", "city": address.city or "",
        "country_code": (address.country_code or "").upper(),
    }


def _order_fields(connection: MiintoConnection, wire: WireOrder) -> dict:
    """Our Order's fields from Miinto's answer; applies Use Billing Address For Shipping and its parcel-shop warning."""
    configuration = connection.order_configuration
    billing = wire.billing_information
    delivery = wire.shipping_information.delivery_address
    delivery_address = _address(delivery, delivery.address) if delivery else {}
    billing_address = _address(billing, billing.address) | {"email": billing.email or "", "phone": billing.phone or ""}
    delivery_type = str(getattr(delivery.type, "value", delivery.type) or "") if delivery else ""
    warnings = []
    shipping_address = delivery_address or billing_address
    if configuration.use_billing_for_shipping:
        shipping_address = billing_address
        if delivery_type == "ParcelShopDelivery":
            warnings.append("Parcel-shop delivery: the billing address replaced the parcel shop as the shipping address.")
    return {
        "merchant": connection.merchant, "parent_order_id": wire.parent_order.id if wire.parent_order else None,
        "currency": wire.currency, "created_at_miinto": wire.parent_order.created_at if wire.parent_order else None,
        "customer_name": billing.name, "customer_email": billing.email or "", "customer_phone": billing.phone or "",
        "billing_address": billing_address, "shipping_address": shipping_address, "delivery_address": delivery_address,
        "delivery_type": delivery_type, "delivery_provider_id": wire.shipping_information.delivery_options.provider_id or "",
        "shipping_method": shipping_method_for(delivery_type), "warnings": warnings, "raw": wire.model_dump(mode="json", by_alias=True),
    }


def order_save(connection: MiintoConnection, transfer: Transfer | None, wire: WireOrder, *,
               positions: dict[int, Position] | None = None, count_usage: bool = True, new: bool = False,
               collect: list | None = None, hold: bool = False) -> Order:
    """Create the Order and its lines from Miinto's answer, once (unique per connection and Miinto id).

    `positions` are the caller's loaded positions by Miinto id; the ones the order names are read only if some are
    missing. Without `count_usage` the caller counts the new orders against the quota itself (once per page). `new`:
    Miinto made this order for the caller's own first attempt, so no Order can exist yet and none is looked for.
    `collect` takes the new store push instead of scheduling it (the caller publishes a batch; the sweeper is the net).
    `hold`: while the transfer still has positions the merchant has not decided, the store push waits
    MANUAL_DECISION_GRACE_SECONDS, so positions accepted a moment later join the same store order (`order_amend`).
    """
    configuration = connection.order_configuration
    order = None if new else Order.objects.filter(connection=connection, miinto_id=wire.id).first()
    if order is not None:
        return order
    # Inside the caller's transaction: a concurrent insert of the same order fails it, and the retry finds the order.
    order = Order.objects.create(connection=connection, miinto_id=wire.id, **_order_fields(connection, wire), transfer=transfer)
    OrderLine.objects.bulk_create(order_lines(connection, order, wire.accepted_positions, positions))
    kind = StorePushKind.ADJUST_STOCK if configuration.sync_level == SyncLevel.STOCK_ONLY else StorePushKind.CREATE_ORDER
    due = timezone.now()
    if hold and transfer is not None and Position.objects.filter(transfer=transfer, status=PositionStatus.PENDING).exists():
        due += timedelta(seconds=settings.MANUAL_DECISION_GRACE_SECONDS)  # the sweeper runs it then, unless amended sooner
    push = StorePush.objects.create(merchant=connection.merchant, connection=connection, order=order, kind=kind,
                                    idempotency_key=f"store:{kind}:{connection.pk}:{order.miinto_id}", next_attempt_at=due)
    if collect is not None:
        collect.append(push)
    else:
        outbox_schedule(push)
    label_fetch_schedule(order, new=True)  # Miinto makes the label after acceptance; start asking now, not at the next labels run
    if count_usage:
        usage_add_orders(merchant=connection.merchant, count=1)
    return order


def order_lines(connection: MiintoConnection, order: Order, accepted: list, positions: dict[int, Position] | None) -> list[OrderLine]:
    """Unsaved lines for Miinto's accepted positions; `positions` are the caller's, read here only if some are missing."""
    wanted = [p.id for p in accepted]
    positions = dict(positions or {})
    if any(miinto_id not in positions for miinto_id in wanted):
        positions = {p.miinto_id: p for p in Position.objects.filter(connection=connection, miinto_id__in=wanted).select_related("product")}
    return [
        OrderLine(
            merchant=connection.merchant, order=order, position=positions.get(p.id), miinto_position_id=p.id,
            product=positions[p.id].product if p.id in positions else None,
            sku=(positions[p.id].product.sku if p.id in positions and positions[p.id].product else ""),
            gtin=p.item.gtin or "", title=p.item.name or "", quantity=p.quantity, unit_price=p.price.amount,
        )
        for p in accepted
    ]


DELIVERY_METHODS = {
    "HomeDelivery": "Miinto home delivery",
    "CompanyDelivery": "Miinto company delivery",
    "ParcelShopDelivery": "Miinto parcel shop",
}


def shipping_method_for(delivery_type: str) -> str:
    return DELIVERY_METHODS.get(delivery_type, "Miinto delivery")


# What a store push reads through its row: loaded with it in one query.
STORE_PUSH_RELATED = (
    "order", "order__transfer", "connection", "connection__store_connection", "connection__order_configuration",
)
# What it never reads of those: Miinto's raw payloads, and the Miinto secrets (each a decryption per load).
STORE_PUSH_DEFERRED = (
    "order__raw", "order__transfer__raw", "connection__password", "connection__channel_id", "connection__channel_token",
)


class PushedOrders:
    """What a batch's store pushes created in the store, written once per chunk: one UPDATE of the orders, one of the
    positions and the order.pushed events in one transaction, as `store_push_execute` writes them for a single push.

    Until then the order reads "not in the store"; a crash before the write leaves its push in flight, and the retry
    looks the store order up by our key first, so nothing is created twice.
    """

    def __init__(self) -> None:
        self.pushed: list[tuple[StorePush, Order, dict]] = []
        self.positions: list[int] = []

    def add(self, push: StorePush, order: Order, lines: list[OrderLine], result: dict) -> None:
        self.pushed.append((push, order, result))
        self.positions += [line.position_id for line in lines if line.position_id]

    def write(self, _rows=None) -> None:
        pushed, positions = self.pushed, self.positions
        self.pushed, self.positions = [], []
        # A Stock only push marked its order in_store itself: only created store orders have ids to write.
        created = [(order, result) for _push, order, result in pushed if "store_order_id" in result]

        def per_order(key: str, field: str) -> Case:
            return Case(*[When(pk=order.pk, then=Value(result[key])) for order, result in created], output_field=Order._meta.get_field(field))

        with transaction.atomic():
            if created:
                # The store's ids, and in_store unless the order was already marked shipped (never move it back).
                Order.objects.filter(pk__in=[order.pk for order, _result in created]).update(
                    store_order_id=per_order("store_order_id", "store_order_id"), store_order_name=per_order("name", "store_order_name"),
                    status=Case(When(status="shipped", then=F("status")), default=Value("in_store")),
                )
                # A label link that waited for one of these store orders need not wait out its backoff: the sweeper
                # takes it now.
                LabelNotePush.objects.filter(link__label__order__in=[order.pk for order, _result in created], state=OutboxState.FAILED).update(
                    next_attempt_at=timezone.now()
                )
                store_orders_recorded.send(sender=PushedOrders, order_ids=[order.pk for order, _result in created])
            if positions:
                Position.objects.filter(pk__in=positions).update(awaiting_store=False)
            order_events.orders_pushed(created)


def store_push_execute(push: StorePush, *, lines: list[OrderLine] | None = None, recorder=None,
                       held: PushedOrders | None = None) -> DoneWith:
    """Create the store order (Orders & Stock) or lower the store's stock (Stock only), idempotently.

    A batch passes the order's `lines` and its own activity `recorder` (flushed by the batch), and `held`, which takes
    a created order's writes for the batch to make a chunk at a time.
    """
    order, connection = push.order, push.connection
    store = connection.store_connection
    if store is None:
        raise PermanentError("no store connection is linked to this Miinto connection")
    order.connection = connection  # the draft's note and the stock keys read it: use the loaded one
    connection.merchant = order.merchant = push.merchant  # one tenant: the row's merchant, loaded with it
    flushed = contextlib.nullcontext() if recorder else None
    recorder = recorder or activity_on_call(merchant=push.merchant, direction=Direction.TO_STORE, connection=connection, store_connection=store)
    # Positions are read only for lines matched again (lines_rematch loads those); a line needs only its position id.
    if lines is None:
        lines = list(order.lines.select_related("product"))
    with store_adapter_for(store, on_call=recorder) as adapter, flushed or recorder, recorder.about("order", order.pk, operation=push.kind):
        # A retry after the merchant fixed the Product Identification Attribute must use it, not the old match.
        lines_rematch(connection, lines, adapter)
        if push.kind == StorePushKind.CREATE_ORDER:
            # Only a row claimed before (a retry, a worker that died mid-call) or sent back by hand can have reached the
            # store already; a first attempt skips the lookup by our key.
            retry = push.attempts > 1 or bool(push.last_error)
            # A retry resolves the products in the store again: the catalog copy may be what made the first one fail.
            draft = order_draft(order, lines, connection.order_configuration.product_identification_attribute, known_products=not retry)
            ref = adapter.create_order(draft, retry=retry)
            result = {"store_order_id": ref.id, "name": ref.name or ""}
        else:
            result = _lower_stock(push, order, lines, adapter)
            # A Stock only order may already have been marked shipped; never move it back.
            Order.objects.filter(pk=order.pk).exclude(status="shipped").update(status="in_store")
    pushed = held if held is not None and "store_order_id" in result else PushedOrders()
    pushed.add(push, order, lines, result)
    if pushed is not held:
        pushed.write()
    return DoneWith({"result": result})


def _lower_stock(push: StorePush, order: Order, lines: list[OrderLine], adapter) -> dict:
    from platforms.values import StockChange, StockOutcome

    changes = [
        StockChange(key=f"miinto-position:{order.connection_id}:{line.miinto_position_id}", sku=line.sku, delta=-line.quantity,
                    reason=f"Miinto order {order.miinto_id}")
        for line in lines if line.sku
    ]
    results = adapter.adjust_stock(changes)
    missing = [line.miinto_position_id for line in lines if not line.sku]
    recorded = {"stock": [r.model_dump(mode="json") for r in results], "unmatched_positions": missing}
    # Kept even when the push fails below, so the order page can say which lines' stock was lowered and which not.
    StorePush.objects.filter(pk=push.pk).update(result=recorded)
    retry = [r for r in results if r.outcome == StockOutcome.FAILED and r.retryable]
    for result in results:
        if result.outcome == StockOutcome.AMBIGUOUS or (result.outcome == StockOutcome.FAILED and not result.retryable):
            problem_raise(
                merchant=order.merchant, kind=AMBIGUOUS_STOCK, connection=order.connection,
                message=f"Stock for SKU {result.sku} (Miinto order {order.miinto_id}) may or may not have been lowered: {result.error or result.outcome}. "
                "Check the store's stock and mark this handled.",
                fingerprint=f"stock:{result.key}", subject_type="order", subject_id=order.pk, excerpt=result.model_dump(mode="json"),
            )
    if retry:
        from koongo.http import TransientError

        # Applied and ambiguous changes are remembered by key in the adapter's ledger, so the retry moves only these.
        raise TransientError(f"{len(retry)} stock change(s) failed and will be retried")
    if missing:
        # The matched lines' stock is lowered (the ledger keys make a retry skip them); the order is not "in the store".
        raise PermanentError(
            f"Stock only: positions {missing} of Miinto order {order.parent_order_id or order.miinto_id} match no store product, so their "
            "stock was not lowered. Fix the Product Identification Attribute or the catalog, then retry: the lines are matched again."
        )
    return recorded


def store_reference(shop_id: str, miinto_order_id: int) -> str:
    """Our external reference on the store order of a Miinto order: what the adapters look the order up by."""
    return f"miinto-{shop_id}-{miinto_order_id}"


ADDRESS_REQUIRED = {"street": "street", "postcode": "postcode", "city": "city", "country_code": "country"}


def order_draft(order: Order, lines: list[OrderLine], attribute: str, *, known_products: bool = False):
    """The store order for a Miinto order: our key, Miinto's prices incl. tax, the effective shipping address."""
    from platforms.values import Address, StoreOrderDraft
    from platforms.values import OrderLine as DraftLine

    def address(data: dict, which: str) -> Address:
        # Never invent address data: a store order with a made-up country or street ships to the wrong place.
        missing = [label for field, label in ADDRESS_REQUIRED.items() if not (data.get(field) or "").strip()]
        if missing:
            raise PermanentError(
                f"The {which} address of Miinto order {order.parent_order_id or order.miinto_id} has no {', '.join(missing)}. "
                "Correct it on the order's Addresses tab (or resync the order from Miinto), then retry."
            )
        return Address(first_name=data.get("first_name", ""), last_name=data.get("last_name", ""), street=data["street"],
                       postcode=data["postcode"], city=data["city"], country_code=data["country_code"], phone=data.get("phone") or None)

    unmatched = [line.miinto_position_id for line in lines if line.product is None]
    if unmatched:
        raise PermanentError(f"positions {unmatched} match no store product; set the Product Identification Attribute or fix the catalog")
    return StoreOrderDraft(
        key=store_reference(order.connection.shop_id, order.miinto_id), marketplace="Miinto", marketplace_order_id=str(order.parent_order_id or order.miinto_id),
        identifier_attribute=attribute, currency=order.currency,
        lines=tuple(DraftLine(identifier=line.product.identifier(attribute) or line.product.sku, sku=line.product.sku or None, title=line.title,
                              quantity=line.quantity, unit_price=line.unit_price, key=str(line.miinto_position_id),
                              product=known_store_product(line.product, attribute) if known_products else None) for line in lines),
        billing_address=address(order.billing_address, "billing"), shipping_address=address(order.shipping_address, "shipping"),
        email=order.customer_email or None, phone=order.customer_phone or None, shipping_method=order.shipping_method,
        note=f"Miinto order {order.parent_order_id or order.miinto_id} (shop {order.connection.shop_id})",
        placed_at=order.created_at_miinto,
    )


def known_store_product(product, attribute: str):
    """The store product as our catalog copy knows it, so creating the order needs no product look-up in the store."""
    from platforms.values import StoreProduct

    identifier = product.identifier(attribute) or product.sku
    return StoreProduct(
        product_id=product.store_product_id, variant_id=product.store_variant, sku=product.sku or None,
        gtin=product.gtin or None, identifiers={**(product.identifiers or {}), attribute: identifier}, title=product.title or identifier,
    )
