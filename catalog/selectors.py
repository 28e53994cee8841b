"""Reads for the catalog: the auto-accept rule's reference price, products matched by identifier, the Product Map,
and the products, listings and price exports the dashboard and the API show (another merchant's ids answer 404)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, FilteredRelation, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from catalog.models import CatalogSettings, PriceExport, Product, ProductListing, ProductMapEntry
from connections.models import Flow, MiintoConnection, ReferencePrice, SyncRun

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


def product_map_for(connection: MiintoConnection, keys: Iterable[str] | None = None) -> dict[str, str]:
    """Miinto item id → feed id and gtin → feed id, from the connection's copy of the Product Map; one query.

    Pass `keys` (item ids and gtins of a page of positions) to read only those entries. Empty when the shop has no map.
    """
    entries = ProductMapEntry.objects.filter(connection=connection)
    if keys is not None:
        wanted = sorted({k for k in keys if k})
        if not wanted:
            return {}
        entries = entries.filter(Q(miinto_item_id__in=wanted) | Q(gtin__in=wanted))
    mapping: dict[str, str] = {}
    for item_id, gtin, feed_id in entries.values_list("miinto_item_id", "gtin", "feed_id"):
        mapping[item_id] = feed_id
        if gtin:
            mapping.setdefault(gtin, feed_id)
    return mapping


# --- dashboard and API reads ------------------------------------------------------------------------------------------------


def products(merchant) -> QuerySet[Product]:
    """Products with their listings (each with its connection) prefetched: a constant number of queries per page."""
    return (
        Product.objects.filter(merchant=merchant)
        .select_related("store_connection")
        .prefetch_related(Prefetch("listings", queryset=ProductListing.objects.select_related("connection").order_by("connection_id")))
    )


def products_narrowed(
    found: QuerySet[Product],
    *,
    store_connection: int | None = None,
    connection: int | None = None,
    q: str = "",
    mapping_problem: bool | None = None,
    out_of_stock: bool | None = None,
    never_exported: bool | None = None,
    removed: bool | None = None,
) -> QuerySet[Product]:
    """The API's product filters; with `connection`, the listing filters look at that connection's listing only."""
    if store_connection:
        found = found.filter(store_connection_id=store_connection)
    if connection:
        found = found.filter(store_connection__miinto_connections__pk=connection)
    found = _search(found, q or "")
    listings_of = ProductListing.objects.filter(connection_id=connection) if connection else ProductListing.objects.all()
    if mapping_problem is not None:
        with_problem = listings_of.filter(Q(mapping_problem__gt="") | Q(stock_problem__gt="")).values("product_id")
        found = found.filter(pk__in=with_problem) if mapping_problem else found.exclude(pk__in=with_problem)
    if out_of_stock is not None:
        found = found.filter(stock__lte=0) if out_of_stock else found.exclude(stock__lte=0)
    if never_exported is not None:
        exported = listings_of.filter(Q(exported_stock_at__isnull=False) | Q(exported_price_at__isnull=False)).values("product_id")
        found = found.exclude(pk__in=exported) if never_exported else found.filter(pk__in=exported)
    if removed is not None:
        found = found.filter(removed_at__isnull=not removed)
    return found


def _search(found: QuerySet[Product], query: str) -> QuerySet[Product]:
    query = query.strip()
    if not query:
        return found
    return found.filter(
        Q(title__icontains=query) | Q(brand__icontains=query) | Q(sku__iexact=query) | Q(gtin=query) | Q(identifiers__id=query)
        | Q(store_variant_id=query)
        | Q(item_group_id__iexact=query)
    )  # fmt: skip


def product(merchant, pk) -> Product:
    """One product with every listing and each listing's price exports, newest first (rows exist only for changes)."""
    exports = PriceExport.objects.order_by("-exported_at", "-pk")
    listings_ = ProductListing.objects.select_related("connection").prefetch_related(Prefetch("price_exports", queryset=exports))
    found = Product.objects.filter(merchant=merchant).select_related("store_connection").prefetch_related(Prefetch("listings", queryset=listings_))
    return get_object_or_404(found, pk=pk)


def connection_products(merchant, connection: MiintoConnection, *, q: str = "", show: str = "") -> QuerySet[Product]:
    """The products page of one connection: its store's products with this connection's listing columns.

    `show` picks problems, out_of_stock, never_exported or removed; by default the live products.
    """
    listing = FilteredRelation("listings", condition=Q(listings__connection_id=connection.pk))
    found = (
        Product.objects.filter(merchant=merchant, store_connection_id=connection.store_connection_id)
        .annotate(listing=listing)
        .annotate(
            in_feed=F("listing__in_feed"), mapping_problem=F("listing__mapping_problem"), stock_problem=F("listing__stock_problem"),
            exported_stock=F("listing__exported_stock"), exported_stock_at=F("listing__exported_stock_at"),
            exported_retail=F("listing__exported_retail_price"), exported_discount=F("listing__exported_discount_price"),
            exported_currency=F("listing__exported_currency"), exported_price_at=F("listing__exported_price_at"),
        )
    )  # fmt: skip
    found = _search(found, q)
    if show == "problems":
        found = found.filter(Q(mapping_problem__gt="") | Q(stock_problem__gt=""))
    elif show == "out_of_stock":
        found = found.filter(stock__lte=0)
    elif show == "never_exported":
        found = found.filter(exported_stock_at__isnull=True, exported_price_at__isnull=True)
    found = found.filter(removed_at__isnull=show != "removed")
    return found.order_by("title", "size", "pk")


def listings(merchant) -> QuerySet[ProductListing]:
    return ProductListing.objects.filter(merchant=merchant).select_related("product", "connection")


def listings_narrowed(
    found: QuerySet[ProductListing],
    *,
    connection: int | None = None,
    product: int | None = None,
    in_feed: bool | None = None,
    mapping_problem: bool | None = None,
    never_exported: bool | None = None,
) -> QuerySet[ProductListing]:
    if connection:
        found = found.filter(connection_id=connection)
    if product:
        found = found.filter(product_id=product)
    if in_feed is not None:
        found = found.filter(in_feed=in_feed)
    problem = Q(mapping_problem__gt="") | Q(stock_problem__gt="")
    if mapping_problem is not None:
        found = found.filter(problem) if mapping_problem else found.exclude(problem)
    never = Q(exported_stock_at__isnull=True, exported_price_at__isnull=True)
    if never_exported is not None:
        found = found.filter(never) if never_exported else found.exclude(never)
    return found


def price_exports(merchant) -> QuerySet[PriceExport]:
    return PriceExport.objects.filter(merchant=merchant).select_related("listing")


def catalog_settings_of(connection: MiintoConnection) -> CatalogSettings | None:
    """The connection's settings if the feed was ever set up; reading never creates them."""
    return CatalogSettings.objects.filter(connection=connection).first()


def listing_counts(merchant) -> dict[int, dict]:
    """Per Miinto connection: items in the feed, items with a problem, items left out of the feed; one query."""
    # By the merchant's connections: (connection, in_feed) then serves the scan; `merchant` alone has no index to count
    # by, and the planner walked every tenant's listings.
    rows = (
        ProductListing.objects.filter(merchant=merchant, connection__in=MiintoConnection.objects.filter(merchant=merchant).values("pk"))
        .values("connection_id")
        .annotate(
            listed=Count("pk", filter=Q(in_feed=True)),
            with_problems=Count("pk", filter=Q(mapping_problem__gt="") | Q(stock_problem__gt="")),
            left_out=Count("pk", filter=Q(in_feed=False, product__removed_at__isnull=True)),
        )
        .order_by()
    )
    return {row.pop("connection_id"): row for row in rows}


def listing_counts_of(connection: MiintoConnection) -> dict:
    """`listing_counts` for one connection."""
    return ProductListing.objects.filter(connection=connection).aggregate(
        listed=Count("pk", filter=Q(in_feed=True)),
        with_problems=Count("pk", filter=Q(mapping_problem__gt="") | Q(stock_problem__gt="")),
        left_out=Count("pk", filter=Q(in_feed=False, product__removed_at__isnull=True)),
    )


def product_counts_of(store) -> int:
    """Live products of one store connection (0 without one)."""
    if store is None:
        return 0
    return Product.objects.filter(store_connection=store, removed_at__isnull=True).count()


def product_counts(merchant) -> dict[int, int]:
    """Live products per store connection; one query."""
    rows = Product.objects.filter(merchant=merchant, removed_at__isnull=True).values("store_connection_id").annotate(n=Count("pk")).order_by()
    return {row["store_connection_id"]: row["n"] for row in rows}


def latest_runs(connection: MiintoConnection) -> dict[str, SyncRun | None]:
    """The newest catalog and stock run of the connection, by flow."""
    return {flow: SyncRun.objects.filter(connection=connection, flow=flow).order_by("-created_at", "-pk").first() for flow in (Flow.CATALOG, Flow.STOCK)}
