"""Lists that pages show from remotes (Miinto's shipping providers per market, the store's identifier attributes),
read from the cache only and refreshed in the background, so no page view waits on a remote.

An entry keeps its last good list for a week; after its freshness period a read queues a refresh (one at a time per
key). A failed refresh keeps the old list and records the error, so a failing remote is not asked again on every view.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils.translation import gettext as _

from connections import clients
from connections.models import MiintoConnection, StoreConnection
from connections.sync.enqueue import REFRESH_ATTRIBUTES, REFRESH_PROVIDERS, enqueue
from koongo.http import HttpError

PROVIDERS_FRESH_SECONDS = 3600
ATTRIBUTES_FRESH_SECONDS = 600
KEEP_SECONDS = 7 * 24 * 3600
REFRESH_GUARD_SECONDS = 60  # at most one queued refresh per key a minute
RETRY_FAILED_SECONDS = 60  # a list never fetched because the remote failed is asked for again after this
KEY_NAMESPACE = "remote-lists"  # tests give each test its own


@dataclass(frozen=True)
class Cached:
    """A cached list (None if never fetched), when it was fetched, and the last refresh's error if it failed."""

    items: list[tuple[str, str]] | None
    fetched_at: float | None = None
    error: str = ""
    refreshing: bool = field(default=False)


def providers_key(connection: MiintoConnection) -> str:
    # Per market: every shop of a market offers the same providers.
    return f"{KEY_NAMESPACE}:miinto-market-providers:{connection.environment}:{connection.market or connection.shop_id}"


def attributes_key(store: StoreConnection) -> str:
    return f"{KEY_NAMESPACE}:identifier-attributes:{store.pk}"


def _read(key: str, fresh_seconds: int, enqueue) -> Cached:
    entry = cache.get(key) or {}
    if entry and entry.get("items") is None:
        fresh_seconds = RETRY_FAILED_SECONDS
    stale = not entry or time.time() - entry.get("checked_at", 0) > fresh_seconds
    refreshing = False
    if stale and cache.add(f"{key}:refreshing", 1, timeout=REFRESH_GUARD_SECONDS):
        enqueue()
        refreshing = True
    entry = cache.get(key) or entry  # an eager worker (tests, the demo's inline mode) may have answered already
    return Cached(entry.get("items"), entry.get("fetched_at"), entry.get("error", ""), refreshing and entry.get("items") is None)


def _write(key: str, items: list[tuple[str, str]] | None, error: str = "") -> None:
    now = time.time()
    previous = cache.get(key) or {}
    entry = {"items": items, "fetched_at": now, "checked_at": now, "error": ""}
    if error:  # keep the last good list; remember the failure so it is not retried on every view
        entry = {**previous, "items": previous.get("items"), "checked_at": now, "error": error}
    cache.set(key, entry, KEEP_SECONDS)


def market_providers(connection: MiintoConnection) -> Cached:
    """Miinto's shipping providers of the connection's market, from the cache; a refresh is queued when stale."""
    return _read(providers_key(connection), PROVIDERS_FRESH_SECONDS, lambda: enqueue(REFRESH_PROVIDERS, connection.pk))


def identifier_attributes(store: StoreConnection) -> Cached:
    """The store's identifier attributes, from the cache; a refresh is queued when stale."""
    return _read(attributes_key(store), ATTRIBUTES_FRESH_SECONDS, lambda: enqueue(REFRESH_ATTRIBUTES, store.pk))


def market_providers_refresh(connection: MiintoConnection) -> list[tuple[str, str]]:
    """Ask Miinto now and cache the answer; raises the client's HttpError (recorded on the entry) if it fails."""
    try:
        with clients.miinto_client(connection) as client:
            items = [(str(p.id), p.name or str(p.id)) for p in client.shop_shipping_providers(connection.shop_id)]
    except HttpError as error:
        _write(providers_key(connection), None, error=str(error) or type(error).__name__)
        raise
    _write(providers_key(connection), items)
    return items


def identifier_attributes_refresh(store: StoreConnection) -> list[tuple[str, str]]:
    """Ask the store now and cache the answer; raises the adapter's HttpError (recorded on the entry) if it fails."""
    try:
        with clients.store_adapter(store) as adapter:
            items = [(a.code, a.label) for a in adapter.identifier_attributes()]
    except HttpError as error:
        _write(attributes_key(store), None, error=str(error) or type(error).__name__)
        raise
    _write(attributes_key(store), items)
    return items


def _cached_items(key: str) -> list[tuple[str, str]] | None:
    return (cache.get(key) or {}).get("items")


def providers_now(connection: MiintoConnection) -> list[tuple[str, str]]:
    """For a write that validates against the list: the cached list, else Miinto's answer now; [] if it cannot answer."""
    cached = _cached_items(providers_key(connection))
    if cached is not None:
        return cached
    try:
        return market_providers_refresh(connection)
    except HttpError:
        return []


def attributes_now(store: StoreConnection | None) -> list[tuple[str, str]]:
    """For a write: the store's cached identifier attributes, else its answer now; `id` when it cannot answer."""
    fallback = [("id", _("Product id"))]
    if store is None:
        return fallback
    cached = _cached_items(attributes_key(store))
    if cached is not None:
        return cached
    try:
        return identifier_attributes_refresh(store)
    except (HttpError, ValueError):
        return fallback


def connection_check(connection: MiintoConnection) -> list[str]:
    """The explicit live test of a connection: ask Miinto and the store now; returns what failed (empty when all answered)."""
    failures = []
    try:
        market_providers_refresh(connection)
    except HttpError as error:
        failures.append(_("Miinto did not answer: %(error)s") % {"error": error})
    if connection.store_connection is not None:
        try:
            identifier_attributes_refresh(connection.store_connection)
        except (HttpError, ValueError) as error:
            failures.append(_("The store did not answer: %(error)s") % {"error": error})
    return failures
