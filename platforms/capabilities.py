"""The capability names an adapter declares, with the sentence the dashboard and README show for each (marked for the
catalogues with gettext_noop: plain strings here, translated where shown)."""

from enum import StrEnum

from django.utils.translation import gettext_noop


class Capability(StrEnum):
    """What an adapter can do beyond the protocol's minimum; a method needing a missing one raises `Unsupported`."""

    REFUND_SYNC = "refund_sync"
    ITEM_LEVEL_REFUNDS = "item_level_refunds"
    REFUND_CALCULATOR = "refund_calculator"
    REFUND_RESTOCK = "refund_restock"
    IDEMPOTENT_REFUNDS = "idempotent_refunds"
    WEBHOOKS = "webhooks"
    RELATIVE_STOCK = "relative_stock"
    IDEMPOTENT_STOCK = "idempotent_stock"
    ORDER_NOTES = "order_notes"
    LINE_LEVEL_SHIPMENTS = "line_level_shipments"
    ORDER_CLAIMS_STOCK = "order_claims_stock"


DESCRIPTIONS: dict[Capability, str] = {
    Capability.REFUND_SYNC: gettext_noop("Refunds are created in the store, and refunds made in the store are discovered."),
    Capability.ITEM_LEVEL_REFUNDS: gettext_noop("The store records which lines and quantities a refund covers."),
    Capability.REFUND_CALCULATOR: gettext_noop("Refund amounts come from the store's own calculator."),
    Capability.REFUND_RESTOCK: gettext_noop("A refund can return its items to stock in the same call."),
    Capability.IDEMPOTENT_REFUNDS: gettext_noop("The store dedupes refund creation by our key, so a resend after a timeout is safe."),
    Capability.WEBHOOKS: gettext_noop("Signed webhooks announce store changes; polling remains the safety net."),
    Capability.RELATIVE_STOCK: gettext_noop("Stock moves by deltas; otherwise by absolute writes under a per-SKU lock."),
    Capability.IDEMPOTENT_STOCK: gettext_noop("The store dedupes stock writes by our key, so a resend after a timeout is safe."),
    Capability.ORDER_NOTES: gettext_noop("Notes and links can be added to a store order."),
    Capability.LINE_LEVEL_SHIPMENTS: gettext_noop("Shipments name their lines and quantities; otherwise the whole order ships at once."),
    Capability.ORDER_CLAIMS_STOCK: gettext_noop("A created order lowers the store's sellable stock; otherwise the store still offers those items."),
}
