"""Shopify webhooks: verify a delivery (base64 HMAC-SHA256 of the raw body), dedupe it, and register topics after install."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence

from platforms.dedupe import DeliveryDeduper
from platforms.errors import WebhookRejected
from platforms.shopify.client import ShopifyClient, raise_user_errors
from platforms.shopify.queries import WEBHOOK_SUBSCRIPTION_CREATE, WEBHOOK_SUBSCRIPTIONS
from platforms.shopify.schemas import Nodes, WebhookSubscription
from platforms.values import WebhookEvent, WebhookKind

PLATFORM = "shopify"
# REFUNDS_CREATE finds store refunds; ORDERS_UPDATED announces fulfillments and tracking changes.
DEFAULT_TOPICS = ("REFUNDS_CREATE", "ORDERS_UPDATED")
KINDS = {
    "refunds/create": WebhookKind.REFUND_CREATED,
    "orders/updated": WebhookKind.ORDER_UPDATED,
    "fulfillments/create": WebhookKind.SHIPMENT_CHANGED,
    "fulfillments/update": WebhookKind.SHIPMENT_CHANGED,
    "app/uninstalled": WebhookKind.APP_UNINSTALLED,
}


def sign(body: bytes, secret: str) -> str:
    """The X-Shopify-Hmac-Sha256 value for a body: base64 of HMAC-SHA256 keyed with the app's client secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _gid(kind: str, value) -> str | None:
    return None if value is None else f"gid://shopify/{kind}/{value}"


def signed_key(topic: str, payload, body: bytes) -> str:
    """The delivery's identity from the signed body: the object's id and its change time, else the body's hash.

    X-Shopify-Webhook-Id is not covered by the HMAC, so a replayed body with a fresh id must still dedupe.
    """
    if isinstance(payload, dict) and payload.get("id") is not None:
        changed = payload.get("updated_at") or payload.get("created_at") or ""
        return f"{topic}:{payload['id']}:{changed}"
    return f"{topic}:sha256:{hashlib.sha256(body).hexdigest()}"


def verify_delivery(headers: Mapping[str, str], body: bytes, *, secrets: Sequence[str]) -> WebhookEvent:
    """The event of a genuine delivery; WebhookRejected otherwise.

    `secrets` are the app's client secrets, current first: after a rotation Shopify may sign with the old
    one for up to an hour. The shop-domain header is not signed, so `event.shop` is only a routing hint.
    """
    headers = {key.lower(): value for key, value in headers.items()}
    given = headers.get("x-shopify-hmac-sha256", "")
    if not secrets:
        raise WebhookRejected("no Shopify app client secret is configured to verify webhooks")
    if not given:
        raise WebhookRejected("the delivery carries no X-Shopify-Hmac-Sha256 header")
    if not any(hmac.compare_digest(sign(body, secret), given) for secret in secrets):
        raise WebhookRejected("the Shopify webhook signature does not match the body")
    delivery_id = headers.get("x-shopify-webhook-id") or headers.get("x-shopify-event-id")
    if not delivery_id:
        raise WebhookRejected("the delivery carries no X-Shopify-Webhook-Id header")
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise WebhookRejected("the delivery body is not JSON") from error
    topic = headers.get("x-shopify-topic", "")
    kind = KINDS.get(topic, WebhookKind.OTHER)
    object_id = payload.get("admin_graphql_api_id") if isinstance(payload, dict) else None
    if kind == WebhookKind.REFUND_CREATED:
        order_id = _gid("Order", payload.get("order_id"))
    elif kind == WebhookKind.ORDER_UPDATED:
        order_id = object_id or _gid("Order", payload.get("id"))
    else:
        order_id = _gid("Order", payload.get("order_id")) if isinstance(payload, dict) else None
    return WebhookEvent(
        platform=PLATFORM,
        kind=kind,
        topic=topic,
        delivery_id=delivery_id,
        shop=headers.get("x-shopify-shop-domain"),
        order_id=order_id,
        object_id=object_id,
        payload=payload if isinstance(payload, dict) else {"body": payload},
        signed_key=signed_key(topic, payload, body),
    )


def receive_delivery(
    headers: Mapping[str, str], body: bytes, *, secrets: Sequence[str], deduper: DeliveryDeduper
) -> WebhookEvent | None:
    """Verify a delivery and return its event, or None when the same signed event was already received."""
    event = verify_delivery(headers, body, secrets=secrets)
    return event if deduper.first_time(PLATFORM, event.dedupe_key) else None


def register_webhooks(client: ShopifyClient, uri: str, topics: Sequence[str] = DEFAULT_TOPICS) -> dict[str, str]:
    """Subscribe the shop (through `adapter.client`) to `topics` at `uri`; existing subscriptions are kept, not duplicated.

    Returns topic → subscription id. `uri` is the 2025-10+ field that replaced `callbackUrl`.
    """
    data = client.query(WEBHOOK_SUBSCRIPTIONS, name="webhookSubscriptions")
    existing = {(s.topic, s.uri): s.id for s in Nodes[WebhookSubscription].model_validate(data["webhookSubscriptions"]).nodes}
    subscribed = {}
    for topic in topics:
        if (topic, uri) in existing:
            subscribed[topic] = existing[(topic, uri)]
            continue
        variables = {"topic": topic, "webhookSubscription": {"uri": uri, "format": "JSON"}}
        result = client.mutate(WEBHOOK_SUBSCRIPTION_CREATE, variables, name="webhookSubscriptionCreate")[
            "webhookSubscriptionCreate"
        ]
        raise_user_errors(f"the {topic} webhook subscription", result["userErrors"])
        subscribed[topic] = result["webhookSubscription"]["id"]
    return subscribed
