"""The Shopware 5 adapter: our protocol mapped onto the Shopware 5 REST API (store-platforms.md §5, §7)."""

from __future__ import annotations

import re
from datetime import datetime

from django.utils.translation import gettext_noop as N_

from koongo.http import HttpError, PermanentError, TransientError
from platforms.base import Capability, StockChange, StockResult, StoreShipment, Tracking
from platforms.shopware5.client import NAME
from platforms.shopware5.refunds import StatusRefunds
from platforms.shopware5.schemas import BatchResult

BATCH = 50
SHIPPED_STATES = (6, 7)  # partially delivered, completely delivered
# The dispatch's status link is a Smarty template, often a whole <a href="..."> tag; this variable holds the code.
TRACKING_VARIABLE = re.compile(r"\{\$[\w.]*trackingcode\}", re.IGNORECASE)
HREF = re.compile(r'href="([^"]+)"', re.IGNORECASE)


def tracking_url(template: str, code: str) -> str | None:
    """The dispatch's status link for one code: the anchor's href if it is one, the code filled in; None without one."""
    found = HREF.search(template)
    link = found[1] if found else template.strip()
    return TRACKING_VARIABLE.sub(code, link) if TRACKING_VARIABLE.search(link) else None


class Shopware5Adapter(StatusRefunds):
    """Shopware 5 (end of life since July 2024) through its REST API. No refund API, no webhooks, no idempotency keys.

    What it cannot do, and what it does instead:
    - Refunds: Shopware 5 has no refund, credit-note or document API, and order positions cannot be changed.
      `create_refund` sets the order's `paymentStatusId` to 20 (re-crediting) and, in the same PUT, appends a marker
      line to the internal comment with our idempotency key, the refunded lines and amounts; the items go back to
      stock through our own variant writes. The shop records no lines (not item-level) and moves no money. Once an
      order is at status 20, a further refund made in the shop cannot be told apart from the earlier one.
    - Refund discovery (no webhooks): polls orders changed since T. Our markers are our refunds. An order at status
      20 with no marker was refunded in the shop: it reads as a full refund of the lines not yet refunded, and an
      acknowledgement marker is appended so later polls report that same refund once, under the same id.
    - Orders: `POST /api/orders` is a raw persist that computes nothing, so prices, tax and totals are ours (each
      line's net rounded on its own, shipping taxed at the highest line rate), after finding or creating the customer
      (a guest account). `transactionId` holds our key and is looked up before every create; the draft's note goes in
      the internal comment. Shopware decrements stock for the order's article numbers itself. Positions are linked
      to variants by their number (`articleNumber`, the `articleordernumber` the backend, stock and statistics use):
      `articleDetailID` is whitelisted by the API but has no setter on the order detail, so it is not sent and the
      positions' variant id stays empty (plugins that join on it see no variant).
    - Notes: the internal comment, read and rewritten whole under the order's note lock.
    - Stock: absolute only. One batch `PUT /api/variants` per batch of distinct SKUs, the quantities read just before
      under the per-SKU locks. A batch that times out leaves each of its changes AMBIGUOUS, never resent; an item
      Shopware refuses fails alone.
    - Shipments: one per order, from its `trackingCode` (several codes split on commas or semicolons) or a delivered
      status; the carrier is the dispatch's name and the URL its status-link template filled in. Shopware keeps no
      shipment time, so it is the order's last change.
    - Dates: the API filters by server-local time without saying which zone, so polls ask from 14 hours earlier and
      keep what the offset-carrying `changed` puts at or after T.
    """

    code = "shopware5"
    # No ITEM_LEVEL_REFUNDS (the shop records no lines), REFUND_RESTOCK, RELATIVE_STOCK, webhooks or idempotency keys.
    capabilities = frozenset({Capability.REFUND_SYNC, Capability.ORDER_NOTES, Capability.ORDER_CLAIMS_STOCK})
    limitations = (
        N_(
            "Order positions are linked to variants by their article number only: Shopware 5's API cannot set a position's "
            "variant id (articleDetailID), so plugins that rely on it see none."
        ),
        N_(
            "Shopware 5 has no refund API: a refund sets the payment status to 20 (re-crediting) and writes its lines and amounts "
            "into the order's internal comment; no money moves and the order's lines stay as they were. Koongo restocks the items."
        ),
        N_(
            "A refund made in Shopware is seen only as payment status 20 on an order without a Koongo refund, and is read as a "
            "full refund of the lines not yet refunded; a further shop refund on an order already at status 20 cannot be seen."
        ),
        N_("Orders are stored exactly as sent: Koongo computes prices, tax and totals, and Shopware sends no order e-mails."),
        N_(
            "Stock is written as absolute quantities in batches; a batch whose answer is lost is flagged for review, "
            "never sent again."
        ),
        N_("Shipments are whole orders from the tracking code; Shopware keeps no shipment time, so the order's last change is used."),
    )

    def __init__(self, credentials, **options):
        super().__init__(credentials, **options)
        self._variant_ids: dict[str, int] = {}

    # --- stock: absolute, batched ------------------------------------------------------------------
    def adjust_stock(self, changes: list[StockChange]) -> list[StockResult]:
        return self.adjust_stock_in_batches(changes, BATCH)

    def _stock_read_many(self, skus: list[str]) -> dict[str, int]:
        variants = self.variants_by_number(skus)
        self._variant_ids |= {number: variant.id for number, variant in variants.items()}  # ids never change: merging is safe
        return {number: variant.in_stock for number, variant in variants.items()}

    def _stock_write_many(self, quantities: dict[str, int]) -> dict[str, HttpError]:
        skus = list(quantities)
        body = [{"id": self._variant_ids[sku], "inStock": quantities[sku]} for sku in skus]
        answers = [BatchResult.model_validate(item) for item in self.client.write("PUT", "variants", body) or []]
        if len(answers) != len(skus):
            # The batch was sent and may have been applied: an answer we cannot read leaves every change ambiguous.
            raise TransientError(f"{NAME} answered a batch of {len(skus)} with {len(answers)} results")
        return {
            sku: PermanentError(f"{NAME} refused stock for {sku}: {answer.message}")
            for sku, answer in zip(skus, answers, strict=True)
            if not answer.success
        }

    # --- shipments ---------------------------------------------------------------------------------
    def _shipments_since(self, start: datetime) -> list[StoreShipment]:
        shipments = []
        for order in self.orders_changed_since(start):
            codes = [code for code in re.split(r"[,;\s]+", order.tracking_code or "") if code]
            if not codes and order.order_status_id not in SHIPPED_STATES:
                continue
            dispatch = self.full_order(order.id).dispatch  # the list does not join the dispatch
            link = dispatch.status_link if dispatch else ""
            urls = [tracking_url(link, code) for code in codes]
            shipments.append(
                StoreShipment(
                    shipment_id=str(order.id),
                    order=self.ref(order),
                    carrier=dispatch.name if dispatch else None,
                    tracking_number=codes[0] if codes else None,
                    tracking_url=urls[0] if urls else None,
                    additional_tracking=tuple(
                        Tracking(carrier=dispatch.name if dispatch else None, number=code, url=url)
                        for code, url in zip(codes[1:], urls[1:], strict=True)
                    ),
                    whole_order=True,
                    created_at=order.changed,
                    updated_at=order.changed,
                )
            )
        return shipments


ADAPTER = Shopware5Adapter
