"""One simulated Shopify shop: catalog, inventory, orders, fulfillments and refunds, with GraphQL-shaped views of them.

Views are dicts in the Admin API's field names; fields that take arguments are callables (see sandbox_graphql).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from koongo.sandbox_kit import LeakyBucket, SandboxError, group_catalog
from platforms.shopify.sandbox_graphql import connection, iso

CENT = Decimal("0.01")


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def number(value: str | None, kind: str) -> int | None:
    """The numeric id inside a gid of the given kind; None for anything else."""
    prefix = f"gid://shopify/{kind}/"
    if not isinstance(value, str) or not value.startswith(prefix) or not value[len(prefix) :].isdigit():
        return None
    return int(value[len(prefix) :])


def money(amount: Decimal, currency: str) -> dict:
    entry = {"amount": amount.quantize(CENT), "currencyCode": currency}
    return {"shopMoney": entry, "presentmentMoney": entry}


def _amount(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@dataclass
class Variant:
    id: int
    product_id: int
    inventory_item_id: int
    sku: str
    barcode: str | None
    title: str
    price: Decimal
    compare_at_price: Decimal | None
    options: list[tuple[str, str]]
    metafields: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass
class Product:
    id: int
    title: str
    vendor: str | None
    product_type: str | None
    image_url: str | None


@dataclass
class LineItem:
    id: int
    variant_id: int | None
    sku: str | None
    title: str
    quantity: int
    price: Decimal


@dataclass
class Transaction:
    id: int
    kind: str
    gateway: str
    amount: Decimal
    created_at: datetime
    parent_id: int | None = None
    status: str = "SUCCESS"


@dataclass
class Fulfillment:
    id: int
    name: str
    created_at: datetime
    updated_at: datetime
    tracking: list[dict]
    lines: list[tuple[int, int]]
    status: str = "SUCCESS"


@dataclass
class RefundItem:
    line_id: int
    quantity: int
    subtotal: Decimal
    restock_type: str
    location_id: int | None


@dataclass
class Refund:
    id: int
    created_at: datetime
    note: str | None
    items: list[RefundItem]
    shipping: Decimal
    transactions: list[Transaction]


@dataclass
class Order:
    id: int
    name: str
    currency: str
    source_identifier: str | None
    note: str | None
    email: str | None
    phone: str | None
    lines: list[LineItem]
    shipping_lines: list[tuple[str, Decimal]]
    transactions: list[Transaction]
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    addresses: dict = field(default_factory=dict)
    fulfillments: list[Fulfillment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)

    def line(self, line_id: int) -> LineItem:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise SandboxError(400, f"line item {line_id} is not on order {self.id}")

    def refunded(self, line_id: int) -> int:
        return sum(item.quantity for refund in self.refunds for item in refund.items if item.line_id == line_id)

    def fulfilled(self, line_id: int) -> int:
        return sum(q for f in self.fulfillments if f.status == "SUCCESS" for lid, q in f.lines if lid == line_id)

    def refundable(self, line: LineItem) -> int:
        return line.quantity - self.refunded(line.id)

    def unfulfilled(self, line: LineItem) -> int:
        return max(0, line.quantity - self.fulfilled(line.id) - self.refunded(line.id))


@dataclass
class Shop:
    """One shop's state. `next_id` is the simulator's shared id counter; `now` its clock."""

    domain: str
    name: str
    next_id: Callable[[], int]
    now: Callable[[], datetime]
    bucket: LeakyBucket
    currency: str = "DKK"
    taxes_included: bool = True
    tax_rate: Decimal = Decimal("0.25")
    installed_by: str | None = None
    tokens: dict[str, frozenset[str]] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    variants: dict[int, Variant] = field(default_factory=dict)
    locations: list[int] = field(default_factory=list)
    inventory: dict[tuple[int, int], int] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    webhooks: list[dict] = field(default_factory=list)
    metafield_definitions: list[dict] = field(default_factory=list)
    idempotency: dict[tuple[str, str], object] = field(default_factory=dict)

    def __post_init__(self):
        if not self.locations:
            self.locations.append(self.next_id())

    # --- catalog and inventory -------------------------------------------------------------------
    def seed(self, items: list[dict]) -> list[dict]:
        """Create products from demo catalog items; a seeded SKU that exists already is replaced."""
        created = []
        for entries in group_catalog(items).values():
            head = entries[0]
            product = Product(self.next_id(), head.title, head.brand, head.category, head.image_url)
            self.products[product.id] = product
            for entry in entries:
                self._drop_sku(entry.sku)
                options = [(name, value) for name, value in (("Color", entry.color), ("Size", entry.size)) if value]
                variant = Variant(
                    self.next_id(),
                    product.id,
                    self.next_id(),
                    entry.sku,
                    entry.gtin,
                    " / ".join(v for _, v in options) or "Default Title",
                    _amount(entry.price),
                    _amount(entry.compare_at_price) if entry.compare_at_price else None,
                    options,
                )
                self.variants[variant.id] = variant
                self.inventory[(variant.inventory_item_id, self.locations[0])] = entry.stock
                created.append(
                    {"sku": entry.sku, "product_id": gid("Product", product.id), "variant_id": gid("ProductVariant", variant.id)}
                )
        return created

    def _drop_sku(self, sku: str) -> None:
        for variant in [v for v in self.variants.values() if v.sku == sku]:
            del self.variants[variant.id]

    def variant_by_sku(self, sku: str) -> Variant:
        for variant in self.variants.values():
            if variant.sku == sku:
                return variant
        raise SandboxError(404, f"no variant with SKU {sku}")

    def available(self, variant: Variant) -> int:
        return sum(q for (item, _), q in self.inventory.items() if item == variant.inventory_item_id)

    def adjust(self, item_id: int, location_id: int, delta: int) -> int:
        if (item_id, location_id) not in self.inventory:
            raise SandboxError(400, f"inventory item {item_id} is not stocked at location {location_id}")
        self.inventory[(item_id, location_id)] += delta
        return self.inventory[(item_id, location_id)]

    def _stocked_location(self, variant: Variant) -> int:
        return next((loc for item, loc in self.inventory if item == variant.inventory_item_id), self.locations[0])

    # --- orders, fulfillments, refunds -----------------------------------------------------------
    def create_order(self, data: dict, options: dict) -> Order:
        now = self.now()
        currency = data.get("currency") or self.currency
        lines = []
        for raw in data.get("lineItems") or []:
            variant = self.variants.get(number(raw.get("variantId"), "ProductVariant")) if raw.get("variantId") else None
            if raw.get("variantId") and variant is None:
                raise SandboxError(422, "Variant not found")
            price = raw.get("priceSet", {}).get("shopMoney", {}).get("amount")
            lines.append(
                LineItem(
                    self.next_id(),
                    variant.id if variant else None,
                    variant.sku if variant else raw.get("sku"),
                    self.products[variant.product_id].title if variant else raw.get("title", ""),
                    int(raw["quantity"]),
                    _amount(price) if price is not None else (variant.price if variant else Decimal("0")),
                )
            )
        if not lines:
            raise SandboxError(422, "An order must have at least one line item")
        behaviour = (options or {}).get("inventoryBehaviour", "BYPASS")
        if behaviour != "BYPASS":
            for line in lines:
                variant = self.variants.get(line.variant_id)
                if variant is None:
                    continue
                if behaviour == "DECREMENT_OBEYING_POLICY" and self.available(variant) < line.quantity:
                    raise SandboxError(422, f"{variant.sku} is out of stock")
                self.adjust(variant.inventory_item_id, self._stocked_location(variant), -line.quantity)
        order = Order(
            self.next_id(),
            f"#{1000 + len(self.orders) + 1}",
            currency,
            data.get("sourceIdentifier"),
            data.get("note"),
            data.get("email"),
            data.get("phone"),
            lines,
            [
                (s.get("title", ""), _amount(s.get("priceSet", {}).get("shopMoney", {}).get("amount", "0")))
                for s in data.get("shippingLines") or []
            ],
            [],
            list(data.get("tags") or []),
            now,
            now,
            {"billing": data.get("billingAddress"), "shipping": data.get("shippingAddress")},
        )
        for raw in data.get("transactions") or []:
            order.transactions.append(
                Transaction(
                    self.next_id(),
                    raw.get("kind", "SALE"),
                    raw.get("gateway", "manual"),
                    _amount(raw.get("amountSet", {}).get("shopMoney", {}).get("amount", "0")),
                    now,
                    status=raw.get("status", "SUCCESS"),
                )
            )
        self.orders[order.id] = order
        return order

    def order(self, order_gid: str) -> Order:
        found = self.orders.get(number(order_gid, "Order"))
        if found is None:
            raise SandboxError(404, f"no order {order_gid}")
        return found

    def fulfil(self, order: Order, lines: list[tuple[int, int]], tracking: list[dict]) -> Fulfillment:
        for line_id, quantity in lines:
            if quantity > order.unfulfilled(order.line(line_id)):
                raise SandboxError(422, f"line item {line_id} has fewer than {quantity} unfulfilled")
        now = self.now()
        fulfillment = Fulfillment(self.next_id(), f"{order.name}-F{len(order.fulfillments) + 1}", now, now, tracking, lines)
        order.fulfillments.append(fulfillment)
        order.updated_at = now
        return fulfillment

    def suggest_refund(self, order: Order, items: list[dict], shipping: Decimal) -> dict:
        """Amounts for refunding `items` ([{lineItemId, quantity}]) and `shipping`, as suggestedRefund computes them."""
        lines = []
        for item in items:
            line = order.line(number(item["lineItemId"], "LineItem"))
            quantity = min(int(item["quantity"]), order.refundable(line))
            lines.append((line, quantity, (line.price * quantity).quantize(CENT)))
        subtotal = sum((total for _, _, total in lines), Decimal("0"))
        amount = subtotal + shipping
        tax = (subtotal - subtotal / (1 + self.tax_rate)).quantize(CENT, ROUND_HALF_UP)
        sale = next((t for t in order.transactions if t.kind == "SALE" and t.status == "SUCCESS"), None)
        suggested = []
        if sale is not None:
            refundable = sale.amount - sum((t.amount for r in order.refunds for t in r.transactions), Decimal("0"))
            suggested.append(
                {
                    "gateway": sale.gateway,
                    "kind": "SUGGESTED_REFUND",
                    "parentTransaction": {"id": gid("OrderTransaction", sale.id), "gateway": sale.gateway},
                    "amountSet": money(min(amount, refundable), order.currency),
                }
            )
        return {
            "amountSet": money(amount, order.currency),
            "subtotalSet": money(subtotal, order.currency),
            "totalTaxSet": money(tax, order.currency),
            "maximumRefundableSet": money(sale.amount if sale else Decimal("0"), order.currency),
            "shipping": {"amountSet": money(shipping, order.currency)},
            "refundLineItems": [
                {"quantity": quantity, "lineItem": self.line_view(order, line), "subtotalSet": money(total, order.currency)}
                for line, quantity, total in lines
            ],
            "suggestedTransactions": suggested,
        }

    def refund(self, order: Order, items: list[dict], shipping: Decimal, note: str | None, transactions: list[dict]) -> Refund:
        """Record a refund: items are [{lineItemId, quantity, restockType, locationId?}]; restocking moves inventory."""
        now = self.now()
        recorded = []
        for item in items:
            line = order.line(number(item["lineItemId"], "LineItem"))
            quantity = int(item["quantity"])
            if quantity < 1 or quantity > order.refundable(line):
                raise SandboxError(422, f"Quantity cannot refund more items than were purchased ({line.sku})")
            restock = item.get("restockType", "NO_RESTOCK")
            location = number(item.get("locationId"), "Location")
            if restock == "RETURN" and location is None:
                raise SandboxError(422, "A location is required to restock a returned item")
            variant = self.variants.get(line.variant_id)
            if restock in ("RETURN", "CANCEL") and variant is not None:
                self.adjust(variant.inventory_item_id, location or self._stocked_location(variant), quantity)
            recorded.append(RefundItem(line.id, quantity, (line.price * quantity).quantize(CENT), restock, location))
        moved = []
        for raw in transactions:
            parent = number(raw.get("parentId"), "OrderTransaction")
            if not any(t.id == parent for t in order.transactions):
                raise SandboxError(422, "The parent transaction does not belong to this order")
            moved.append(
                Transaction(self.next_id(), "REFUND", raw.get("gateway") or "manual", _amount(raw["amount"]), now, parent)
            )
        refund = Refund(self.next_id(), now, note, recorded, shipping, moved)
        order.refunds.append(refund)
        order.updated_at = now
        return refund

    # --- GraphQL views ---------------------------------------------------------------------------
    def shop_view(self) -> dict:
        return {
            "__typename": "Shop",
            "id": gid("Shop", 1),
            "name": self.name,
            "currencyCode": self.currency,
            "taxesIncluded": self.taxes_included,
            "myshopifyDomain": self.domain,
            "ianaTimezone": "Europe/Copenhagen",
        }

    def variant_view(self, variant: Variant) -> dict:
        product = self.products[variant.product_id]
        item = variant.inventory_item_id
        levels = [
            {"location": {"id": gid("Location", loc)}, "quantities": lambda args, q=q: [{"name": "available", "quantity": q}]}
            for (i, loc), q in self.inventory.items()
            if i == item
        ]
        return {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", variant.id),
            "legacyResourceId": str(variant.id),
            "sku": variant.sku,
            "barcode": variant.barcode,
            "title": variant.title,
            "price": variant.price,
            "compareAtPrice": variant.compare_at_price,
            "inventoryQuantity": self.available(variant),
            "selectedOptions": [{"name": name, "value": value} for name, value in variant.options],
            "image": None,
            "metafields": lambda args: connection(
                [{"namespace": ns, "key": key, "value": value} for (ns, key), value in variant.metafields.items()], args
            ),
            "inventoryItem": {"id": gid("InventoryItem", item), "inventoryLevels": lambda args: connection(levels, args)},
            "product": {
                "__typename": "Product",
                "id": gid("Product", product.id),
                "title": product.title,
                "vendor": product.vendor,
                "productType": product.product_type,
                "category": None,
                "featuredMedia": {"preview": {"image": {"url": product.image_url}}} if product.image_url else None,
            },
        }

    def line_view(self, order: Order, line: LineItem) -> dict:
        return {
            "__typename": "LineItem",
            "id": gid("LineItem", line.id),
            "sku": line.sku,
            "title": line.title,
            "name": line.title,
            "quantity": line.quantity,
            "refundableQuantity": order.refundable(line),
            "unfulfilledQuantity": order.unfulfilled(line),
            "originalUnitPriceSet": money(line.price, order.currency),
            "variant": {"id": gid("ProductVariant", line.variant_id)} if line.variant_id else None,
        }

    def refund_view(self, order: Order, refund: Refund) -> dict:
        total = sum((t.amount for t in refund.transactions), Decimal("0"))
        items = [
            {
                "quantity": item.quantity,
                "restockType": item.restock_type,
                "lineItem": self.line_view(order, order.line(item.line_id)),
                "subtotalSet": money(item.subtotal, order.currency),
            }
            for item in refund.items
        ]
        shipping = [{"subtotalAmountSet": money(refund.shipping, order.currency)}] if refund.shipping else []
        return {
            "__typename": "Refund",
            "id": gid("Refund", refund.id),
            "createdAt": refund.created_at,
            "note": refund.note,
            "totalRefundedSet": money(total, order.currency),
            "refundLineItems": lambda args: connection(items, args),
            "refundShippingLines": lambda args: connection(shipping, args),
            "order": {"id": gid("Order", order.id)},
        }

    def fulfillment_view(self, order: Order, fulfillment: Fulfillment) -> dict:
        items = [{"quantity": q, "lineItem": self.line_view(order, order.line(line_id))} for line_id, q in fulfillment.lines]
        return {
            "__typename": "Fulfillment",
            "id": gid("Fulfillment", fulfillment.id),
            "name": fulfillment.name,
            "status": fulfillment.status,
            "createdAt": fulfillment.created_at,
            "updatedAt": fulfillment.updated_at,
            "trackingInfo": lambda args: fulfillment.tracking[: args.get("first") or len(fulfillment.tracking)],
            "fulfillmentLineItems": lambda args: connection(items, args),
        }

    def order_view(self, order: Order) -> dict:
        return {
            "__typename": "Order",
            "id": gid("Order", order.id),
            "legacyResourceId": str(order.id),
            "name": order.name,
            "sourceIdentifier": order.source_identifier,
            "note": order.note,
            "email": order.email,
            "phone": order.phone,
            "currencyCode": order.currency,
            "presentmentCurrencyCode": order.currency,
            "tags": order.tags,
            "createdAt": order.created_at,
            "updatedAt": order.updated_at,
            "lineItems": lambda args: connection([self.line_view(order, line) for line in order.lines], args),
            "fulfillments": lambda args: [self.fulfillment_view(order, f) for f in order.fulfillments][: args.get("first")],
            "refunds": lambda args: [self.refund_view(order, r) for r in order.refunds][: args.get("first")],
            "transactions": lambda args: [
                {
                    "id": gid("OrderTransaction", t.id),
                    "kind": t.kind,
                    "status": t.status,
                    "gateway": t.gateway,
                    "amountSet": money(t.amount, order.currency),
                }
                for t in order.transactions
            ],
            "suggestedRefund": lambda args: self.suggest_refund(
                order, args.get("refundLineItems") or [], _amount(args.get("shippingAmount") or "0")
            ),
        }

    # --- REST-shaped webhook bodies ---------------------------------------------------------------
    def refund_payload(self, order: Order, refund: Refund) -> dict:
        return {
            "id": refund.id,
            "order_id": order.id,
            "created_at": iso(refund.created_at),
            "note": refund.note,
            "user_id": None,
            "processed_at": iso(refund.created_at),
            "restock": any(i.restock_type != "NO_RESTOCK" for i in refund.items),
            "duties": [],
            "additional_fees": [],
            "order_adjustments": [],
            "return": None,
            "admin_graphql_api_id": gid("Refund", refund.id),
            "refund_line_items": [
                {
                    "id": self.next_id(),
                    "quantity": i.quantity,
                    "line_item_id": i.line_id,
                    "location_id": i.location_id,
                    "restock_type": i.restock_type.lower(),
                    "subtotal": str(i.subtotal),
                    "line_item": {"id": i.line_id, "sku": order.line(i.line_id).sku, "quantity": order.line(i.line_id).quantity},
                }
                for i in refund.items
            ],
            "transactions": [
                {
                    "id": t.id,
                    "order_id": order.id,
                    "kind": "refund",
                    "gateway": t.gateway,
                    "status": "success",
                    "amount": str(t.amount),
                    "currency": order.currency,
                    "parent_id": t.parent_id,
                    "admin_graphql_api_id": gid("OrderTransaction", t.id),
                }
                for t in refund.transactions
            ],
        }

    def order_payload(self, order: Order) -> dict:
        return {
            "id": order.id,
            "admin_graphql_api_id": gid("Order", order.id),
            "name": order.name,
            "currency": order.currency,
            "source_identifier": order.source_identifier,
            "updated_at": iso(order.updated_at),
            "note": order.note,
            "fulfillments": [
                {
                    "id": f.id,
                    "status": f.status.lower(),
                    "tracking_company": (f.tracking or [{}])[0].get("company"),
                    "tracking_numbers": [t.get("number") for t in f.tracking],
                    "admin_graphql_api_id": gid("Fulfillment", f.id),
                }
                for f in order.fulfillments
            ],
            "refunds": [{"id": r.id, "admin_graphql_api_id": gid("Refund", r.id)} for r in order.refunds],
        }

    def all_variants(self) -> Iterator[Variant]:
        return iter(sorted(self.variants.values(), key=lambda v: v.id))
