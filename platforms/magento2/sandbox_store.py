"""One simulated Magento 2.4 store view: catalog with EAV attributes, MSI source items and reservations, raw-saved
orders, invoices, credit memos and shipments, and the searchCriteria semantics of its list endpoints.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from koongo.sandbox_kit import Request, SandboxError, group_catalog
from platforms.magento2.schemas import DATE_FORMAT
from platforms.mechanics import cents, split_gross

SOURCE = "default"
STOCK_ID = 1
SELECT_ATTRIBUTES = {"color": "Color", "size": "Size", "manufacturer": "Manufacturer"}


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


def search_params(request: Request) -> tuple[list[list[tuple[str, str, str]]], int, int, tuple[str, str] | None]:
    """(filter groups, page size, current page, sort) from searchCriteria[...] query parameters."""
    groups: dict[int, dict[int, dict[str, str]]] = {}
    page_size, page, sort = 0, 1, None
    sort_parts: dict[str, str] = {}
    for key, value in request.query:
        parts = key.replace("]", "").split("[")
        if parts[0] != "searchCriteria" or len(parts) < 2:
            continue
        if parts[1] == "filter_groups" and len(parts) == 6:
            groups.setdefault(int(parts[2]), {}).setdefault(int(parts[4]), {})[parts[5]] = value
        elif parts[1] == "pageSize":
            page_size = int(value)
        elif parts[1] == "currentPage":
            page = int(value)
        elif parts[1] == "sortOrders" and len(parts) == 4:
            sort_parts[parts[3]] = value
    if sort_parts.get("field"):
        sort = (sort_parts["field"], sort_parts.get("direction", "ASC"))
    filters = [[(f["field"], f.get("value", ""), f.get("condition_type", "eq")) for _, f in sorted(group.items())]
               for _, group in sorted(groups.items())]
    return filters, page_size, page, sort


def _matches(value, wanted: str, condition: str) -> bool:
    text = "" if value is None else str(value)
    if condition == "eq":
        return text == wanted
    if condition == "neq":
        return text != wanted
    if condition == "in":
        return text in wanted.split(",")
    if condition == "nin":
        return text not in wanted.split(",")
    if condition == "like":
        return wanted.replace("%", "") in text
    if condition in ("gt", "gteq", "lt", "lteq"):
        if value is None:
            return False
        left, right = (Decimal(text), Decimal(wanted)) if _numeric(text) and _numeric(wanted) else (text, wanted)
        return {"gt": left > right, "gteq": left >= right, "lt": left < right, "lteq": left <= right}[condition]
    if condition == "null":
        return value is None
    if condition == "notnull":
        return value is not None
    raise SandboxError(400, f'Invalid condition type "{condition}"')


def _numeric(text: str) -> bool:
    try:
        Decimal(text)
        return True
    except ArithmeticError:
        return False


def apply_search(rows: list[dict], groups, field: Callable[[dict, str], object] = lambda row, name: row.get(name)) -> list[dict]:
    return [row for row in rows if all(any(_matches(field(row, f), v, c) for f, v, c in group) for group in groups)]


class Catalog:
    """Products with EAV custom attributes, select-attribute options, categories, MSI source items and reservations."""

    def __init__(self, ids: itertools.count, prices_include_tax: bool, tax_rate: Decimal):
        self.ids = ids
        self.products: dict[int, dict] = {}
        self.options: dict[str, dict[str, str]] = {code: {} for code in SELECT_ATTRIBUTES}  # code -> label -> option id
        self.categories: dict[int, str] = {}
        self.source_items: dict[str, dict] = {}
        self.reservations: dict[str, int] = {}
        self.prices_include_tax, self.tax_rate = prices_include_tax, tax_rate

    def seed(self, items: list[dict]) -> list[dict]:
        created = []
        for entries in group_catalog(items).values():
            for entry in entries:
                price = Decimal(entry.compare_at_price or entry.price)
                special = Decimal(entry.price) if entry.compare_at_price else None
                product_id = next(self.ids)
                custom = {"ean": entry.gtin, "special_price": self._stored(special) if special is not None else None,
                          "color": self._option("color", entry.color), "size": self._option("size", entry.size),
                          "manufacturer": self._option("manufacturer", entry.brand), "tax_class_id": "2"}
                category = self._category(entry.category)
                self.products[product_id] = {
                    "id": product_id, "sku": entry.sku, "name": entry.title, "attribute_set_id": 4, "price": self._stored(price), "status": 1,
                    "visibility": 4, "type_id": "simple", "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
                    "weight": 0.5, "custom": {k: v for k, v in custom.items() if v is not None},
                    "category_ids": [category] if category else [], "image": entry.image_url,
                }
                self.source_items[entry.sku] = {"sku": entry.sku, "source_code": SOURCE, "quantity": entry.stock, "status": int(entry.stock > 0)}
                created.append({"sku": entry.sku, "product_id": str(product_id), "variant_id": None})
        return created

    def _stored(self, gross: Decimal) -> Decimal:
        return gross if self.prices_include_tax else split_gross(gross, self.tax_rate)[0]

    def _option(self, code: str, label: str | None) -> str | None:
        if not label:
            return None
        return self.options[code].setdefault(label, str(next(self.ids)))

    def _category(self, name: str | None) -> int | None:
        if not name:
            return None
        for key, value in self.categories.items():
            if value == name:
                return key
        key = next(self.ids)
        self.categories[key] = name
        return key

    def by_sku(self, sku: str) -> dict | None:
        return next((p for p in self.products.values() if p["sku"] == sku), None)

    def salable(self, sku: str) -> int:
        item = self.source_items.get(sku)
        return (int(item["quantity"]) if item and item["status"] else 0) + self.reservations.get(sku, 0)

    @staticmethod
    def field(row: dict, name: str):
        if name == "entity_id":
            return row["id"]
        return row[name] if name in row else row["custom"].get(name)

    def product_view(self, product: dict) -> dict:
        custom = [{"attribute_code": code, "value": value} for code, value in product["custom"].items()]
        if product["category_ids"]:
            custom.append({"attribute_code": "category_ids", "value": [str(c) for c in product["category_ids"]]})
        media = [{"id": product["id"], "media_type": "image", "label": None, "position": 1, "disabled": False,
                  "types": ["image", "small_image", "thumbnail"], "file": f"/{product['sku'][0].lower()}/{product['sku'].lower()}.jpg"}]
        return {
            "id": product["id"], "sku": product["sku"], "name": product["name"], "attribute_set_id": product["attribute_set_id"],
            "price": product["price"], "status": product["status"], "visibility": product["visibility"], "type_id": product["type_id"],
            "created_at": product["created_at"], "updated_at": product["updated_at"], "weight": product["weight"],
            "extension_attributes": {"website_ids": [1], "category_links": [
                {"position": 0, "category_id": str(c)} for c in product["category_ids"]]},
            "product_links": [], "options": [], "media_gallery_entries": media if product["image"] else [], "tier_prices": [],
            "custom_attributes": custom,
        }


def _money(value) -> Decimal:
    return cents(Decimal(str(value or 0)))


# What Magento\Sales\Model\Order\Address\Validator requires of each order address (telephone as configured by default).
REQUIRED_ADDRESS = ("address_type", "firstname", "lastname", "street", "city", "postcode", "country_id", "telephone", "email")


class Sales:
    """Orders saved raw (POST /V1/orders), their invoices, credit memos and shipments, and what MSI does on each."""

    def __init__(self, ids: itertools.count, catalog: Catalog, now: Callable[[], datetime]):
        self.ids, self.catalog, self.now = ids, catalog, now
        self.orders: dict[int, dict] = {}
        self.creditmemos: dict[int, dict] = {}
        self.shipments: dict[int, dict] = {}
        self.invoices: dict[int, dict] = {}
        self.sequence = itertools.count(1)

    def order(self, order_id) -> dict:
        try:
            return self.orders[int(order_id)]
        except (KeyError, ValueError):
            raise SandboxError(404, "The entity that was requested doesn't exist. Verify the entity and try again.") from None

    def save_order(self, entity: dict) -> dict:
        """OrderRepository::save: stores what it is given. No totals, no reservation, no e-mail."""
        if not entity.get("items") or not (entity.get("payment") or {}).get("method"):
            raise SandboxError(400, '"items" and "payment.method" are required to save an order')
        addresses = [entity.get("billing_address") or {}] + [
            (assignment.get("shipping") or {}).get("address") or {}
            for assignment in ((entity.get("extension_attributes") or {}).get("shipping_assignments") or [])
        ]
        for address in addresses:
            missing = [f for f in REQUIRED_ADDRESS if not address.get(f)]
            if missing:
                raise SandboxError(400, f'"{missing[0]}" is required. Enter and try again.')
        # A simulator-only guard: the raw route checks nothing, so catch a payload whose totals do not add up.
        rows = sum((_money(i.get("row_total_incl_tax")) for i in entity["items"]), Decimal("0"))
        if _money(entity.get("grand_total")) != rows + _money(entity.get("shipping_incl_tax")):
            raise SandboxError(400, f"grand_total {entity.get('grand_total')} does not add up to {rows + _money(entity.get('shipping_incl_tax'))}")
        order_id, now = next(self.ids), stamp(self.now())
        order = {**entity, "entity_id": order_id, "increment_id": entity.get("increment_id") or f"{next(self.sequence):09d}",
                 "created_at": now, "updated_at": now, "total_invoiced": None, "total_refunded": None, "status_histories": []}
        order["items"] = [{**item, "item_id": next(self.ids), "order_id": order_id, "qty_invoiced": 0, "qty_refunded": 0, "qty_shipped": 0,
                           "parent_item_id": None, "created_at": now} for item in entity["items"]]
        self.orders[order_id] = order
        return order

    def invoice(self, order: dict) -> int:
        if order["total_invoiced"]:
            raise SandboxError(400, "The order does not allow an invoice to be created.")
        for item in order["items"]:
            item["qty_invoiced"] = item["qty_ordered"]
        invoice_id = next(self.ids)
        self.invoices[invoice_id] = {"entity_id": invoice_id, "order_id": order["entity_id"], "grand_total": order["grand_total"]}
        order.update(total_invoiced=order["grand_total"], total_paid=order["grand_total"], state="processing", status="processing",
                     updated_at=stamp(self.now()))
        return invoice_id

    def comment(self, order: dict, history: dict) -> None:
        # Magento sets the order's status from the comment: a comment without one nulls it (magento/magento2#34180).
        order["status"] = history.get("status")
        entry = {"entity_id": next(self.ids), "parent_id": order["entity_id"], "comment": history.get("comment"), "created_at": stamp(self.now()),
                 "entity_name": "order", "is_customer_notified": history.get("is_customer_notified", 0),
                 "is_visible_on_front": history.get("is_visible_on_front", 0), "status": history.get("status")}
        order["status_histories"].insert(0, entry)  # newest first, as Magento lists them
        order["updated_at"] = entry["created_at"]

    def refund(self, order: dict, body: dict) -> int:
        """RefundOrderInterface: an offline credit memo for invoiced quantities; MSI returns the chosen items."""
        if not order["total_invoiced"]:
            raise SandboxError(400, "We can't create creditmemo for the order.")
        lines = []
        for wanted in body.get("items") or []:
            item = next((i for i in order["items"] if i["item_id"] == wanted.get("order_item_id")), None)
            qty = Decimal(str(wanted.get("qty") or 0))
            if item is None or qty <= 0 or qty > Decimal(str(item["qty_invoiced"])) - Decimal(str(item["qty_refunded"])):
                raise SandboxError(400, f"The quantity to creditmemo must not be greater than the unrefunded quantity for product SKU \"{item and item['sku']}\".")
            lines.append((item, qty))
        arguments = body.get("arguments") or {}
        shipping_left = _money(order.get("shipping_incl_tax")) - sum((_money(m["shipping_incl_tax"]) for m in self._memos(order)), Decimal("0"))
        if arguments.get("shipping_amount") is None:
            shipping = shipping_left  # Magento refunds all remaining shipping unless told otherwise
        else:
            given = _money(arguments["shipping_amount"])
            shipping = given if self.catalog.prices_include_tax else cents(given * (100 + self.catalog.tax_rate) / 100)
        if shipping > shipping_left:
            raise SandboxError(400, f"Maximum shipping amount allowed to refund is: {shipping_left}")
        rows = [(item, qty, cents(_money(item["price_incl_tax"]) * qty)) for item, qty in lines]
        total = sum((row for _, _, row in rows), Decimal("0")) + shipping + _money(arguments.get("adjustment_positive")) - _money(
            arguments.get("adjustment_negative"))
        memo_id, now = next(self.ids), stamp(self.now())
        comment = body.get("comment") or {}
        memo = {
            "entity_id": memo_id, "order_id": order["entity_id"], "increment_id": f"{next(self.sequence):09d}", "state": 2,
            "created_at": now, "updated_at": now, "order_currency_code": order["order_currency_code"],
            "base_currency_code": order.get("base_currency_code"), "grand_total": total, "base_grand_total": total,
            "shipping_incl_tax": shipping, "shipping_amount": split_gross(shipping, self.catalog.tax_rate)[0],
            "adjustment_positive": _money(arguments.get("adjustment_positive")), "adjustment_negative": _money(arguments.get("adjustment_negative")),
            "items": [{"entity_id": next(self.ids), "parent_id": memo_id, "order_item_id": item["item_id"], "sku": item["sku"],
                       "name": item.get("name"), "product_id": item.get("product_id"), "qty": float(qty), "price_incl_tax": item["price_incl_tax"],
                       "row_total_incl_tax": row} for item, qty, row in rows],
            "comments": [{"entity_id": next(self.ids), "parent_id": memo_id, "comment": comment["comment"], "created_at": now,
                          "is_customer_notified": 0, "is_visible_on_front": comment.get("is_visible_on_front", 0)}]
            if body.get("appendComment") and comment.get("comment") else [],
        }
        returned = set((arguments.get("extension_attributes") or {}).get("return_to_stock_items") or [])
        for item, qty in lines:
            item["qty_refunded"] = float(Decimal(str(item["qty_refunded"])) + qty)
            if item["item_id"] in returned:
                self._return_to_stock(item, int(qty))
        order["total_refunded"] = float(_money(order.get("total_refunded")) + total)
        order["updated_at"] = now
        self.creditmemos[memo_id] = memo
        return memo_id

    def _memos(self, order: dict) -> list[dict]:
        return [m for m in self.creditmemos.values() if m["order_id"] == order["entity_id"]]

    def _return_to_stock(self, item: dict, qty: int) -> None:
        """MSI: shipped units go back to the source; unshipped ones get a compensating (+) reservation."""
        shipped = min(qty, int(item["qty_shipped"]))
        if shipped:
            self.catalog.source_items[item["sku"]]["quantity"] += shipped
        if qty - shipped:
            self.catalog.reservations[item["sku"]] = self.catalog.reservations.get(item["sku"], 0) + qty - shipped

    def ship(self, order: dict, picked: list[tuple[dict, int]], tracks: list[dict]) -> int:
        """A shipment from the admin: MSI deducts the source and compensates the order's reservation."""
        shipment_id, now = next(self.ids), stamp(self.now())
        for item, qty in picked:
            if qty < 1 or item["qty_shipped"] + qty > item["qty_ordered"]:
                raise SandboxError(400, f"Shipment document validation error(s): The quantity to ship for SKU {item['sku']} is too high")
        for item, qty in picked:
            item["qty_shipped"] += qty
            self.catalog.source_items[item["sku"]]["quantity"] -= qty
            self.catalog.reservations[item["sku"]] = self.catalog.reservations.get(item["sku"], 0) + qty
        self.shipments[shipment_id] = {
            "entity_id": shipment_id, "order_id": order["entity_id"], "increment_id": f"{next(self.sequence):09d}", "store_id": 1,
            "created_at": now, "updated_at": now, "total_qty": float(sum(qty for _, qty in picked)),
            "items": [{"entity_id": next(self.ids), "parent_id": shipment_id, "order_item_id": item["item_id"], "sku": item["sku"],
                       "name": item.get("name"), "qty": float(qty), "product_id": item.get("product_id")} for item, qty in picked],
            "tracks": [{"entity_id": next(self.ids), "parent_id": shipment_id, "order_id": order["entity_id"], "created_at": now,
                        "updated_at": now, **track} for track in tracks],
            "comments": [],
        }
        order["updated_at"] = now
        return shipment_id
