"""The PrestaShop catalog reads: products and combinations paged or filtered by reference/EAN, with their lookups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from koongo.http import PermanentError
from platforms.base import Attribute, StoreProduct, chunked, unique
from platforms.prestashop import catalog
from platforms.prestashop.client import BATCH, NAME, any_of, filterable
from platforms.prestashop.connection import PrestaShopConnection
from platforms.prestashop.schemas import Category, Combination, Option, OptionValue, Product, StockAvailable

PAGE_MAX = 250
COMBINATION_PAGE = 500


class ProductReads(PrestaShopConnection):
    """Listing and lookup. A product with combinations is sold as its combinations; one without is sold itself."""

    _option_groups: dict[int, str] | None = None
    _located: dict[str, tuple[int, int]]

    def identifier_attributes(self) -> list[Attribute]:
        return list(catalog.ATTRIBUTES)

    def iter_products(self, page_size: int = 100) -> Iterator[StoreProduct]:
        size = min(max(page_size, 1), PAGE_MAX)
        for page in chunked(self.client.pages("products", catalog.PRICE_ALIASES, size), size):
            products = [Product.model_validate(row) for row in page]
            parents = [p.id for p in products if p.associations.combinations]
            combinations = [c for ids in chunked(parents, BATCH) for c in self._combinations({"filter[id_product]": ids})]
            yield from self._items(products, combinations)

    def get_products(self, identifiers: Sequence[str], attribute: str) -> list[StoreProduct]:
        wanted = unique(identifiers)
        if attribute == "id":
            return self._items_by_id(wanted)
        if attribute not in catalog.FIELDS:
            raise PermanentError(f"{NAME} has no identifier attribute {attribute!r}")
        field = catalog.FIELDS[attribute]
        exact = [value for value in wanted if filterable(value)]
        found: list[StoreProduct] = []
        for batch in chunked(exact, BATCH):
            combinations = self._combinations({f"filter[{field}]": batch})
            products = self._products({f"filter[{field}]": batch})
            parents = sorted({c.id_product for c in combinations} - {p.id for p in products})
            products += [p for ids in chunked(parents, BATCH) for p in self._products({"filter[id]": ids})]
            found += [item for item in self._items(products, combinations) if item.identifier(attribute) in batch]
        rest = set(wanted) - set(exact)
        if rest:  # a value with | [ or ] cannot be filtered exactly, so the catalog is read and matched here
            found += [item for item in self.iter_products(100) if item.identifier(attribute) in rest]
        return found

    def _items_by_id(self, wanted: list[str]) -> list[StoreProduct]:
        pairs = [pair for pair in map(catalog.parse_item_id, wanted) if pair]
        products = [p for ids in chunked(unique(pid for pid, _ in pairs), BATCH) for p in self._products({"filter[id]": ids})]
        combination_ids = [cid for _, cid in pairs if cid]
        combinations = [c for ids in chunked(combination_ids, BATCH) for c in self._combinations({"filter[id]": ids})]
        return [item for item in self._items(products, combinations) if item.identifier("id") in wanted]

    def _products(self, filters: dict[str, list]) -> list[Product]:
        params = {key: any_of(values) for key, values in filters.items()} | catalog.PRICE_ALIASES
        return [Product.model_validate(row) for row in self.client.list("products", params)]

    def _combinations(self, filters: dict[str, list]) -> list[Combination]:
        """Combinations paged too: a page of products with many sizes and colours can have thousands."""
        params = {key: any_of(values) for key, values in filters.items()} | catalog.PRICE_ALIASES
        return [Combination.model_validate(row) for row in self.client.pages("combinations", params, COMBINATION_PAGE)]

    def _items(self, products: list[Product], combinations: list[Combination]) -> list[StoreProduct]:
        """Items with their stock, option names and category, each lookup read in batches."""
        lookups = catalog.Lookups(self.credentials.shop_url, self.currency(self.settings().currency_id).iso_code)
        rows = self.client.list_any(
            "stock_availables", "id_product", [p.id for p in products], display="[id,id_product,id_product_attribute,quantity]"
        )
        for stock in map(StockAvailable.model_validate, rows):
            lookups.stock.setdefault((stock.id_product, stock.id_product_attribute), stock.quantity)
        value_ids = unique(ref.id for c in combinations for ref in c.associations.product_option_values)
        groups = self._groups() if value_ids else {}
        rows = self.client.list_any("product_option_values", "id", value_ids, display="[id,id_attribute_group,name]")
        for value in map(OptionValue.model_validate, rows):
            lookups.option_values[value.id] = (groups.get(value.id_attribute_group, ""), value.name)
        category_ids = [p.id_category_default for p in products if p.id_category_default]
        for category in map(Category.model_validate, self.client.list_any("categories", "id", category_ids, display="[id,name]")):
            lookups.categories[category.id] = category.name
        return catalog.items(products, combinations, lookups)

    def _groups(self) -> dict[int, str]:
        if self._option_groups is None:
            options = map(Option.model_validate, self.client.list("product_options", display="[id,name]"))
            self._option_groups = {option.id: option.name for option in options}
        return self._option_groups

    def locate(self, sku: str) -> tuple[int, int]:
        """(product id, combination id or 0) of the one sellable item with this reference; remembered for the adapter's life."""
        if sku not in self._located:
            matches = []
            if filterable(sku):
                params = {"filter[reference]": any_of([sku])}
                rows = self.client.list("combinations", params, display="[id,id_product,reference]")
                matches = [(c.id_product, c.id) for c in map(Combination.model_validate, rows) if c.reference == sku]
                products = map(Product.model_validate, self.client.list("products", params))
                matches += [(p.id, 0) for p in products if p.reference == sku and not p.associations.combinations]
            if len(matches) != 1:
                # Writing stock to one of several items sharing a reference would be a guess.
                raise PermanentError(f"{NAME} has {len(matches) or 'no'} items with reference {sku}", code="sku")
            self._located[sku] = matches[0]
        return self._located[sku]
