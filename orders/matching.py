"""Linking Miinto positions to store products: the Product Map's id, the GTIN, then a live store look-up; and telling a
Product Identification Attribute that does not fit the map (a configuration mismatch) from products that really are gone."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.models import Product, ProductMapEntry, catalog_key
from catalog.selectors import product_map_for, products_by_identifier
from catalog.services import products_upsert
from connections.models import MiintoConnection, OrderConfiguration
from connections.sync.problems import problem_raise
from orders.models import OrderLine, Position, PositionStatus

IDENTIFICATION_MISMATCH = "identification_mismatch"
# The store's live stock read failed for this position's product: it waits for the next run instead of being decided
# on stale stock (or declined as out of stock).
STOCK_UNCONFIRMED = "stock_unconfirmed"
# "Most of a page": more than this share unmatched while the store has products.
MISMATCH_SHARE = 0.5
# A page this small with nothing better to propose is a product really missing, not a wrong attribute.
MISMATCH_MIN_UNMATCHED = 3
SAMPLE_SIZE = 20
BUILTIN_ATTRIBUTES = ("id", "sku", "gtin")


@dataclass(frozen=True)
class AttributeRate:
    """How many of a sample of Product Map ids one identification attribute finds in the catalog."""

    attribute: str
    matched: int
    sampled: int

    @property
    def percent(self) -> int:
        return round(100 * self.matched / self.sampled) if self.sampled else 0


@dataclass(frozen=True)
class MatchReport:
    """What matching a page found; `mismatch` forbids every not-found decision on it."""

    matched: int
    unmatched: int
    mismatch: bool = False
    suggestion: AttributeRate | None = None

    @property
    def may_decline_not_found(self) -> bool:
        return not self.mismatch


def _map_ids(positions: list[Position], product_map: dict[str, str]) -> dict[int, str]:
    return {p.pk: product_map.get(str(p.item.get("productId") or "")) or product_map.get(p.gtin) or "" for p in positions}


def positions_match(connection: MiintoConnection, configuration: OrderConfiguration, positions: list[Position],
                    product_map: dict[str, str] | None = None, adapter=None) -> MatchReport:
    """Link the page's unmatched positions, refresh matched products' stock, and check for a configuration mismatch.

    Order of look-ups: the map's id by the configured attribute in our catalog, the position's GTIN in our catalog, then
    one batched `get_products` call to the store by the configured attribute (which also refreshes stock). A position is
    left without a product only when all three found nothing.
    """
    store_id = connection.store_connection_id
    if store_id is None or not positions:
        return MatchReport(0, sum(p.product_id is None for p in positions))
    attribute = configuration.product_identification_attribute
    map_ids = _map_ids(positions, product_map or {})
    linked = _catalog_link(connection, attribute, [p for p in positions if p.product_id is None], map_ids)
    # Written before the live look-up, which takes seconds on a slow store: a merchant deciding meanwhile sees the product.
    Position.objects.bulk_update(linked, ["product", "wait_reason"])
    pending = [p for p in positions if p.status == PositionStatus.PENDING]
    if adapter is not None:
        fresh, unconfirmed = _live_lookup(connection, adapter, attribute, pending, map_ids)
        Position.objects.bulk_update(fresh, ["product", "wait_reason"])
        linked += fresh
        _hold_unconfirmed(pending, unconfirmed)
    still = [p for p in pending if p.product_id is None]
    report = MatchReport(len(linked), len(still))
    if still and _looks_like_mismatch(connection, pending, still):
        suggestion = attribute_suggestion(connection, configuration, [map_ids[p.pk] for p in still])
        if suggestion is not None or len(still) >= MISMATCH_MIN_UNMATCHED:
            report = MatchReport(len(linked), len(still), mismatch=True, suggestion=suggestion)
            _hold(connection, attribute, still, suggestion)
    return report


def _catalog_link(connection: MiintoConnection, attribute: str, unmatched: list[Position], map_ids: dict[int, str]) -> list[Position]:
    """Our copy of the catalog: the map's id by the attribute, else the position's GTIN; two queries."""
    store_id = connection.store_connection_id
    by_map_id = products_by_identifier(connection.merchant, store_id, attribute, [map_ids[p.pk] for p in unmatched])
    by_gtin = products_by_identifier(connection.merchant, store_id, "gtin", [p.gtin for p in unmatched])
    linked = []
    for position in unmatched:
        product = by_map_id.get(map_ids[position.pk]) or by_gtin.get(position.gtin)
        if product is not None:
            _link(position, product)
            linked.append(position)
    return linked


def lines_rematch(connection: MiintoConnection, lines: list, adapter) -> int:
    """Before a store push (also a retried one): match the order's unmatched lines again with the current configuration."""
    orphans = [line for line in lines if line.product_id is None and line.position_id is not None]
    if not orphans or connection.store_connection_id is None:
        return 0
    attribute = connection.order_configuration.product_identification_attribute
    loaded = Position.objects.in_bulk([line.position_id for line in orphans])
    for line in orphans:
        line.position = loaded[line.position_id]
    positions = [line.position for line in orphans]
    keys = [str(p.item.get("productId") or "") for p in positions] + [p.gtin for p in positions]
    map_ids = _map_ids(positions, product_map_for(connection, keys))
    linked = _catalog_link(connection, attribute, [p for p in positions if p.product_id is None], map_ids)
    missing = [p for p in positions if p.product_id is None]
    if missing:  # only then ask the store (the push's own product resolution follows anyway)
        linked += _live_lookup(connection, adapter, attribute, missing, map_ids)[0]
    Position.objects.bulk_update(linked, ["product", "wait_reason"])
    for line in orphans:
        if line.position.product_id is not None:
            line.product = line.position.product
            line.sku = line.product.sku
    OrderLine.objects.bulk_update(orphans, ["product", "sku"])
    return len(linked)


def _link(position: Position, product: Product) -> None:
    position.product = product
    if position.wait_reason == IDENTIFICATION_MISMATCH:
        position.wait_reason = ""


def _live_lookup(connection: MiintoConnection, adapter, attribute: str, positions: list[Position],
                 map_ids: dict[int, str]) -> tuple[list[Position], set[int]]:
    """One `get_products` call for the page: fresh stock for `positions`' matched products, and products the store has
    that our hourly copy of the catalog does not yet; returns the positions newly linked, and the ids of positions whose
    product's stock the store could not tell this time."""
    matched = {p.product.identifier(attribute): p.product for p in positions if p.product_id and p.product.identifier(attribute)}
    wanted_for: dict[str, list[Position]] = {}
    for position in positions:
        if position.product_id is None:
            # Without a map id only a GTIN attribute has a value to ask the store for.
            value = map_ids[position.pk] or (position.gtin if attribute == "gtin" else "")
            if value:
                wanted_for.setdefault(value, []).append(position)
    wanted = sorted(set(matched) | set(wanted_for))
    if not wanted:
        return [], set()
    fresh, refreshed, unknown = [], [], set()
    for store_product in adapter.get_products(wanted, attribute):  # the page's one live call
        value = store_product.identifier(attribute) or ""
        if store_product.stock_unknown:
            unknown.add(value)
        if value in matched:
            if store_product.stock is not None and not store_product.stock_unknown:
                matched[value].stock = store_product.stock
                refreshed.append(matched[value])
        elif value in wanted_for:
            fresh.append(store_product)
    Product.objects.bulk_update(refreshed, ["stock"])
    unconfirmed = {p.pk for p in positions if p.product_id and p.product.identifier(attribute) in unknown}
    unconfirmed |= {p.pk for value in unknown for p in wanted_for.get(value, [])}
    if not fresh:
        return [], unconfirmed
    store = connection.store_connection
    products_upsert(store, fresh)
    keys = [catalog_key(p.product_id, p.variant_id) for p in fresh]
    linked = []
    for product in Product.objects.filter(store_connection=store, store_variant_id__in=keys):
        for position in wanted_for.pop(product.identifier(attribute) or "", []):
            _link(position, product)
            linked.append(position)
    return linked, unconfirmed


def _hold_unconfirmed(pending: list[Position], unconfirmed: set[int]) -> None:
    """Mark the positions whose stock could not be read, and clear the mark of those read this time (two queries at most)."""
    held = [p for p in pending if p.pk in unconfirmed]
    cleared = [p for p in pending if p.pk not in unconfirmed and p.wait_reason == STOCK_UNCONFIRMED]
    # Only rows still pending: a position decided meanwhile (by hand, or in Miinto) keeps no wait reason.
    still_pending = Position.objects.filter(status=PositionStatus.PENDING)
    for positions, reason in ((held, STOCK_UNCONFIRMED), (cleared, "")):
        for position in positions:
            position.wait_reason = reason
        if positions:
            still_pending.filter(pk__in=[p.pk for p in positions]).update(wait_reason=reason)


def _looks_like_mismatch(connection: MiintoConnection, positions: list[Position], still: list[Position]) -> bool:
    if len(still) / len(positions) <= MISMATCH_SHARE:
        return False
    return Product.objects.filter(store_connection_id=connection.store_connection_id, removed_at__isnull=True).exists()


def _hold(connection: MiintoConnection, attribute: str, still: list[Position], suggestion: AttributeRate | None) -> None:
    """Keep the unmatched positions for a manual decision and raise one Problem per connection saying what fits."""
    for position in still:
        position.wait_reason = IDENTIFICATION_MISMATCH
    Position.objects.bulk_update(still, ["wait_reason"])
    if suggestion is not None:
        advice = (f'Miinto\'s Product Map ids match the attribute "{suggestion.attribute}" ({suggestion.matched} of {suggestion.sampled} '
                  f'sampled ids, {suggestion.percent}%): set it as the Product Identification Attribute in the Orders configuration.')
    else:
        advice = "No identification attribute matches the Product Map's ids: check the Product Map and the store catalog."
    problem_raise(
        merchant=connection.merchant, kind=IDENTIFICATION_MISMATCH, connection=connection,
        message=(f'{len(still)} position(s) match no store product by the Product Identification Attribute "{attribute}", although '
                 f"the store has products. {advice} No position is declined as not found meanwhile; they wait for a decision."),
        fingerprint=f"{IDENTIFICATION_MISMATCH}:{connection.pk}", subject_type="connection", subject_id=connection.pk,
        excerpt={"attribute": attribute, "suggested": suggestion.attribute if suggestion else None,
                 "positions": [p.miinto_id for p in still[:SAMPLE_SIZE]]},
    )


def candidate_attributes(store_connection_id: int) -> list[str]:
    """id, sku, gtin and the custom identifier attributes a sample of the store's products carry."""
    custom: set[str] = set()
    for identifiers in Product.objects.filter(store_connection_id=store_connection_id).values_list("identifiers", flat=True)[:50]:
        custom.update(identifiers or {})
    return list(BUILTIN_ATTRIBUTES) + sorted(custom - set(BUILTIN_ATTRIBUTES))


def attribute_rates(connection: MiintoConnection, sample: list[str], candidates: list[str] | None = None) -> list[AttributeRate]:
    """Each candidate attribute's match rate for `sample` (Product Map ids) in the catalog, best first; one query each."""
    sample = sorted({s for s in sample if s})[:SAMPLE_SIZE]
    if not sample or connection.store_connection_id is None:
        return []
    rates = []
    for attribute in candidates or candidate_attributes(connection.store_connection_id):
        found = products_by_identifier(connection.merchant, connection.store_connection_id, attribute, sample)
        rates.append(AttributeRate(attribute, sum(1 for value in sample if value in found), len(sample)))
    return sorted(rates, key=lambda rate: -rate.matched)


def map_sample(connection: MiintoConnection) -> list[str]:
    """A sample of the Product Map's feed ids for this connection."""
    return list(ProductMapEntry.objects.filter(connection=connection).order_by("pk").values_list("feed_id", flat=True)[:SAMPLE_SIZE])


def attribute_suggestion(connection: MiintoConnection, configuration: OrderConfiguration, map_ids: list[str]) -> AttributeRate | None:
    """The attribute that matches the map's ids (those of the page, else a sample of the map) better than the configured one."""
    rates = attribute_rates(connection, [m for m in map_ids if m] or map_sample(connection))
    current = next((r.matched for r in rates if r.attribute == configuration.product_identification_attribute), 0)
    best = next((r for r in rates if r.matched > current and r.attribute != configuration.product_identification_attribute), None)
    return best
