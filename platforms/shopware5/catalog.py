"""The Shopware 5 catalog: variants listed paged or filtered by number/EAN, each article read once for what the list lacks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from koongo.http import PermanentError
from platforms.base import Attribute, AttributeKind, StorePrice, StoreProduct, chunked, unique
from platforms.mechanics import COLOR_NAMES, SIZE_NAMES, cents, gross_up, option_named
from platforms.shopware5.client import NAME, filters
from platforms.shopware5.connection import Shopware5Connection
from platforms.shopware5.schemas import Article, Price, Variant

BATCH = 100
# identifier attribute code → the variant property it is filtered by
PROPERTIES = {"id": "id", "sku": "number", "gtin": "ean", "mpn": "supplierNumber"}
ATTRIBUTES = [
    Attribute(code="id", label="Variant ID", kind=AttributeKind.ID),
    Attribute(code="sku", label="Article number", kind=AttributeKind.SKU),
    Attribute(code="gtin", label="EAN", kind=AttributeKind.GTIN),
    Attribute(code="mpn", label="Manufacturer number", kind=AttributeKind.MPN),
]
# Prices for customer groups that enter prices with tax come back grossed up, the stored net kept in `net`.
LIST_PARAMS = [("considerTaxInput", "1"), ("sort[0][property]", "id"), ("sort[0][direction]", "ASC")]


class VariantReads(Shopware5Connection):
    """Listing and lookup through `/api/variants`, enriched by `/api/articles/{id}` (options, brand, category, tax)."""

    def identifier_attributes(self) -> list[Attribute]:
        return list(ATTRIBUTES)

    def iter_products(self, page_size: int = 100) -> Iterator[StoreProduct]:
        size = min(max(page_size, 1), 1000)
        for page in chunked(self.client.pages("variants", LIST_PARAMS, size), size):
            yield from self._items([Variant.model_validate(row) for row in page])

    def get_products(self, identifiers: Sequence[str], attribute: str) -> list[StoreProduct]:
        if attribute not in PROPERTIES:
            raise PermanentError(f"{NAME} has no identifier attribute {attribute!r}")
        wanted = [value for value in unique(identifiers) if attribute != "id" or value.isdigit()]
        found: list[StoreProduct] = []
        for batch in chunked(wanted, BATCH):
            rows, _ = self.client.listing(
                "variants", [*filters((PROPERTIES[attribute], None, batch)), *LIST_PARAMS], limit=len(batch) * 2
            )
            found += [
                item for item in self._items([Variant.model_validate(row) for row in rows]) if item.identifier(attribute) in batch
            ]
        return found

    def variants_by_number(self, numbers: Sequence[str]) -> dict[str, Variant]:
        """The variants with these numbers, by number (plain rows: no articles read)."""
        found: dict[str, Variant] = {}
        for batch in chunked(unique(numbers), BATCH):
            rows, _ = self.client.listing("variants", filters(("number", None, batch)), limit=len(batch) * 2)
            found |= {variant.number: variant for variant in map(Variant.model_validate, rows) if variant.number in batch}
        return found

    def article(self, article_id: int, cache: dict[int, Article]) -> Article:
        if article_id not in cache:
            cache[article_id] = Article.model_validate(self.client.get(f"articles/{article_id}", {"considerTaxInput": "1"}))
        return cache[article_id]

    def _items(self, variants: list[Variant]) -> list[StoreProduct]:
        articles: dict[int, Article] = {}
        return [self._item(variant, self.article(variant.article_id, articles)) for variant in variants]

    def _item(self, variant: Variant, article: Article) -> StoreProduct:
        groups = {group.id: group.name for group in (article.configurator_set.groups if article.configurator_set else [])}
        detail = next((d for d in [article.main_detail, *article.details] if d and d.id == variant.id), None)
        options = {groups.get(option.group_id, ""): option.name for option in (detail.configurator_options if detail else [])}
        identifiers = {"id": str(variant.id), "sku": variant.number, "gtin": variant.ean, "mpn": variant.supplier_number}
        final, original = self._prices(variant, article)
        return StoreProduct(
            product_id=str(variant.article_id),
            variant_id=str(variant.id),
            sku=variant.number,
            gtin=variant.ean or None,
            identifiers={code: value for code, value in identifiers.items() if value},
            title=article.name,
            brand=article.supplier.name if article.supplier else None,
            color=option_named(options, COLOR_NAMES),
            size=option_named(options, SIZE_NAMES),
            category=article.categories[0].name if article.categories else None,
            stock=variant.in_stock,
            final_price=final,
            original_price=original,
        )

    def _prices(self, variant: Variant, article: Article) -> tuple[StorePrice | None, StorePrice | None]:
        """The customer group's first price tier, with tax; the pseudo price (strike-through) as the original."""
        tier = next((p for p in variant.prices if p.customer_group_key == self.credentials.customer_group and p.from_ == 1), None)
        if tier is None:
            return None, None
        rate = article.tax.tax if article.tax else Decimal("0")
        final = self._gross(tier.price, tier, rate, "price")
        original = self._gross(tier.pseudo_price, tier, rate, "pseudo price") if tier.pseudo_price > tier.price else final
        return final, original

    def _gross(self, amount: Decimal, tier: Price, rate: Decimal, what: str) -> StorePrice:
        if tier.net is not None:  # Shopware grossed it up (considerTaxInput)
            derivation = f"Shopware {what} for {tier.customer_group_key}, with tax (considerTaxInput)"
        else:
            amount = gross_up(amount, rate)
            derivation = f"Shopware net {what} for {tier.customer_group_key} × (1 + {rate} %)"
        return StorePrice(amount=cents(amount), currency=self.currency(), tax_included=True, derivation=derivation)
