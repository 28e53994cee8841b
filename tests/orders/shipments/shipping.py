"""Helpers for the shipments and labels tests: an accepted order in the store, runs of a flow, store shipments."""

from __future__ import annotations

from django.utils import timezone

from koongo.accounts.tenancy import merchant_scope
from orders.models import Order, OrderLine
from tests.orders.conftest import GTIN_TEE_L, GTIN_TEE_M


def accepted_order(world, *lines) -> Order:
    """Offer (gtin, price, quantity) lines, accept them by rule, and sync, so the order exists here and in the store."""
    world.configure(auto_accept=True)
    world.offer(*(lines or [(GTIN_TEE_M, 10000, 1)]))
    world.sync()
    with merchant_scope(world.merchant):
        return Order.objects.order_by("-pk").first()


def two_line_order(world) -> Order:
    return accepted_order(world, (GTIN_TEE_M, 10000, 1), (GTIN_TEE_L, 10000, 1))


def run(world, flow: str):
    """One run of `flow` for the world's connection, executed here as a worker would."""
    from connections.models import SyncRun
    from connections.sync.runs import sync_request, sync_run_execute

    with merchant_scope(world.merchant):
        requested = sync_request(connection=world.connection, flow=flow, trigger="button")
        sync_run_execute(requested)
        return SyncRun.objects.get(pk=requested.pk)


def ship_in_store(world, order: Order, skus: list[str], *, carrier: str, tracking: str, url: str | None = None) -> str:
    """A fulfillment made in the Shopify admin for these SKUs (one of each)."""
    return world.shopify.make_shipment(
        order.store_order_id,
        [{"sku": sku, "quantity": 1} for sku in skus],
        carrier=carrier,
        tracking_number=tracking,
        tracking_url=url,
    )


def position_of(world, order: Order, sku: str) -> int:
    with merchant_scope(world.merchant):
        return OrderLine.objects.get(order=order, sku=sku).miinto_position_id


def miinto_shipments(world) -> list[dict]:
    return world.miinto.state.effects["shipments"]


def make_due(model) -> None:
    """Time passes: every waiting row of `model` is due now."""
    from django_scopes import scopes_disabled

    # Test set-up only: rows of the one merchant in the world.
    with scopes_disabled():
        model.objects.update(next_attempt_at=timezone.now())
