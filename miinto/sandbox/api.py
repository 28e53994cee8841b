"""The simulated Miinto partner API: one handler per endpoint of miinto-api.md §2–§6 and §11.

Handlers run under the simulator's lock, after the signature gate; refusals raise `Failure`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

from koongo.sandbox_kit import Request, Response, json_response
from miinto.sandbox import wire
from miinto.sandbox.fixtures import providers_for
from miinto.sandbox.host import Simulator
from miinto.sandbox.queries import (
    LIST_PARAMETERS,
    ORDER_STATUSES,
    RETURN_STATUSES,
    TRANSFER_STATUSES,
    check_parameters,
    paging,
    statuses,
)
from miinto.sandbox.state import Channel, Failure, Shop


def ok(data, status: int = 200, **meta) -> Response:
    return json_response(wire.success(data, **meta), status)


def channel_of(sim: Simulator, request: Request) -> Channel:
    # The signature gate already found this channel.
    return sim.state.channels[request.header("miinto-api-auth-id")]


def shop_of(sim: Simulator, request: Request) -> Shop:
    return sim.state.shop_for(channel_of(sim, request), unquote(request.params["shop_id"]))


def body_object(request: Request) -> dict:
    body = request.json()
    if not isinstance(body, dict):
        raise Failure(400, "bad_request", "The body must be a JSON object")
    return body


def position_ids(value) -> list[int]:
    """Position ids from `[{"id": 1}]`; the 2.2 order flow's bare `[1]` and non-integer ids are refused (§4)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Failure(422, "invalid_positions", "Positions must be a list")
    ids = []
    for entry in value:
        if not isinstance(entry, dict):
            raise Failure(422, "invalid_positions", 'Positions are objects {"id": <integer>}; bare ids are not accepted')
        found = entry.get("id")
        # bool is an int in Python, and a float would be truncated onto another position: both are refused.
        if type(found) is not int:
            raise Failure(422, "invalid_positions", f"A position id must be an integer, not {found!r}")
        ids.append(found)
    return ids


def page(records: list, request: Request, render) -> Response:
    """A `limit`/`offset` page sorted by `createdAt`, with `meta.totalItemCount` (§7)."""
    sort = request.arg("sort", "-createdAt").strip()
    if sort.lstrip("+-") != "createdAt":
        raise Failure(400, "invalid_sort", "sort must be -createdAt or +createdAt")
    limit, offset = paging(request)
    records = sorted(records, key=lambda r: (r.created_at, r.id), reverse=sort.startswith("-"))
    return ok([render(r) for r in records[offset : offset + limit]], totalItemCount=len(records))


# --- auth host -----------------------------------------------------------------------------------


def create_channel(sim: Simulator, request: Request) -> Response:
    # JSON is what clients should send; one public client sends a form and Miinto accepts it (§2).
    if "form" in request.header("content-type"):
        body = dict(parse_qsl(request.body.decode()))
    else:
        body = body_object(request)
    channel, account = sim.state.login(str(body.get("identifier") or ""), str(body.get("secret") or ""))
    return ok(
        {
            "id": channel.id,
            "token": channel.token,
            "accessorId": account.accessor_id,
            "privileges": sim.state.privileges(account),
        },
        version="1.0",
    )


def read_channel(sim: Simulator, request: Request) -> Response:
    channel = channel_of(sim, request)
    if unquote(request.params["channel_id"]) != channel.id:
        raise Failure(403, "forbidden", "A channel may only read itself")
    account = sim.state.accounts[channel.username]
    return ok({"id": channel.id, "accessorId": account.accessor_id, "privileges": sim.state.privileges(account)}, version="1.0")


def status(sim: Simulator, request: Request) -> Response:
    return ok({"status": "ok"}, version="1.0")


# --- shops and transfers -------------------------------------------------------------------------


def read_shop(sim: Simulator, request: Request) -> Response:
    shop = shop_of(sim, request)
    return ok({"id": shop.id, "name": shop.name})


def list_transfers(sim: Simulator, request: Request) -> Response:
    shop, wanted = shop_of(sim, request), statuses(request, TRANSFER_STATUSES)
    found = [t for t in sim.state.transfers.values() if t.shop_id == shop.id and (not wanted or t.status in wanted)]
    return page(found, request, wire.transfer_summary)


def read_transfer(sim: Simulator, request: Request) -> Response:
    return ok(wire.transfer_detail(sim.state.transfer_in(shop_of(sim, request), int(request.params["transfer_id"]))))


def decide_transfer(sim: Simulator, request: Request) -> Response:
    body = body_object(request)
    transfer = sim.state.decide_transfer(
        shop_of(sim, request),
        int(request.params["transfer_id"]),
        position_ids(body.get("acceptedPositions")),
        position_ids(body.get("declinedPositions")),
        source="api",
    )
    return ok(wire.transfer_detail(transfer))


# --- orders and shipping -------------------------------------------------------------------------


def list_orders(sim: Simulator, request: Request) -> Response:
    shop, wanted = shop_of(sim, request), statuses(request, ORDER_STATUSES)
    found = [o for o in sim.state.orders.values() if o.shop_id == shop.id and (not wanted or o.status in wanted)]
    return page(found, request, wire.order)


def read_order(sim: Simulator, request: Request) -> Response:
    return ok(wire.order(sim.state.order_in(shop_of(sim, request), int(request.params["order_id"]))))


def order_shipping_providers(sim: Simulator, request: Request) -> Response:
    order = sim.state.order_in(shop_of(sim, request), int(request.params["order_id"]))
    return ok([{"id": p.id, "name": p.name} for p in sim.state.order_providers(order)])


def shop_shipping_providers(sim: Simulator, request: Request) -> Response:
    return ok([{"id": p.id, "name": p.name} for p in providers_for(shop_of(sim, request).market.code)])


def create_shipment(sim: Simulator, request: Request) -> Response:
    body = body_object(request)
    positions = body.get("positions")
    shipment, created = sim.state.create_shipment(
        shop_of(sim, request),
        int(request.params["order_id"]),
        str(body.get("shippingProviderId") or ""),
        str(body.get("trackAndTrace") or ""),
        None if positions is None else position_ids(positions),
    )
    return ok(wire.shipment(shipment), 201 if created else 200)


def read_label(sim: Simulator, request: Request) -> Response:
    pdf = sim.state.label(shop_of(sim, request), int(request.params["order_id"]))
    return Response(200, pdf, {"Content-Type": "application/pdf"})


# --- returns -------------------------------------------------------------------------------------


def list_returns(sim: Simulator, request: Request) -> Response:
    shop, wanted = shop_of(sim, request), statuses(request, RETURN_STATUSES)
    sim.state.check_returns_allowed(shop)
    found = [r for r in sim.state.returns.values() if r.shop_id == shop.id and (not wanted or r.status in wanted)]
    return page(found, request, wire.return_)


def read_return(sim: Simulator, request: Request) -> Response:
    return ok(wire.return_(sim.state.return_in(shop_of(sim, request), int(request.params["return_id"]))))


def decide_return(sim: Simulator, request: Request) -> Response:
    shop, body = shop_of(sim, request), body_object(request)
    decided = sim.state.decide_return(shop, int(request.params["return_id"]), str(body.get("status")), body.get("reason"))
    return ok(wire.return_(decided))


def create_rma_request(sim: Simulator, request: Request) -> Response:
    shop, body = shop_of(sim, request), body_object(request)
    if not sim.state.rma_requests_supported:
        raise Failure(405, "method_not_allowed", "Merchant-created returns are not supported")
    positions = body.get("positions")
    if not isinstance(positions, list) or not all(isinstance(p, dict) for p in positions):
        raise Failure(422, "invalid_positions", "positions must be a list of {orderPositionId, quantity}")
    created = sim.state.create_return(shop, int(body["orderId"]), positions, origin="merchant", reason=body.get("reason"))
    sim.state.effects["rmaRequests"].append({"shopId": shop.id, **wire.return_(created)})
    return ok(wire.return_(created), 201)


# --- stock and product map -----------------------------------------------------------------------


def push_stock(sim: Simulator, request: Request) -> Response:
    items = request.json()
    if not isinstance(items, list):
        raise Failure(400, "bad_request", "The body must be a JSON array of items")
    updated, unknown = sim.state.push_stock(shop_of(sim, request), items)
    return ok({"updated": updated, "unknown": unknown})


def product_map(sim: Simulator, request: Request) -> Response:
    shop = sim.state.shop_for(channel_of(sim, request), request.arg("unifiedLocationId") or "")
    rows = sim.state.product_map(shop)
    return ok(rows, totalItemCount=len(rows))


SHOP = "/order/shops/{shop_id}"
NONE: frozenset[str] = frozenset()
# (method, pattern, handler, the query parameters it takes)
ROUTES = [
    ("POST", "/auth/channels", create_channel, NONE),
    ("GET", "/auth/channels/{channel_id}", read_channel, NONE),
    ("GET", "/auth/status", status, NONE),
    ("GET", SHOP, read_shop, NONE),
    ("GET", f"{SHOP}/transfers", list_transfers, LIST_PARAMETERS),
    ("GET", f"{SHOP}/transfers/{{transfer_id}}", read_transfer, NONE),
    ("PATCH", f"{SHOP}/transfers/{{transfer_id}}", decide_transfer, NONE),
    ("GET", f"{SHOP}/orders", list_orders, LIST_PARAMETERS),
    ("GET", f"{SHOP}/orders/{{order_id}}", read_order, NONE),
    ("POST", f"{SHOP}/orders/{{order_id}}/shipments", create_shipment, NONE),
    ("GET", f"{SHOP}/orders/{{order_id}}/labels", read_label, NONE),
    ("GET", f"{SHOP}/shipping-providers", shop_shipping_providers, NONE),
    ("GET", f"{SHOP}/shipping-providers/orders/{{order_id}}", order_shipping_providers, NONE),
    ("GET", f"{SHOP}/returns", list_returns, LIST_PARAMETERS),
    ("POST", f"{SHOP}/returns", create_rma_request, NONE),
    ("GET", f"{SHOP}/returns/{{return_id}}", read_return, NONE),
    ("PATCH", f"{SHOP}/returns/{{return_id}}", decide_return, NONE),
    ("PATCH", "/stock/locations/{shop_id}/items", push_stock, NONE),
    ("GET", "/pc/productmaps", product_map, frozenset({"unifiedLocationId"})),
]


def _taking(handler, parameters: frozenset[str]):
    """The handler behind a check that the query names only `parameters`."""

    def checked(sim: Simulator, request: Request) -> Response:
        check_parameters(request, parameters)
        return handler(sim, request)

    return checked


def register(sim: Simulator) -> None:
    for method, pattern, handler, parameters in ROUTES:
        sim.route(method, pattern, _taking(handler, parameters))
