"""The finding kinds a reconciliation run reports and the fixes it can offer; labels are what the dashboard shows."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FindingKind(models.TextChoices):
    ACCEPTED_NO_STORE_ORDER = "accepted_no_store_order", _("Accepted on Miinto, no store order")
    STORE_ORDER_DECLINED = "store_order_declined", _("Store order for a declined position")
    SHIPPED_NOT_ON_MIINTO = "shipped_not_on_miinto", _("Shipped in the store, not on Miinto")
    REFUND_WITHOUT_RMA = "refund_without_rma", _("Store refund without an RMA on Miinto")
    RMA_WITHOUT_REFUND = "rma_without_refund", _("Accepted RMA without a store refund")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount differs")
    QUANTITY_MISMATCH = "quantity_mismatch", _("Quantity differs")
    STOCK_MISMATCH = "stock_mismatch", _("Stock on Miinto differs from the store")


class Fix(models.TextChoices):
    NONE = "", _("Check by hand")
    FETCH_ORDER = "fetch_order", _("Fetch the order and push it to the store")
    REPUSH_ORDER = "repush_order", _("Re-push the store order")
    RESEND_SHIPMENT = "resend_shipment", _("Resend the shipment")
    CREATE_RMA_REQUEST = "create_rma_request", _("Create the RMA request")
    PUSH_REFUND = "push_refund", _("Push the refund to the store")
    PUSH_STOCK = "push_stock", _("Push stock to Miinto")
