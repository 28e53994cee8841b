"""The sellable items of one order, read as leanly as the webservice allows: ids, tax rate and price for the delivery country.

One listing per kind (combinations first, products only for what no combination matched), with PrestaShop computing
each item's prices for the delivery country through price aliases (`display=full` shows them), so no tax rules, taxes,
stock or option lookups are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from platforms.base import ProductNotFound, StoreOrderDraft, unique
from platforms.prestashop import catalog
from platforms.prestashop.client import filterable
from platforms.prestashop.schemas import Combination, Product

RATE = Decimal("0.001")  # PrestaShop keeps tax rates with three decimals


@dataclass(frozen=True)
class OrderItem:
    """One cart row's item: ids, the tax rate of the delivery country, and PrestaShop's own gross price there."""

    product_id: int
    combination_id: int
    tax_rate: Decimal | None  # None: the price aliases could not tell (a zero net price)
    catalog_price: Decimal | None

    def net(self, gross: Decimal) -> Decimal:
        """The net price a cart-scoped specific price must carry for PrestaShop to charge `gross` there."""
        return (gross * 100 / (100 + (self.tax_rate or Decimal("0")))).quantize(Decimal("0.000001"))


def aliases(country_id: int) -> dict[str, str]:
    """Net and gross before reductions (their ratio is the tax rate) and the final price, all for the delivery country."""
    return {
        "price[koongo_net][use_tax]": "0",
        "price[koongo_net][use_reduction]": "0",
        "price[koongo_gross][use_tax]": "1",
        "price[koongo_gross][use_reduction]": "0",
        "price[koongo_gross][country]": str(country_id),
        "price[koongo_final][use_tax]": "1",
        "price[koongo_final][country]": str(country_id),
    }


def _item(pid: int, aid: int, row: dict) -> OrderItem:
    net, gross, final = (row.get(f"koongo_{name}") for name in ("net", "gross", "final"))
    rate = None
    if net not in (None, "") and gross not in (None, "") and Decimal(net) > 0:
        rate = ((Decimal(gross) / Decimal(net) - 1) * 100).quantize(RATE)
    return OrderItem(pid, aid, rate, Decimal(final).quantize(Decimal("0.01")) if final not in (None, "") else None)


def resolve(adapter, draft: StoreOrderDraft, country_id: int) -> dict[str, OrderItem]:
    """Each draft line's item by its identifier; ProductNotFound names the identifiers matching nothing."""
    attribute = draft.identifier_attribute
    wanted = unique(line.identifier for line in draft.lines)
    prices = aliases(country_id)
    found: dict[str, list[OrderItem]] = {}
    if attribute == "id":
        pairs = {value: pair for value in wanted if (pair := catalog.parse_item_id(value))}
        combination_ids = [cid for _, cid in pairs.values() if cid]
        for row in adapter.client.list_any("combinations", "id", combination_ids, prices):
            combination = Combination.model_validate(row)
            key = catalog.item_id(combination.id_product, combination.id)
            if pairs.get(key) == (combination.id_product, combination.id):
                found.setdefault(key, []).append(_item(combination.id_product, combination.id, row))
        simple = [pid for pid, cid in pairs.values() if not cid]
        for row in adapter.client.list_any("products", "id", simple, prices):
            product = Product.model_validate(row)
            if not product.associations.combinations:
                found.setdefault(str(product.id), []).append(_item(product.id, 0, row))
    elif attribute in catalog.FIELDS:
        field = catalog.FIELDS[attribute]
        exact = [value for value in wanted if filterable(value)]
        for row in adapter.client.list_any("combinations", field, exact, prices):
            combination = Combination.model_validate(row)
            found.setdefault(getattr(combination, field), []).append(_item(combination.id_product, combination.id, row))
        # Products are asked only for what no combination carries: a product with combinations is sold as them.
        rest = [value for value in exact if value not in found]
        for row in adapter.client.list_any("products", field, rest, prices):
            product = Product.model_validate(row)
            if not product.associations.combinations:
                found.setdefault(getattr(product, field), []).append(_item(product.id, 0, row))
        # A value the webservice cannot filter exactly (| [ ]) is matched in the catalog, as the catalog reads do.
        for value in set(wanted) - set(exact):
            matches = [p for p in adapter.get_products([value], attribute) if p.identifier(attribute) == value]
            rates = adapter.tax_rates([int(p.product_id) for p in matches], country_id)
            found[value] = [
                OrderItem(int(p.product_id), int(p.variant_id or 0), rates.get(int(p.product_id)), None) for p in matches
            ]
    missing = [value for value in wanted if not found.get(value)]
    if missing:
        raise ProductNotFound(adapter.name, attribute, missing)
    return {value: found[value][0] for value in wanted}  # the first match, as the catalog reads resolve it

