"""The simulator's `/_sandbox/` control API: seed scenarios, play Miinto's side, and read back what the client did.

Never signed and never used by `MiintoClient`; tests, the demo and the benchmarks drive it.
"""

from __future__ import annotations

from koongo.sandbox_kit import Request, Response, SandboxError, json_response
from miinto.sandbox import wire
from miinto.sandbox.demo import DEMO_CATALOG, demo_transfer_lines
from miinto.sandbox.host import Simulator
from miinto.sandbox.state import Shop

SCENARIOS = ("empty", "demo")


def _body(request: Request) -> dict:
    body = request.json() or {}
    if not isinstance(body, dict):
        raise SandboxError(400, "the body must be a JSON object")
    return body


def _shop(sim: Simulator, shop_id: str | None) -> Shop:
    shop = sim.state.shops.get(shop_id or "")
    if shop is None:
        raise SandboxError(404, f"no shop {shop_id!r}")
    return shop


def summary(sim: Simulator, request: Request | None = None) -> Response:
    """What is loaded: the seed, the scenario, accounts with their shops, and counts."""
    state = sim.state
    accounts = [
        {
            "username": account.username,
            "privileges": account.privileges_shape,
            "shops": [
                {
                    "id": s,
                    "name": state.shops[s].name,
                    "market": state.shops[s].market.code,
                    "currency": state.shops[s].market.currency,
                }
                for s in account.shop_ids
            ],
        }
        for account in state.accounts.values()
    ]
    counts = {
        "transfers": len(state.transfers),
        "orders": len(state.orders),
        "returns": len(state.returns),
        "channels": len(state.channels),
    }
    return json_response({"seed": sim.seed, "scenario": sim.scenario, "accounts": accounts, "counts": counts})


def load_scenario(sim: Simulator, request: Request) -> Response:
    """`{name: "demo"|"empty", transfers, seed}`: reset and load; `POST /_sandbox/reset` reloads it later."""
    body = _body(request)
    name = body.get("name", "demo")
    if name not in SCENARIOS:
        raise SandboxError(400, f"scenario must be one of {SCENARIOS}")
    sim.scenario, sim.scenario_transfers = name, int(body.get("transfers", 0))
    sim.reset(body.get("seed"))
    return summary(sim)


def create_account(sim: Simulator, request: Request) -> Response:
    """`{username, password, shops: [{market, name?, localId?}], privileges?: both|global|market, catalog?: [items]}`."""
    body = _body(request)
    account = sim.state.add_account(body["username"], body["password"], body["shops"], body.get("privileges", "both"))
    for shop_id in account.shop_ids:
        sim.state.load_catalog(shop_id, body.get("catalog") or [])
    return json_response({"username": account.username, "shops": account.shop_ids}, 201)


def create_transfers(sim: Simulator, request: Request) -> Response:
    """`{shopId, count?, positions?: [{gtin, price, quantity}], createdAt?}`: N transfers; random catalog lines if no positions."""
    body = _body(request)
    shop = _shop(sim, body.get("shopId"))
    created = []
    for _ in range(int(body.get("count", 1))):
        lines = body.get("positions") or _priced_lines(sim, shop)
        created.append(sim.state.create_transfer(shop.id, lines, body.get("createdAt")))
    return json_response({"transfers": [wire.transfer_detail(t) for t in created]}, 201)


def _priced_lines(sim: Simulator, shop: Shop) -> list[dict]:
    sold_here = [item for item in DEMO_CATALOG if item["gtin"] in shop.catalog]
    if not sold_here:
        raise SandboxError(400, "random transfers need the demo catalog in this shop; give positions instead")
    return demo_transfer_lines(sim.state.random, shop.market.currency, sold_here)


def decide_in_miinto(sim: Simulator, request: Request) -> Response:
    """`{accepted: [ids], declined: [ids]}`: a decision made in Miinto's own back office, seen by `GET /transfers/{id}`."""
    body = _body(request)
    transfer = sim.state.transfers.get(int(request.params["transfer_id"]))
    if transfer is None:
        raise SandboxError(404, "no such transfer")
    shop = sim.state.shops[transfer.shop_id]
    sim.state.decide_transfer(
        shop, transfer.id, list(body.get("accepted") or []), list(body.get("declined") or []), source="miinto"
    )
    return json_response(wire.transfer_detail(transfer))


def create_customer_return(sim: Simulator, request: Request) -> Response:
    """`{shopId, orderId, positions: [{orderPositionId, quantity, reason?}], reason?, customerComment?}`: a pending return."""
    body = _body(request)
    created = sim.state.create_return(
        _shop(sim, body.get("shopId")),
        int(body["orderId"]),
        body.get("positions") or [],
        origin="customer",
        reason=body.get("reason"),
        customer_comment=body.get("customerComment"),
    )
    return json_response(wire.return_(created), 201)


def decide_return_in_miinto(sim: Simulator, request: Request) -> Response:
    """`{status, reason?}`: the merchant accepts or declines a return in Miinto's own back office."""
    body = _body(request)
    found = sim.state.returns.get(int(request.params["return_id"]))
    if found is None:
        raise SandboxError(404, "no such return")
    shop = sim.state.shops[found.shop_id]
    decided = sim.state.decide_return(shop, found.id, str(body.get("status")), body.get("reason"), source="miinto")
    return json_response(wire.return_(decided))


def expire_tokens(sim: Simulator, request: Request) -> Response:
    """`{channelId?}`: expire one channel's token, or all; the next signed call answers 401 `token_expired`."""
    return json_response({"expired": sim.state.expire_tokens(_body(request).get("channelId"))})


def labels_ready(sim: Simulator, request: Request) -> Response:
    """`{orderIds?}`: make labels available now instead of after the label delay."""
    return json_response({"ready": sim.state.make_labels_ready(_body(request).get("orderIds"))})


def settings(sim: Simulator, request: Request) -> Response:
    """`{labelDelaySeconds?, tokenTtlSeconds?, rmaRequestsSupported?}`: label delay, token lifetime, and whether
    `POST /returns` exists (false: it answers 405)."""
    body = _body(request)
    if "rmaRequestsSupported" in body:
        sim.state.rma_requests_supported = bool(body["rmaRequestsSupported"])
    if "labelDelaySeconds" in body:
        sim.label_delay = sim.state.label_delay = float(body["labelDelaySeconds"])
    if "tokenTtlSeconds" in body:
        ttl = body["tokenTtlSeconds"]
        sim.token_ttl = sim.state.token_ttl = None if ttl is None else float(ttl)
    return json_response(
        {
            "labelDelaySeconds": sim.state.label_delay,
            "tokenTtlSeconds": sim.state.token_ttl,
            "rmaRequestsSupported": sim.state.rma_requests_supported,
        }
    )


def effects(sim: Simulator, request: Request) -> Response:
    """Everything the client did: logins, decisions, shipments, RMA requests, return decisions, stock pushes."""
    return json_response(sim.state.effects)


def stock_levels(sim: Simulator, request: Request) -> Response:
    shop = _shop(sim, request.arg("shopId"))
    levels = [{"group": g, "brand": b, "color": c, "size": s, "stock": n} for (g, b, c, s), n in sorted(shop.stock.items())]
    return json_response({"shopId": shop.id, "items": levels})


def orders(sim: Simulator, request: Request) -> Response:
    shop_id = request.arg("shopId")
    return json_response({"orders": [wire.order(o) for o in sim.state.orders.values() if shop_id in (None, o.shop_id)]})


ROUTES = [
    ("GET", "/_sandbox/summary", summary),
    ("POST", "/_sandbox/scenario", load_scenario),
    ("POST", "/_sandbox/accounts", create_account),
    ("POST", "/_sandbox/transfers", create_transfers),
    ("POST", "/_sandbox/transfers/{transfer_id}/decide", decide_in_miinto),
    ("POST", "/_sandbox/returns", create_customer_return),
    ("POST", "/_sandbox/returns/{return_id}/decide", decide_return_in_miinto),
    ("POST", "/_sandbox/tokens/expire", expire_tokens),
    ("POST", "/_sandbox/labels/ready", labels_ready),
    ("POST", "/_sandbox/settings", settings),
    ("GET", "/_sandbox/effects", effects),
    ("GET", "/_sandbox/stock", stock_levels),
    ("GET", "/_sandbox/orders", orders),
]


def register(sim: Simulator) -> None:
    for method, pattern, handler in ROUTES:
        sim.route(method, pattern, handler)
