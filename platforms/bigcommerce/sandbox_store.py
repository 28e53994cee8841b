"""One simulated BigCommerce store: catalog, inventory with lagging adjustments, v2 orders, shipments and refunds.

Views are dicts in the API's field names; money is a string with four decimals in v2 and a number in v3, as in the docs.
"""

from __future__ import annotations

import email.utils
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from koongo.sandbox_kit import SandboxError, group_catalog
from platforms.mechanics import cents, split_gross

LOCATION = {"location_id": 1, "location_code": "BC-LOCATION-1", "location_name": "Default location", "location_enabled": True}


def v2_money(amount: Decimal) -> str:
    return f"{amount:.4f}"


def rfc2822(moment: datetime) -> str:
    return email.utils.format_datetime(moment)


@dataclass
class Variant:
    id: int
    product_id: int
    sku: str
    gtin: str | None
    price: Decimal
    sale_price: Decimal | None
    options: list[tuple[int, str, str]]  # (option value id, option display name, label)
    image_url: str | None
    stock: int


@dataclass
class Product:
    id: int
    name: str
    brand_id: int | None
    categories: list[int]
    image_url: str | None
    variants: list[Variant] = field(default_factory=list)


@dataclass
class Line:
    id: int
    order_id: int
    product_id: int
    variant_id: int
    sku: str
    name: str
    quantity: int
    price_inc_tax: Decimal
    price_ex_tax: Decimal
    address_id: int
    quantity_refunded: int = 0
    quantity_shipped: int = 0


@dataclass
class Order:
    id: int
    created: datetime
    modified: datetime
    body: dict
    lines: list[Line]
    address_id: int
    currency: str
    shipments: list[dict] = field(default_factory=list)
    refunded: Decimal = Decimal("0")
    shipping_refunded: Decimal = Decimal("0")

    @property
    def shipping_inc(self) -> Decimal:
        return Decimal(str(self.body.get("shipping_cost_inc_tax") or 0))


class Store:
    """The state of one store; callers hold the simulator's lock."""

    def __init__(self, now: Callable[[], datetime], currency: str = "DKK", clock: Callable[[], float] = time.monotonic):
        self.now, self.currency, self.clock = now, currency, clock
        self.ids = itertools.count(101)
        self.products: dict[int, Product] = {}
        self.brands: dict[int, str] = {}
        self.categories: dict[int, str] = {}
        self.orders: dict[int, Order] = {}
        self.refunds: list[dict] = []
        # Relative adjustments wait here until BigCommerce "processes" them: (due, sku, delta).
        self.pending: list[tuple[float, str, int]] = []
        self.lag = 1.0
        self.tax_entered_with_prices = True
        self.tax_rate = Decimal("25")

    # --- catalog and inventory ---------------------------------------------------------------------
    def seed(self, items: list[dict]) -> list[dict]:
        created = []
        for entries in group_catalog(items).values():
            first = entries[0]
            product = Product(next(self.ids), first.title, self._named(self.brands, first.brand), self._categories(first.category), first.image_url)
            for entry in entries:
                price, sale = Decimal(entry.compare_at_price or entry.price), Decimal(entry.price) if entry.compare_at_price else None
                options = [(next(self.ids), name, value) for name, value in (("Color", entry.color), ("Size", entry.size)) if value]
                product.variants.append(Variant(next(self.ids), product.id, entry.sku, entry.gtin, self._stored(price),
                                                self._stored(sale) if sale is not None else None, options, entry.image_url, entry.stock))
            self.products[product.id] = product
            created += [{"sku": v.sku, "product_id": str(product.id), "variant_id": str(v.id)} for v in product.variants]
        return created

    def _stored(self, gross: Decimal) -> Decimal:
        """Prices as the merchant enters them: with tax, or net when the store enters prices without tax."""
        return gross if self.tax_entered_with_prices else split_gross(gross, self.tax_rate)[0]

    def _named(self, table: dict[int, str], name: str | None) -> int | None:
        if not name:
            return None
        for key, value in table.items():
            if value == name:
                return key
        key = next(self.ids)
        table[key] = name
        return key

    def _categories(self, name: str | None) -> list[int]:
        key = self._named(self.categories, name)
        return [key] if key else []

    def variants(self) -> list[Variant]:
        return [v for p in self.products.values() for v in p.variants]

    def variant_by_sku(self, sku: str) -> Variant | None:
        return next((v for v in self.variants() if v.sku == sku), None)

    def settle(self, everything: bool = False) -> None:
        """Apply the adjustments BigCommerce has processed by now (all of them when the merchant looks)."""
        now = self.clock()
        due = [entry for entry in self.pending if everything or entry[0] <= now]
        self.pending = [entry for entry in self.pending if entry not in due]
        for _, sku, delta in due:
            self.variant_by_sku(sku).stock += delta

    def adjust_relative(self, items: list[dict]) -> None:
        for item in items:
            if item.get("location_id") != 1:
                raise SandboxError(422, f"Location {item.get('location_id')} does not exist")
            if self.variant_by_sku(item.get("sku", "")) is None:
                raise SandboxError(422, f"Items with identity: [sku {item.get('sku')}] were not found")
        for item in items:
            self.pending.append((self.clock() + self.lag, item["sku"], int(item["quantity"])))

    # --- views -----------------------------------------------------------------------------------
    def calculated(self, variant: Variant) -> Decimal:
        return variant.sale_price if variant.sale_price is not None else variant.price

    def variant_view(self, variant: Variant) -> dict:
        return {
            "id": variant.id, "product_id": variant.product_id, "sku": variant.sku, "sku_id": variant.id, "price": variant.price,
            "calculated_price": self.calculated(variant), "sale_price": variant.sale_price, "retail_price": None, "map_price": None,
            "upc": "", "gtin": variant.gtin or "", "mpn": "", "inventory_level": variant.stock, "purchasing_disabled": False,
            "image_url": variant.image_url or "",
            "option_values": [{"id": vid, "label": label, "option_id": vid - 1, "option_display_name": name} for vid, name, label in variant.options],
        }

    def product_view(self, product: Product, include: set[str]) -> dict:
        base = product.variants[0]
        view = {
            "id": product.id, "name": product.name, "type": "physical", "sku": "", "price": base.price, "sale_price": base.sale_price or 0,
            "calculated_price": self.calculated(base), "brand_id": product.brand_id or 0, "categories": product.categories,
            "inventory_tracking": "variant", "inventory_level": sum(v.stock for v in product.variants), "is_visible": True,
        }
        if "variants" in include:
            view["variants"] = [self.variant_view(v) for v in product.variants]
        if "images" in include:
            view["images"] = [{"id": product.id, "product_id": product.id, "is_thumbnail": True, "url_standard": product.image_url,
                               "url_thumbnail": product.image_url}] if product.image_url else []
        return view

    def inventory_view(self, variant: Variant) -> dict:
        location = {**LOCATION, "available_to_sell": variant.stock, "total_inventory_onhand": variant.stock,
                    "settings": {"safety_stock": 0, "is_in_stock": True, "warning_level": 0, "bin_picking_number": ""}}
        return {"identity": {"sku": variant.sku, "variant_id": variant.id, "product_id": variant.product_id, "sku_id": variant.id},
                "locations": [location]}

    # --- orders ----------------------------------------------------------------------------------
    def create_order(self, body: dict) -> Order:
        if not body.get("products") or not body.get("billing_address"):
            raise SandboxError(400, "An order needs products and a billing address")
        order_id, address_id = next(self.ids), next(self.ids)
        lines = []
        for raw in body.get("products") or []:
            if not isinstance(raw.get("quantity"), int) or raw["quantity"] < 1:
                raise SandboxError(400, "The field 'quantity' is required for every product and must be a positive integer")
            variant = self._catalog_line(raw)
            if ("price_inc_tax" in raw) != ("price_ex_tax" in raw):
                raise SandboxError(400, "price_inc_tax and price_ex_tax must be overridden together")
            gross = Decimal(str(raw.get("price_inc_tax", self.calculated(variant))))
            net = Decimal(str(raw.get("price_ex_tax", split_gross(gross, self.tax_rate)[0])))
            lines.append(Line(next(self.ids), order_id, variant.product_id, variant.id, variant.sku, self.products[variant.product_id].name,
                              int(raw["quantity"]), gross, net, address_id))
        if not lines or not body.get("billing_address"):
            raise SandboxError(400, "An order needs products and a billing address")
        now = self.now()
        order = Order(order_id, now, now, body, lines, address_id, self.currency)
        for line in lines:  # update_stock_behavior: order_placed
            self.variant_by_id(line.variant_id).stock -= line.quantity
        self.orders[order_id] = order
        return order

    def _catalog_line(self, raw: dict) -> Variant:
        """A catalog line needs product_id, and for a product with variants the variant (variant_id or product_options)."""
        if raw.get("product_id") is None:
            raise SandboxError(400, "The field 'product_id' is required for a catalog product (custom lines are not simulated)")
        product = self.products.get(int(raw.get("product_id") or 0))
        variant = next((v for v in product.variants if v.id == raw.get("variant_id")), None) if product else None
        if variant is None:
            raise SandboxError(400, f"The product {raw.get('product_id')} / variant {raw.get('variant_id')} does not exist")
        return variant

    def variant_by_id(self, variant_id: int) -> Variant:
        return next(v for v in self.variants() if v.id == variant_id)

    def order(self, order_id) -> Order:
        try:
            return self.orders[int(order_id)]
        except (KeyError, ValueError):
            raise SandboxError(404, "The requested resource was not found.") from None

    def order_view(self, order: Order) -> dict:
        b = order.body
        subtotal_inc = sum((line.price_inc_tax * line.quantity for line in order.lines), Decimal("0"))
        subtotal_ex = sum((line.price_ex_tax * line.quantity for line in order.lines), Decimal("0"))
        ship_inc, ship_ex = order.shipping_inc, Decimal(str(b.get("shipping_cost_ex_tax") or 0))
        shipped = sum(line.quantity_shipped for line in order.lines)
        items = sum(line.quantity for line in order.lines)
        total = subtotal_inc + ship_inc
        payment_status = "paid" if not order.refunded else ("refunded" if order.refunded >= total else "partially refunded")
        base = f"https://api.bigcommerce.com/stores/sandbox/v2/orders/{order.id}"
        return {
            "id": order.id, "customer_id": b.get("customer_id", 0), "date_created": rfc2822(order.created),
            "date_modified": rfc2822(order.modified), "date_shipped": "", "status_id": b.get("status_id", 1),
            "status": "Shipped" if shipped and shipped == items else {11: "Awaiting Fulfillment"}.get(b.get("status_id", 1), "Pending"),
            "subtotal_ex_tax": v2_money(subtotal_ex), "subtotal_inc_tax": v2_money(subtotal_inc), "subtotal_tax": v2_money(subtotal_inc - subtotal_ex),
            "shipping_cost_ex_tax": v2_money(ship_ex), "shipping_cost_inc_tax": v2_money(ship_inc),
            "total_ex_tax": v2_money(subtotal_ex + ship_ex), "total_inc_tax": v2_money(total), "total_tax": v2_money(total - subtotal_ex - ship_ex),
            "items_total": items, "items_shipped": shipped, "payment_method": b.get("payment_method", "Manual"),
            "payment_provider_id": None, "payment_status": payment_status, "refunded_amount": v2_money(order.refunded),
            "currency_code": order.currency, "default_currency_code": order.currency, "is_tax_inclusive_pricing": self.tax_entered_with_prices,
            "staff_notes": b.get("staff_notes", ""), "customer_message": b.get("customer_message", ""),
            "external_source": b.get("external_source"), "external_id": None, "external_order_id": b.get("external_order_id", ""),
            "billing_address": b.get("billing_address"),
            "products": {"url": f"{base}/products", "resource": f"/orders/{order.id}/products"},
            "shipping_addresses": {"url": f"{base}/shipping_addresses", "resource": f"/orders/{order.id}/shipping_addresses"},
        }

    @staticmethod
    def line_view(line: Line) -> dict:
        return {
            "id": line.id, "order_id": line.order_id, "product_id": line.product_id, "variant_id": line.variant_id,
            "order_address_id": line.address_id, "name": line.name, "sku": line.sku, "type": "physical",
            "base_price": v2_money(line.price_inc_tax), "price_ex_tax": v2_money(line.price_ex_tax), "price_inc_tax": v2_money(line.price_inc_tax),
            "price_tax": v2_money(line.price_inc_tax - line.price_ex_tax), "total_inc_tax": v2_money(line.price_inc_tax * line.quantity),
            "total_ex_tax": v2_money(line.price_ex_tax * line.quantity), "quantity": line.quantity,
            "quantity_refunded": line.quantity_refunded, "quantity_shipped": line.quantity_shipped, "is_refunded": line.quantity_refunded > 0,
            "refund_amount": v2_money(line.price_inc_tax * line.quantity_refunded), "product_options": [],
        }

    def ship(self, order: Order, body: dict) -> dict:
        picked = []
        for item in body.get("items") or []:
            line = next((line for line in order.lines if line.id == item.get("order_product_id")), None)
            quantity = int(item.get("quantity", 0))
            if line is None or quantity < 1 or line.quantity_shipped + quantity > line.quantity:
                raise SandboxError(400, f"Order product {item.get('order_product_id')} cannot ship {quantity} more")
            picked.append((line, quantity))
        for line, quantity in picked:
            line.quantity_shipped += quantity
        shipment = {
            "id": next(self.ids), "order_id": order.id, "customer_id": 0, "order_address_id": order.address_id,
            "date_created": rfc2822(self.now()), "tracking_number": body.get("tracking_number", ""),
            "shipping_method": body.get("shipping_method", ""), "shipping_provider": body.get("shipping_provider", ""),
            "tracking_carrier": body.get("tracking_carrier", ""), "tracking_link": body.get("tracking_link", ""),
            "generated_tracking_link": "", "comments": body.get("comments", ""),
            "shipping_provider_display_name": body.get("shipping_provider_display_name") or body.get("tracking_carrier", "").upper(),
            "items": [{"order_product_id": line.id, "product_id": line.product_id, "quantity": quantity} for line, quantity in picked],
        }
        order.shipments.append(shipment)
        order.modified = self.now()
        return shipment

    # --- refunds ---------------------------------------------------------------------------------
    def quote(self, order: Order, items: list[dict]) -> dict:
        """What BigCommerce's calculator says the items are worth; 422 for anything not refundable."""
        total, tax = Decimal("0"), Decimal("0")
        for item in items:
            kind = item.get("item_type")
            if kind == "PRODUCT":
                line = next((line for line in order.lines if line.id == item.get("item_id")), None)
                quantity = int(item.get("quantity") or 0)
                if line is None or quantity < 1 or line.quantity_refunded + quantity > line.quantity:
                    raise SandboxError(422, f"Order product {item.get('item_id')} has fewer than {quantity} refundable items")
                total += line.price_inc_tax * quantity
                tax += (line.price_inc_tax - line.price_ex_tax) * quantity
            elif kind == "SHIPPING":
                amount = Decimal(str(item.get("amount") or 0))
                if item.get("item_id") != order.address_id or order.shipping_refunded + amount > order.shipping_inc:
                    raise SandboxError(422, f"Shipping on address {item.get('item_id')} cannot refund {amount}")
                total += amount
                tax += amount - split_gross(amount, self.tax_rate)[0]
            else:
                raise SandboxError(422, f"Item type {kind} is not supported here")
        total = cents(total)
        option = {"provider_id": "custom", "provider_description": "Custom", "amount": total, "offline": True, "offline_provider": True,
                  "offline_reason": "This is an offline payment provider."}
        return {"order_id": order.id, "total_refund_amount": total, "total_refund_tax_amount": cents(tax), "order_level_refund_amount": 0,
                "rounding": 0, "adjustment": 0, "tax_inclusive": True, "refund_methods": [[option]]}

    def refund(self, order: Order, body: dict, user_id: int) -> dict:
        items = body.get("items") or []
        quote = self.quote(order, items)
        payments = body.get("payments") or []
        paid = cents(sum((Decimal(str(p.get("amount") or 0)) for p in payments), Decimal("0")))
        if paid != quote["total_refund_amount"]:
            raise SandboxError(422, f"The refund amount {paid} does not match the refundable amount {quote['total_refund_amount']}")
        if any(p.get("provider_id") == "custom" and not p.get("offline") for p in payments):
            raise SandboxError(422, "The custom payment provider can only refund offline")
        for item in items:
            if item["item_type"] == "PRODUCT":
                next(line for line in order.lines if line.id == item["item_id"]).quantity_refunded += int(item["quantity"])
            else:
                order.shipping_refunded += Decimal(str(item["amount"]))
        order.refunded += paid
        order.modified = self.now()
        refund = {
            "id": next(self.ids), "order_id": order.id, "user_id": user_id, "created": self.now().isoformat(),
            "reason": next((item.get("reason") for item in items if item.get("reason")), ""),
            "total_amount": paid, "total_tax": quote["total_refund_tax_amount"], "uses_merchant_override_values": False,
            "items": [{"item_type": item["item_type"], "item_id": item["item_id"], "reason": item.get("reason", ""),
                       "quantity": item.get("quantity"), "requested_amount": item.get("amount")} for item in items],
            "payments": [{"id": next(self.ids), "provider_id": p["provider_id"], "amount": Decimal(str(p["amount"])),
                          "offline": bool(p.get("offline")), "is_declined": False, "declined_message": ""} for p in payments],
        }
        self.refunds.append(refund)
        return refund
