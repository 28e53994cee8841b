"""The simulated Miinto's memory and rules: accounts, channels, shops, transfers, orders, shipments, returns, stock.

Plain data and the operations Miinto would refuse or apply. Callers hold the simulator's lock; a refusal
raises `Failure` with the HTTP status and `meta.code` Miinto answers with (§11).
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from miinto.markets import MARKETS, Market, shop_id_for
from miinto.sandbox.fixtures import Provider, fake_customer, providers_for
from miinto.sandbox.pdf import label_pdf
from miinto.sandbox.signatures import ReplayGuard

STOCK_BATCH_LIMIT = 500
PRIVILEGE_SHAPES = ("both", "global", "market")


class Failure(Exception):
    """A refusal in Miinto's words: HTTP status, `meta.code` and `meta.message`."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Account:
    username: str
    password: str
    accessor_id: int
    shop_ids: list[str]
    privileges_shape: str = "both"


@dataclass
class Channel:
    id: str
    token: str
    username: str
    accessor_id: int
    issued_at: float
    expired: bool = False


@dataclass
class CatalogItem:
    """One feed row as Product Centre knows it."""

    gtin: str
    feed_id: str
    group: str
    brand: str
    color: str
    size: str
    name: str
    miinto_item_id: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.group, self.brand, self.color, self.size)


@dataclass
class Shop:
    id: str
    name: str
    market: Market
    username: str
    catalog: dict[str, CatalogItem] = field(default_factory=dict)  # by gtin
    stock: dict[tuple[str, str, str, str], int] = field(default_factory=dict)


@dataclass
class Position:
    id: int
    quantity: int
    price: int  # unit price in minor units, VAT included
    gtin: str | None
    name: str
    brand: str
    product_id: str | None
    status: str = "pending"


@dataclass
class Transfer:
    id: int
    shop_id: str
    created_at: float
    positions: list[Position]
    order_id: int | None = None

    @property
    def status(self) -> str:
        return "pending" if any(p.status == "pending" for p in self.positions) else "decided"


@dataclass
class Shipment:
    id: int
    provider_id: str
    track_and_trace: str
    position_ids: tuple[int, ...]


@dataclass
class Order:
    id: int
    shop_id: str
    transfer_id: int
    parent_id: int
    created_at: float
    currency: str
    positions: list[Position]
    billing: dict
    delivery: dict
    initial_provider_id: str
    label_ready_at: float
    shipments: list[Shipment] = field(default_factory=list)

    @property
    def sent_position_ids(self) -> set[int]:
        return {pid for shipment in self.shipments for pid in shipment.position_ids}

    @property
    def status(self) -> str:
        return "sent" if {p.id for p in self.positions} <= self.sent_position_ids else "accepted"


@dataclass
class ReturnPosition:
    id: int
    order_position_id: int
    quantity: int
    price: int
    currency: str
    reason: str | None


@dataclass
class Return:
    id: int
    shop_id: str
    order_id: int
    status: str
    origin: str
    created_at: float
    reason: str | None
    customer_comment: str | None
    positions: list[ReturnPosition]
    decision_reason: str | None = None


def _first_ids(rng: random.Random) -> dict[str, Iterator[int]]:
    """Id sequences that start somewhere seeded, so ids look real and differ between seeds."""
    return {
        "accessor": itertools.count(rng.randint(20_000, 29_999)),
        "shop": itertools.count(rng.randint(1_000, 1_999)),
        "transfer": itertools.count(rng.randint(700_000, 799_999)),
        "position": itertools.count(rng.randint(1_000_000, 1_999_999)),
        "order": itertools.count(rng.randint(300_000, 399_999)),
        "parent": itertools.count(rng.randint(9_000_000, 9_999_999)),
        "return": itertools.count(rng.randint(50_000, 59_999)),
        "shipment": itertools.count(rng.randint(8_000, 8_999)),
    }


class MiintoState:
    """Everything the simulated Miinto holds, plus a log of the effects our client caused (for tests to assert)."""

    def __init__(self, seed: int, clock: Callable[[], float], *, label_delay: float = 0.0, token_ttl: float | None = None):
        self.random = random.Random(seed)
        self.clock = clock
        self.label_delay = label_delay
        self.token_ttl = token_ttl
        self.ids = _first_ids(self.random)
        self.accounts: dict[str, Account] = {}
        self.channels: dict[str, Channel] = {}
        self.shops: dict[str, Shop] = {}
        self.transfers: dict[int, Transfer] = {}
        self.orders: dict[int, Order] = {}
        self.returns: dict[int, Return] = {}
        self.replays = ReplayGuard()
        self.effects: dict[str, list] = {
            "logins": [],
            "decisions": [],
            "shipments": [],
            "rmaRequests": [],
            "returnDecisions": [],
            "stockPushes": [],
            # Not a client call: the e-mails Miinto sends the buyer when a return is accepted or declined.
            "buyerEmails": [],
        }
        # Off: `POST /returns` answers 405, as it would if Miinto never offered merchant-created returns (§11).
        self.rma_requests_supported = True

    def next_id(self, kind: str) -> int:
        return next(self.ids[kind])

    # --- accounts, channels, shops ---------------------------------------------------------------

    def add_account(self, username: str, password: str, shops: Iterable[Mapping], privileges_shape: str = "both") -> Account:
        """An account with shop locations; each shop is `{market, name}` and optionally `localId`."""
        if privileges_shape not in PRIVILEGE_SHAPES:
            raise ValueError(f"privileges shape must be one of {PRIVILEGE_SHAPES}")
        account = Account(username, password, self.next_id("accessor"), [], privileges_shape)
        for spec in shops:
            market = MARKETS[spec["market"]]
            shop_id = shop_id_for(market.code, spec.get("localId") or self.next_id("shop"))
            self.shops[shop_id] = Shop(shop_id, spec.get("name") or f"{username} {market.name}", market, username)
            account.shop_ids.append(shop_id)
        self.accounts[username] = account
        return account

    def load_catalog(self, shop_id: str, items: Iterable[Mapping]) -> None:
        """Feed rows the shop sells, as dicts with gtin, sku, group, brand, color, size and title."""
        shop = self.shops[shop_id]
        for item in items:
            item_id = str(uuid.UUID(int=self.random.getrandbits(128), version=4))
            shop.catalog[item["gtin"]] = CatalogItem(
                item["gtin"], item["sku"], item["group"], item["brand"], item["color"], item["size"], item["title"], item_id
            )

    def login(self, identifier: str, secret: str) -> tuple[Channel, Account]:
        account = self.accounts.get(identifier)
        if account is None or not secret or secret != account.password:
            raise Failure(401, "invalid_credentials", "Invalid identifier or secret")
        rng = self.random
        channel_id = f"M!t!Ch!v1!{account.accessor_id:010d}-{rng.getrandbits(52):013x}-{rng.randint(100_000_000, 999_999_999)}"
        channel = Channel(channel_id, f"{rng.getrandbits(160):040x}", account.username, account.accessor_id, self.clock())
        self.channels[channel_id] = channel
        self.effects["logins"].append({"channelId": channel_id, "username": account.username})
        return channel, account

    def token_expired(self, channel: Channel) -> bool:
        return channel.expired or (self.token_ttl is not None and self.clock() > channel.issued_at + self.token_ttl)

    def expire_tokens(self, channel_id: str | None = None) -> int:
        expired = [c for c in self.channels.values() if channel_id in (None, c.id)]
        for channel in expired:
            channel.expired = True
        return len(expired)

    def privileges(self, account: Account) -> dict:
        """Login `privileges` in the shapes of §3: `__GLOBAL__.Store` keys and per-market `ShopAdmin` keys."""
        store = {shop_id: ["Order:read", "Order:write", "Stock:write"] for shop_id in account.shop_ids}
        per_market: dict[str, dict] = {}
        for shop_id in account.shop_ids:
            shop = self.shops[shop_id]
            per_market.setdefault(f"Miinto-{shop.market.code}", {"ShopAdmin": {}})["ShopAdmin"][shop_id] = {"name": shop.name}
        # Readers that skip the first key (LUP) expect __GLOBAL__ there, so it stays first even when empty.
        global_scope = {"Store": store} if account.privileges_shape in ("both", "global") else {}
        return {"__GLOBAL__": global_scope, **(per_market if account.privileges_shape in ("both", "market") else {})}

    def shop_for(self, channel: Channel, shop_id: str) -> Shop:
        shop = self.shops.get(shop_id)
        if shop is None:
            raise Failure(404, "not_found", f"Shop {shop_id} not found")
        if shop.username != channel.username:
            raise Failure(403, "forbidden", f"Shop {shop_id} is not managed by this channel")
        return shop

    # --- transfers and orders --------------------------------------------------------------------

    def create_transfer(self, shop_id: str, lines: Iterable[Mapping], created_at: float | None = None) -> Transfer:
        """A transfer offering `lines` (`{gtin, price, quantity}`, price in minor units) to a shop."""
        shop = self.shops[shop_id]
        positions = []
        for line in lines:
            item = shop.catalog.get(line.get("gtin") or "")
            positions.append(
                Position(
                    id=self.next_id("position"),
                    quantity=int(line.get("quantity", 1)),
                    price=int(line["price"]),
                    gtin=line.get("gtin"),
                    name=item.name if item else line.get("name", "Unknown item"),
                    brand=item.brand if item else line.get("brand", "Unknown"),
                    product_id=item.miinto_item_id if item else None,
                )
            )
        if not positions:
            raise ValueError("a transfer needs at least one position")
        transfer = Transfer(self.next_id("transfer"), shop_id, self.clock() if created_at is None else created_at, positions)
        self.transfers[transfer.id] = transfer
        return transfer

    def transfer_in(self, shop: Shop, transfer_id: int) -> Transfer:
        transfer = self.transfers.get(transfer_id)
        if transfer is None or transfer.shop_id != shop.id:
            raise Failure(404, "not_found", f"Transfer {transfer_id} not found")
        return transfer

    def decide_transfer(self, shop: Shop, transfer_id: int, accepted: list[int], declined: list[int], source: str) -> Transfer:
        """Apply a decision atomically: any position already decided refuses the whole call with 409 `decided`."""
        transfer = self.transfer_in(shop, transfer_id)
        named = accepted + declined
        if not named:
            raise Failure(422, "no_positions", "Name at least one accepted or declined position")
        if len(set(named)) != len(named):
            raise Failure(422, "invalid_positions", "A position is named more than once")
        by_id = {p.id: p for p in transfer.positions}
        unknown = [pid for pid in named if pid not in by_id]
        if unknown:
            raise Failure(422, "unknown_position", f"Positions {unknown} are not in transfer {transfer_id}")
        decided = [pid for pid in named if by_id[pid].status != "pending"]
        if decided:
            raise Failure(409, "decided", f"Positions {decided} were already decided")
        for pid in accepted:
            by_id[pid].status = "accepted"
        for pid in declined:
            by_id[pid].status = "declined"
        if accepted:
            self._add_to_order(shop, transfer, [by_id[pid] for pid in accepted])
        self.effects["decisions"].append(
            {
                "shopId": shop.id,
                "transferId": transfer.id,
                "accepted": accepted,
                "declined": declined,
                "orderId": transfer.order_id,
                "source": source,
            }
        )
        return transfer

    def _add_to_order(self, shop: Shop, transfer: Transfer, positions: list[Position]) -> None:
        """All accepted positions of a transfer go to one order, created by the first acceptance (§11)."""
        copies = [dataclasses.replace(p) for p in positions]
        if transfer.order_id is not None:
            self.orders[transfer.order_id].positions.extend(copies)
            return
        billing, delivery = fake_customer(self.random, shop.market.code)
        now = self.clock()
        order = Order(
            id=self.next_id("order"),
            shop_id=shop.id,
            transfer_id=transfer.id,
            parent_id=self.next_id("parent"),
            created_at=now,
            currency=shop.market.currency,
            positions=copies,
            billing=billing,
            delivery=delivery,
            initial_provider_id=providers_for(shop.market.code, delivery["type"])[0].id,
            label_ready_at=now + self.label_delay,
        )
        self.orders[order.id] = order
        transfer.order_id = order.id

    def order_in(self, shop: Shop, order_id: int) -> Order:
        order = self.orders.get(order_id)
        if order is None or order.shop_id != shop.id:
            raise Failure(404, "not_found", f"Order {order_id} not found")
        return order

    def order_providers(self, order: Order) -> list[Provider]:
        return providers_for(self.shops[order.shop_id].market.code, order.delivery["type"])

    def create_shipment(
        self, shop: Shop, order_id: int, provider_id: str, track_and_trace: str, position_ids: list[int] | None
    ) -> tuple[Shipment, bool]:
        """Mark positions as sent; the same tracking number for the same positions returns the first shipment."""
        order = self.order_in(shop, order_id)
        if provider_id not in {p.id for p in self.order_providers(order)}:
            raise Failure(422, "unknown_provider", f"Shipping provider {provider_id!r} is not allowed for order {order_id}")
        if not track_and_trace:
            raise Failure(422, "track_and_trace_required", "trackAndTrace is required")
        ids = tuple(sorted(p.id for p in order.positions)) if position_ids is None else tuple(sorted(position_ids))
        for shipment in order.shipments:
            if shipment.track_and_trace == track_and_trace and shipment.position_ids == ids:
                self._record_shipment(shop, order, shipment, created=False)
                return shipment, False
        unknown = sorted(set(ids) - {p.id for p in order.positions})
        if not ids or unknown:
            raise Failure(422, "unknown_position", f"Positions {unknown} are not in order {order_id}")
        already = sorted(set(ids) & order.sent_position_ids)
        if already:
            raise Failure(409, "already_sent", f"Positions {already} were already sent")
        shipment = Shipment(self.next_id("shipment"), provider_id, track_and_trace, ids)
        order.shipments.append(shipment)
        self._record_shipment(shop, order, shipment, created=True)
        return shipment, True

    def _record_shipment(self, shop: Shop, order: Order, shipment: Shipment, *, created: bool) -> None:
        self.effects["shipments"].append(
            {
                "shopId": shop.id,
                "orderId": order.id,
                "shipmentId": shipment.id,
                "providerId": shipment.provider_id,
                "trackAndTrace": shipment.track_and_trace,
                "positions": list(shipment.position_ids),
                "created": created,
            }
        )

    def label(self, shop: Shop, order_id: int) -> bytes:
        order = self.order_in(shop, order_id)
        if self.clock() < order.label_ready_at:
            raise Failure(404, "label_not_ready", f"No label for order {order_id} yet")
        address = order.delivery["address"]
        provider = next(
            (p.name for p in self.order_providers(order) if p.id == order.initial_provider_id), order.initial_provider_id
        )
        return label_pdf(
            [
                f"{provider} - Miinto order {order.parent_id}",
                f"Merchant order {order.id}",
                order.delivery["name"],
                address["street"],
                f"{address['postcode']} {address['city']}",
                address["countryCode"],
                f"Parcels: {sum(p.quantity for p in order.positions)}",
            ]
        )

    def make_labels_ready(self, order_ids: Iterable[int] | None = None) -> int:
        wanted = set(order_ids) if order_ids is not None else None
        ready = [o for o in self.orders.values() if wanted is None or o.id in wanted]
        for order in ready:
            order.label_ready_at = min(order.label_ready_at, self.clock())
        return len(ready)

    # --- returns ---------------------------------------------------------------------------------

    def check_returns_allowed(self, shop: Shop) -> None:
        if shop.market.code == "CN":
            raise Failure(422, "cn_returns", "Returns for CN shops are handled by Miinto Partner Support")

    def return_in(self, shop: Shop, return_id: int) -> Return:
        self.check_returns_allowed(shop)
        found = self.returns.get(return_id)
        if found is None or found.shop_id != shop.id:
            raise Failure(404, "not_found", f"Return {return_id} not found")
        return found

    def create_return(
        self,
        shop: Shop,
        order_id: int,
        lines: list[Mapping],
        *,
        origin: str,
        reason: str | None = None,
        customer_comment: str | None = None,
    ) -> Return:
        """A return of order positions; more than was ordered minus what is already returned answers 422."""
        self.check_returns_allowed(shop)
        order = self.orders.get(order_id)
        if order is None or order.shop_id != shop.id:
            # 422, not 404: callers read a 404 on this endpoint as "RMA requests are not supported".
            raise Failure(422, "unknown_order", f"Order {order_id} is not an order of this shop")
        if not lines:
            raise Failure(422, "no_positions", "A return needs at least one position")
        by_id = {p.id: p for p in order.positions}
        wanted: dict[int, int] = {}
        for line in lines:
            pid, quantity = int(line["orderPositionId"]), int(line["quantity"])
            if pid not in by_id:
                raise Failure(422, "unknown_position", f"Position {pid} is not in order {order_id}")
            if quantity <= 0:
                raise Failure(422, "invalid_quantity", f"Quantity for position {pid} must be positive")
            wanted[pid] = wanted.get(pid, 0) + quantity
        for pid, quantity in wanted.items():
            left = by_id[pid].quantity - self._returned(order, pid)
            if quantity > left:
                raise Failure(422, "quantity_exceeded", f"Position {pid} has {left} left to return, not {quantity}")
        positions = [
            ReturnPosition(
                self.next_id("position"),
                int(line["orderPositionId"]),
                int(line["quantity"]),
                by_id[int(line["orderPositionId"])].price,
                order.currency,
                line.get("reason") or reason,
            )
            for line in lines
        ]
        status = "pending" if origin == "customer" else "accepted"
        created = Return(
            self.next_id("return"), shop.id, order.id, status, origin, self.clock(), reason, customer_comment, positions
        )
        self.returns[created.id] = created
        if status == "accepted":
            self._email_buyer(created)
        return created

    def _returned(self, order: Order, position_id: int) -> int:
        return sum(
            rp.quantity
            for r in self.returns.values()
            if r.order_id == order.id and r.status != "declined"
            for rp in r.positions
            if rp.order_position_id == position_id
        )

    def decide_return(self, shop: Shop, return_id: int, status: str, reason: str | None, source: str = "api") -> Return:
        """Accept or decline a pending return; `source` "miinto" is a decision in Miinto's back office, not a client call."""
        found = self.return_in(shop, return_id)
        if status not in ("accepted", "declined"):
            raise Failure(422, "invalid_status", "status must be accepted or declined")
        if status == "declined" and not (reason or "").strip():
            raise Failure(422, "reason_required", "A reason is required to decline a return")
        if found.status != "pending":
            raise Failure(409, "not_pending", f"Return {return_id} is already {found.status}")
        found.status = status
        found.decision_reason = reason
        if source == "api":
            self.effects["returnDecisions"].append({"shopId": shop.id, "returnId": return_id, "status": status, "reason": reason})
        self._email_buyer(found)
        return found

    def _email_buyer(self, decided: Return) -> None:
        subject = f"Your return has been {decided.status}"
        self.effects["buyerEmails"].append(
            {"returnId": decided.id, "orderId": decided.order_id, "subject": subject, "reason": decided.decision_reason}
        )

    # --- stock and product map -------------------------------------------------------------------

    def push_stock(self, shop: Shop, items: list) -> tuple[int, list[dict]]:
        """Set absolute stock levels; answers how many were known and which were not."""
        if len(items) > STOCK_BATCH_LIMIT:
            raise Failure(413, "too_many_items", f"At most {STOCK_BATCH_LIMIT} items per call, got {len(items)}")
        keys = []
        for index, item in enumerate(items):
            fields = ("group", "brand", "color", "size")
            stock = item.get("stock") if isinstance(item, dict) else None
            if (
                not isinstance(stock, int)
                or isinstance(stock, bool)
                or stock < 0
                or not all(isinstance(item.get(f), str) for f in fields)
            ):
                raise Failure(422, "invalid_item", f"Item {index} needs an integer stock >= 0 and group, brand, color and size")
            keys.append((tuple(item[f] for f in fields), stock))
        known = {item.key for item in shop.catalog.values()}
        unknown = [dict(zip(("group", "brand", "color", "size"), key, strict=True)) for key, _ in keys if key not in known]
        for key, stock in keys:
            if key in known:
                shop.stock[key] = stock
        updated = len(keys) - len(unknown)
        self.effects["stockPushes"].append({"shopId": shop.id, "items": len(keys), "updated": updated, "unknown": unknown})
        return updated, unknown

    def product_map(self, shop: Shop) -> list[list[str]]:
        return [[item.group, item.feed_id, item.gtin, item.miinto_item_id] for item in shop.catalog.values()]
