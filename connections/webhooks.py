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
from koongo.accounts.tenancy import merchant_scope
from koongo.coordination import locks
from koongo.http import AuthError, PermanentError

log = structlog.get_logger(__name__)
_handlers: dict[str, list[Callable]] = defaultdict(list)


def register_webhook_handler(kind: str, handler: Callable) -> None:
    """`handler(store_connection, event)` runs in the store's merchant scope for each new event of `kind`."""
    if handler not in _handlers[kind]:
        _handlers[kind].append(handler)


def _find_store(platform: str, pk: int | None, headers) -> StoreConnection | None:
    # Allowed place: a webhook arrives with no session; we scope to the store's merchant once it is found.
    with scopes_disabled():
        stores = StoreConnection.objects.filter(platform=platform).select_related("merchant")
        if pk is not None:
            return stores.filter(pk=pk).first()
        shop = headers.get("X-Shopify-Shop-Domain", "")
        return stores.filter(shop_url=shop).first() if shop else None


@csrf_exempt
@require_POST
def receive(request, platform: str, pk: int | None = None):
    """200 for a verified (or duplicate) delivery, 401 for a bad signature, 404 for an unknown store."""
    from platforms.dedupe import DeliveryDeduper
    from platforms.errors import WebhookRejected

    store = _find_store(platform, pk, request.headers)
    if store is None:
        return HttpResponse(status=404)
    with merchant_scope(store.merchant):
        try:
            with clients.store_adapter(store) as adapter:
                event = adapter.verify_webhook(dict(request.headers), request.body)
        except (WebhookRejected, AuthError, PermanentError) as error:
            log.warning("webhook.refused", platform=platform, store=store.pk, error=str(error))
            return HttpResponse(status=401)
        if not DeliveryDeduper(locks()).first_time(platform, f"{store.pk}:{event.dedupe_key}"):
            return HttpResponse(status=200)
        for handler in _handlers.get(str(event.kind), []):
            handler(store, event)
    return HttpResponse(status=200)
