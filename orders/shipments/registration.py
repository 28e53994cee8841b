"""Registers the shipments and labels flows, their outbox kinds, problem kinds, webhook handlers and nav entry."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    """Called once from `OrdersConfig.ready()`."""
    from auditlog.registry import auditlog

    from connections.sync.enqueue import MIINTO_QUEUE
    from connections.sync.outbox import STORE_OF_ROW, register_outbox
    from connections.sync.problems import register_problem_kind
    from connections.sync.runs import register_flow
    from connections.webhooks import register_webhook_handler
    from koongo.dashboard import NavItem, register_nav_item
    from orders.models import CarrierMapping, LabelNotePush, ShipmentPush
    from orders.shipments import labels
    from orders.shipments import services as shipments
    from platforms.values import WebhookKind

    register_flow("shipments", shipments.shipments_flow, scheduled_for=shipments.is_scheduled)
    register_flow("labels", labels.labels_flow)
    register_outbox(
        ShipmentPush,
        shipments.shipment_push_execute,
        max_attempts=shipments.PUSH_MAX_ATTEMPTS,
        lease_seconds=120,
        describe=shipments.describe_push,
        queue=MIINTO_QUEUE,
    )
    register_outbox(
        LabelNotePush,
        labels.label_note_push_execute,
        max_attempts=labels.NOTE_MAX_ATTEMPTS,
        lease_seconds=180,
        backoff_base=120.0,
        describe=labels.describe_note_push,
        remote=STORE_OF_ROW,
    )
    register_problem_kind(shipments.NO_PROVIDER, label=_("Carrier without a Miinto provider"), retry=shipments.retry_no_provider)
    register_problem_kind(labels.LABEL_UNAVAILABLE, label=_("Shipping label not available"), retry=labels.retry_label_fetch)
    register_webhook_handler(str(WebhookKind.SHIPMENT_CHANGED), shipments.shipments_webhook)
    register_webhook_handler(str(WebhookKind.ORDER_UPDATED), shipments.shipments_webhook)
    register_nav_item(NavItem(_("Carriers"), "orders:carrier-mappings", order=22))
    auditlog.register(CarrierMapping)
