"""The demo's story, played once against the simulators right after seeding, through the real flows and pushes: orders
accepted into the stores (and one Stock only order), a shipment with its label, one whose carrier Miinto does not
know (a Problem), a customer return waiting for a decision, and a store refund that becomes an RMA request, so every
dashboard screen has data at once.
"""

from __future__ import annotations

import httpx
from django.conf import settings

from connections import clients
from connections.demo import DEMO_SHOP_ID
from connections.demo_tour import TOUR
from connections.models import MiintoConnection, SyncLevel
from connections.sync.outbox import outbox_execute
from connections.sync.runs import SyncRefused, sync_request, sync_run_execute
from koongo.accounts.tenancy import merchant_scope
from orders.decisions import positions_decide
from orders.models import DecisionPush, Order, OrderStatus, Position, PositionStatus, StorePush
from rma.models import Rma

DEMO_ACTOR = "demo@koongo.local"



def _control(target: str, base_url: str, method: str, path: str, body: dict) -> dict:
    """A simulator's `/_sandbox/` control API (the merchant's or the buyer's side), through the demo's transport."""
    with httpx.Client(transport=clients.transport_for(target), base_url=base_url, timeout=30) as http:
        response = http.request(method, path, json=body)
        response.raise_for_status()
        return response.json()


def _miinto(path: str, body: dict) -> dict:
    return _control("miinto", settings.MIINTO_SIMULATOR_URL, "POST", f"/_sandbox/{path}", body)


def _store(connection: MiintoConnection, path: str, body: dict) -> dict:
    platform = connection.store_connection.platform
    return _control(platform, f"{settings.STORE_SIMULATOR_URL}/{platform}", "POST", f"/_sandbox/{path}", body)


def _run(connection: MiintoConnection, flow: str) -> None:
    """One run of `flow`, then the connection's due pushes, as the worker would (decisions first: they fetch the orders)."""
    try:
        sync_run_execute(sync_request(connection=connection, flow=flow, trigger="admin"))
    except SyncRefused:
        return  # e.g. a flow the shop does not run (RMA in CN): the dashboard explains why
    _run_pushes(connection)


def _run_pushes(connection: MiintoConnection) -> None:
    for model in (DecisionPush, StorePush):
        for pk in model.objects.filter(connection=connection, state__in=["pending", "failed"]).values_list("pk", flat=True):
            outbox_execute(model._meta.label_lower, pk)


def _lines(order: Order) -> list:
    return [line for line in order.lines.all() if line.sku]


def _stock_only_order(merchant, connection: MiintoConnection) -> str:
    """The store sells in DKK, so the NOK shop's positions wait (currency mismatch); accept one by hand, as the merchant
    would in Needs attention, and the Stock only push lowers the store's stock."""
    waiting = Position.objects.filter(connection=connection, status=PositionStatus.PENDING, product__isnull=False).order_by("pk")[:1]
    if not waiting:
        return f"story: no position waits on {connection}"
    positions_decide(merchant=merchant, positions=list(waiting), outcome="accept", actor=DEMO_ACTOR, reason="")
    _run_pushes(connection)
    lowered = StorePush.objects.filter(connection=connection, kind="adjust_stock", state="done").count()
    return f"story: accepted a position on {connection} by hand; {lowered} Stock only order(s) lowered the store's stock"


def demo_story_play(merchant) -> list[str]:
    """Play the story once (a second `make demo` finds the RMAs and leaves everything as it is); a line per step."""
    with merchant_scope(merchant):
        if Rma.objects.filter(merchant=merchant).exists():
            return ["story: already played (returns exist)"]
        connections = {c.shop_id: c for c in MiintoConnection.objects.select_related("store_connection", "order_configuration")}
        told = []
        for shop_id in [DEMO_SHOP_ID, *(stop.shop_id for stop in TOUR)]:
            if shop_id in connections:
                _run(connections[shop_id], "orders")
        dk = connections.get(DEMO_SHOP_ID)
        if dk is None:
            return ["story: no demo DK connection"]
        in_store = [o for o in Order.objects.filter(connection=dk, status=OrderStatus.IN_STORE).order_by("pk") if _lines(o)]
        told.append(f"story: {Order.objects.count()} orders, {len(in_store)} in the Shopify store on {dk}")
        if len(in_store) < 4:
            return [*told, "story: too few orders in the store to ship, return and refund"]
        shipped, returned, refunded, by_courier = in_store[:4]

        # A shipment made in the store, sent to Miinto; Miinto's label fetched and linked in the store order's note.
        line = _lines(shipped)[0]
        _store(dk, "shipments", {"order_id": shipped.store_order_id, "lines": [{"sku": line.sku, "quantity": line.quantity}],
                                 "carrier": "GLS", "tracking_number": f"DEMO{shipped.miinto_id}"})
        _miinto("labels/ready", {"orderIds": [o.miinto_id for o in in_store]})
        # Another shipped with a local courier Miinto does not know: a Problem asking for a carrier mapping.
        line = _lines(by_courier)[0]
        _store(dk, "shipments", {"order_id": by_courier.store_order_id, "lines": [{"sku": line.sku, "quantity": line.quantity}],
                                 "carrier": "Copenhagen Bike Courier", "tracking_number": f"CBC{by_courier.miinto_id}"})
        _run(dk, "shipments")
        _run(dk, "labels")
        told.append(f"story: order {shipped.parent_order_id or shipped.miinto_id} shipped with GLS, its label fetched; "
                    f"order {by_courier.parent_order_id or by_courier.miinto_id}'s courier needs a carrier mapping (Problems)")

        # The buyer returns an item in Miinto: an RMA waiting for the merchant's decision.
        line = _lines(returned)[0]
        _miinto("returns", {"shopId": dk.shop_id, "orderId": returned.miinto_id, "reason": "Too small",
                            "positions": [{"orderPositionId": line.miinto_position_id, "quantity": 1, "reason": "Too small"}],
                            "customerComment": "Lovely, but a size too small."})
        _run(dk, "rma")
        told.append(f"story: a return on order {returned.parent_order_id or returned.miinto_id} waits for your decision")

        # The merchant refunds an item in the store: the refunds flow asks Miinto for the matching RMA.
        line = _lines(refunded)[0]
        _store(dk, "refunds", {"order_id": refunded.store_order_id, "lines": [{"sku": line.sku, "quantity": 1}],
                               "note": "Returned in the shop"})
        _run(dk, "refunds")
        told.append(f"story: a store refund on order {refunded.parent_order_id or refunded.miinto_id} became an RMA request")

        stock_only = next((c for c in connections.values() if c.order_configuration.sync_level == SyncLevel.STOCK_ONLY), None)
        if stock_only is not None:
            told.append(_stock_only_order(merchant, stock_only))
    return told
