"""Which connections RMA and refund sync run for: order sync active, the plan's features, never CN, a refund-capable store."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connections.models import MiintoConnection, SyncLevel
from koongo.accounts.models import Feature
from koongo.accounts.services import plan_allows
from platforms import registry
from platforms.capabilities import Capability

CN_MESSAGE = gettext_lazy(
    "Miinto China (CN) returns cannot be processed automatically, so RMA sync is off for this shop. "
    "Contact Miinto Partner Support: they handle CN returns."
)


@dataclass(frozen=True)
class Scope:
    """Whether a sync may run, and if not, the sentence that tells the merchant why."""

    ok: bool
    reason: str = ""
    upgrade: bool = False  # a plan change would allow it: the page links to the plan page

    def __bool__(self) -> bool:
        return self.ok


def rma_scope(connection: MiintoConnection) -> Scope:
    """RMAs are imported and decided only for active, non-CN connections on a plan with `rma`."""
    if connection.is_china:
        return Scope(False, str(CN_MESSAGE))  # a str, in the language active now: runs join reasons into their summary
    if not plan_allows(connection.merchant, Feature.RMA):
        return Scope(False, _("Your plan does not include RMA. Upgrade on the plan page to import and decide Miinto returns."), upgrade=True)
    if not connection.is_active:
        return Scope(False, _("Order synchronization is not active for this connection, so RMAs are not synchronized either."))
    return Scope(True)


def platform_refunds(platform: str) -> bool:
    """Whether the platform's adapter declares refund sync (the selected platforms)."""
    try:
        return Capability.REFUND_SYNC in registry.adapter_class(platform).capabilities
    except registry.UnknownPlatform:
        return False


def refund_sync_scope(connection: MiintoConnection) -> Scope:
    """Refunds move between the store and Miinto only where RMA runs, the plan has `refund_sync`, and the store can."""
    base = rma_scope(connection)
    if not base:
        return base
    if not plan_allows(connection.merchant, Feature.REFUND_SYNC):
        return Scope(False, _("Your plan does not include refund sync: enter returns in your store by hand."), upgrade=True)
    store = connection.store_connection
    if store is None:
        return Scope(False, _("No store connection is linked, so refunds cannot be synchronized."))
    if not platform_refunds(store.platform):
        reason = _("Refund sync is not available for %(platform)s: enter returns in your store by hand.")
        return Scope(False, reason % {"platform": store.platform})
    if connection.order_configuration.sync_level == SyncLevel.STOCK_ONLY:
        return Scope(False, _("Stock only: there are no store orders to refund, so enter returns in your store by hand."))
    return Scope(True)
