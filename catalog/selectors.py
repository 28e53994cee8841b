"""Reads for the catalog: the auto-accept rule's reference price, and products matched by identifier."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from catalog.models import Product, ProductListing
from connections.models import MiintoConnection, ReferencePrice

LAST_EXPORTED = "last_exported"
REFERENCE_ATTRIBUTE = "reference_attribute"
BUILTIN_FIELDS = {"sku": "sku", "gtin": "gtin"}


@dataclass(frozen=True)
class ReferencePriceValue:
    """The price the auto-accept rule compares against, its currency, and where it came from."""

    price: Decimal | None
    currency: str
    source: str


def reference_price(product: Product, connection: MiintoConnection, attribute: str = ReferencePrice.FINAL) -> ReferencePriceValue:
    """The most recent price exported on this connection, else the store's Reference Price Attribute."""
    listing = getattr(product, "_listing_for_rule", None)
    if listing is None:
        listing = ProductListing.objects.filter(product=product, connection=connection).first()
    return reference_price_from(product, listing, attribute)


def reference_price_from(product: Product, listing: ProductListing | None, attribute: str) -> ReferencePriceValue:
    """`reference_price` for a listing already loaded (the order engine prefetches them for a whole page)."""
    if listing is not None and listing.exported_price_at is not None:
        exported = listing.exported_discount_price or listing.exported_retail_price
        if exported is not None:
            return ReferencePriceValue(exported, listing.exported_currency, LAST_EXPORTED)
    store_price = product.original_price if attribute == ReferencePrice.ORIGINAL else product.final_price
    if attribute == ReferencePrice.ORIGINAL and store_price is None:
        store_price = product.final_price  # a product never discounted has no separate original price
    return ReferencePriceValue(store_price, product.price_currency, REFERENCE_ATTRIBUTE)


def products_by_identifier(merchant, store_connection_id: int, attribute: str, values: Iterable[str]) -> dict[str, Product]:
    """Live products of one store whose `attribute` value is among `values`, keyed by that value; one query."""
    values = sorted({v for v in values if v})
    if not values:
        return {}
    field = BUILTIN_FIELDS.get(attribute)
    query = Q(**{f"{field}__in": values}) if field else Q(**{f"identifiers__{attribute}__in": values})
    if attribute == "id":
        query |= Q(store_variant_id__in=values)
    found = Product.objects.filter(Q(merchant=merchant, store_connection_id=store_connection_id, removed_at__isnull=True) & query)
    return {product.identifier(attribute): product for product in found}


def products(merchant) -> QuerySet[Product]:
    return Product.objects.filter(merchant=merchant).select_related("store_connection")
