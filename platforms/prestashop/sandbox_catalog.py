"""The demo catalog as a PrestaShop shop holds it: products with combinations, net prices, reductions, stock rows."""

from __future__ import annotations

from decimal import Decimal

from koongo.sandbox_kit import CatalogItem

TAX = Decimal("1.25")  # the demo shop's one tax rules group: Denmark, 25 %


def seed(app, groups: dict[str, list[CatalogItem]]) -> list[dict]:
    """Create the grouped demo catalog in the simulator `app`; returns [{"sku", "product_id", "variant_id"}]."""
    t, stamp, created = app.tables, app.stamp(), []
    for items in groups.values():
        first = items[0]
        single = len(items) == 1
        base = Decimal(first.compare_at_price or first.price) / TAX  # PrestaShop stores the undiscounted net price
        product = t["products"].insert(
            {
                "name": first.title,
                "manufacturer_name": first.brand or "",
                "id_category_default": _category(app, first.category),
                "id_tax_rules_group": 1,
                "price": base,
                "active": 1,
                "reference": first.sku if single else "",
                "ean13": (first.gtin or "") if single else "",
            },
            stamp,
        )
        if first.image_url:
            image = 1000 + product["id"]
            product["id_default_image"] = str(image)
            product["associations"]["images"].append({"id": image})
        t["stock_availables"].insert(_stock(product["id"], 0, sum(item.stock for item in items) if not single else first.stock))
        if single:
            _reduction(app, product["id"], 0, first)
            created.append({"sku": first.sku, "product_id": str(product["id"]), "variant_id": None})
            continue
        for index, item in enumerate(items):
            values = [_option_value(app, 1, item.color), _option_value(app, 2, item.size)]
            impact = Decimal(item.compare_at_price or item.price) / TAX - base
            combination = t["combinations"].insert(
                {
                    "id_product": product["id"],
                    "reference": item.sku,
                    "ean13": item.gtin or "",
                    "price": impact,
                    "default_on": 1 if index == 0 else "",
                    "associations": {"product_option_values": [{"id": value} for value in values if value]},
                }
            )
            product["associations"]["combinations"].append({"id": combination["id"]})
            stock = t["stock_availables"].insert(_stock(product["id"], combination["id"], item.stock))
            product["associations"]["stock_availables"].append({"id": stock["id"], "id_product_attribute": combination["id"]})
            _reduction(app, product["id"], combination["id"], item)
            created.append({"sku": item.sku, "product_id": str(product["id"]), "variant_id": str(combination["id"])})
    return created


def _stock(pid: int, aid: int, quantity: int) -> dict:
    return {
        "id_product": pid,
        "id_product_attribute": aid,
        "id_shop": 1,
        "id_shop_group": 0,
        "quantity": quantity,
        "depends_on_stock": 0,
        "out_of_stock": 2,
        "location": "",
    }


def _reduction(app, pid: int, aid: int, item: CatalogItem) -> None:
    """A catalog specific price taking the compare-at price down to the selling price (tax included)."""
    if item.compare_at_price and Decimal(item.compare_at_price) > Decimal(item.price):
        app.tables["specific_prices"].insert(
            {
                "id_shop": 0,
                "id_shop_group": 0,
                "id_cart": 0,
                "id_product": pid,
                "id_product_attribute": aid,
                "id_currency": 0,
                "id_country": 0,
                "id_group": 0,
                "id_customer": 0,
                "price": "-1",
                "from_quantity": 1,
                "reduction": Decimal(item.compare_at_price) - Decimal(item.price),
                "reduction_tax": 1,
                "reduction_type": "amount",
                "from": "0000-00-00 00:00:00",
                "to": "0000-00-00 00:00:00",
            }
        )


def _category(app, name: str | None) -> int:
    if not name:
        return 2  # PrestaShop's "Home"
    found = app.tables["categories"].where(name=name)
    return (found[0] if found else app.tables["categories"].insert({"name": name, "id_parent": 2, "active": 1}))["id"]


def _option_value(app, group: int, name: str | None) -> int | None:
    if not name:
        return None
    found = app.tables["product_option_values"].where(id_attribute_group=group, name=name)
    return (found[0] if found else app.tables["product_option_values"].insert({"id_attribute_group": group, "name": name}))["id"]
