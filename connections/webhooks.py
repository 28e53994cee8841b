"""Store webhook receiver: find the store connection, verify the delivery with its adapter, dedupe, and dispatch.

Apps register what to do per event kind (`register_webhook_handler`), so this module imports no higher app.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import structlog
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled

from connections import clients
from connections.models import StoreConnection
from connections.store_identity import normalize_store_identity
from koongo.accounts.tenancy import merchant_scope
from koongo.coordination import locks
from koongo.http import AuthError, PermanentError

log = structlog.get_logger(__name__)
_handlers: dict[str, list[Callable]] = defaultdict(list)


def register_webhook_handler(kind: str, handler: Callable) -> None:
    """`handler(store_connection, event)` runs in the store's merchant scope for each new event of `kind`."""
    if handler not in _handlers[kind]:
        _handlers[kind].append(handler)


def _candidate_stores(platform: str, pk: int | None, headers) -> list[StoreConnection]:
    """The live stores a delivery may be for: the one in its URL, or those named by the unsigned shop-domain header."""
    # Allowed place: a webhook arrives with no session; we scope to the store's merchant once it is verified.
    with scopes_disabled():
        stores = StoreConnection.objects.filter(platform=platform, archived_at__isnull=True).select_related("merchant")
        if pk is not None:
            return list(stores.filter(pk=pk))
        identity = normalize_store_identity(headers.get("X-Shopify-Shop-Domain", ""))
        return list(stores.filter(store_identity=identity).order_by("pk")) if identity else []


def _verified(platform: str, candidates: list[StoreConnection], request):
    """(store, event) for the first candidate whose own secret verifies the delivery; (None, None) when none does.

    The shop-domain header is not signed, so it only narrows the search: the signature decides whose delivery it is.
    """
    from platforms.errors import WebhookRejected

    for store in candidates:
        with merchant_scope(store.merchant):
            try:
                with clients.store_adapter(store) as adapter:
                    return store, adapter.verify_webhook(dict(request.headers), request.body)
            except (WebhookRejected, AuthError, PermanentError) as error:
                log.warning("webhook.refused", platform=platform, store=store.pk, error=str(error))
    return None, None


@csrf_exempt
@require_POST
def receive(request, platform: str, pk: int | None = None):
    """200 for a verified (or duplicate) delivery, 401 for a bad signature, 404 for an unknown store."""
    from platforms.dedupe import DeliveryDeduper

    candidates = _candidate_stores(platform, pk, request.headers)
    if not candidates:
        return HttpResponse(status=404)
    store, event = _verified(platform, candidates, request)
    if store is None:
        return HttpResponse(status=401)
    with merchant_scope(store.merchant):
        if not DeliveryDeduper(locks()).first_time(platform, f"{store.pk}:{event.dedupe_key}"):
            return HttpResponse(status=200)
        for handler in _handlers.get(str(event.kind), []):
            handler(store, event)
    return HttpResponse(status=200)
