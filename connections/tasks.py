"""Background refreshes of the lists pages show from the cache (Miinto's shipping providers, store attributes).

Thin tasks that take ids, as the engine's are; their names are the ones `remote_choices` enqueues.
"""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from connections import remote_choices
from connections.models import MiintoConnection, StoreConnection
from connections.staleness import stale_check
from connections.sync.enqueue import REFRESH_ATTRIBUTES, REFRESH_PROVIDERS
from koongo.accounts.tenancy import merchant_scope
from koongo.http import HttpError


@shared_task(name=REFRESH_PROVIDERS)
def refresh_market_providers(connection_id: int) -> str:
    # A task's first load by id; the refresh runs in the connection's merchant scope.
    with scopes_disabled():
        connection = MiintoConnection.objects.select_related("merchant").filter(pk=connection_id).first()
    if connection is None:
        return "missing"
    with merchant_scope(connection.merchant):
        try:
            remote_choices.market_providers_refresh(connection)
        except HttpError:
            return "failed"  # recorded on the cache entry; the next stale read queues another try
    return "refreshed"


@shared_task(name=REFRESH_ATTRIBUTES)
def refresh_identifier_attributes(store_id: int) -> str:
    with scopes_disabled():
        store = StoreConnection.objects.select_related("merchant").filter(pk=store_id).first()
    if store is None:
        return "missing"
    with merchant_scope(store.merchant):
        try:
            remote_choices.identifier_attributes_refresh(store)
        except (HttpError, ValueError):
            return "failed"
    return "refreshed"


@shared_task(name="connections.tasks.check_stale_connections")
def check_stale_connections() -> dict:
    """Beat: flag connections that stopped syncing, e-mail their owners (reminder every 24 h), clear the recovered."""
    return stale_check()
