"""RMA's front door: the verbs of PRODUCT.md's "Returns (RMA) and refunds". Views, API, admin and the app's
wiring call these; the other modules of rma/ are their helpers.

- import returns from Miinto: `returns_import` (the scheduled "rma" flow), `rma_reimport` (one RMA, from admin);
- decide: `rma_decide` (accept or decline, with a reason);
- refund into the store: `refund_to_store`, and `manual_refund_done` where the platform has no refund API;
- a store refund becomes an RMA request: `store_refunds_import` (the "refunds" flow), `store_refund_received`
  (the store's webhook), `store_refund_resolve` (the merchant's choice when it needs attention), and
  `rma_request_create` (a request made by hand), with `rma_request_done` for one made in Miinto's back office;
- settings: `rma_settings_get`, `rma_settings_update`, `digest_opt_out_set`.

A verb that writes an outbox row also runs the connection's due RMA rows at once, so Miinto and the store are
told while the merchant waits; a row that fails stays in the outbox, which retries it.
"""

from __future__ import annotations

from connections import clients
from connections.models import MiintoConnection, StoreConnection
from connections.sync.outbox import outbox_retry
from connections.sync.runs import RunContext
from orders.models import Order
from platforms.values import WebhookEvent
from rma import attention, configuration, decisions, imports, refunds, requests, store_refunds
from rma.models import RefundPush, Rma, RmaRequestPush, RmaSettings, StoreRefund

# --- import returns ------------------------------------------------------------------------


def returns_import(ctx: RunContext) -> None:
    """The "rma" flow: read Miinto's returns of one connection, record new RMAs and decisions made in Miinto."""
    imports.rma_flow(ctx)


def rma_reimport(*, rma: Rma) -> None:
    """Read one RMA from Miinto again and record what Miinto shows (a decision made there, for instance).

    Raises koongo.http.HttpError when Miinto cannot be read; the caller enters the RMA's merchant scope.
    """
    with clients.miinto_client(rma.connection) as client:
        wire = client.return_(rma.connection.shop_id, rma.miinto_id)
    imports.returns_upsert(rma.connection, [wire])


# --- decide ----------------------------------------------------------------------------------


def rma_decide(*, merchant, rma: Rma, outcome: str, reason: str, actor: str) -> None:
    """Accept or decline a pending RMA with a reason; its push to Miinto is queued when the decision commits.

    Raises ValidationError when the RMA cannot be decided (not pending, a decision already on its way ...).
    """
    decisions.rma_decide(merchant=merchant, rma=rma, outcome=outcome, reason=reason, actor=actor)


# --- refund into the store -------------------------------------------------------------------


def refund_to_store(*, merchant, rma: Rma) -> bool:
    """Push an accepted RMA's refund to the store: retry its push if there is one, else queue one if the rules
    allow (ValidationError says why not). Returns whether a push was queued; a done push is left alone."""
    push = RefundPush.objects.filter(rma__pk=rma.pk).first()
    if push is not None:
        return bool(outbox_retry(push))
    refunds.refund_push_create(merchant=merchant, rma=rma)
    return True


def manual_refund_done(*, merchant, rma: Rma, by: str) -> int:
    """The merchant entered the return in the store by hand; returns how many waiting items that closed."""
    return refunds.manual_refund_done(merchant=merchant, rma=rma, by=by)


# --- a store refund becomes an RMA request ---------------------------------------------------


def store_refunds_import(ctx: RunContext) -> None:
    """The "refunds" flow: read the store's refunds and act on each new one (accept an RMA, or request one)."""
    store_refunds.refunds_flow(ctx)


def store_refund_received(store: StoreConnection, event: WebhookEvent) -> None:
    """The store's refund webhook: record and act on the refund it announces."""
    store_refunds.refund_webhook_received(store, event)


def store_refund_resolve(*, merchant, store_refund: StoreRefund, action: str, by: str, rma: Rma | None = None) -> StoreRefund:
    """The merchant's answer to a store refund that needs attention (accept an RMA with it, request one, ignore it,
    or mark it done), queued for Miinto when it commits. Raises ValidationError when the action does not fit."""
    return attention.store_refund_resolve(merchant=merchant, store_refund=store_refund, action=action, by=by, rma=rma)


def rma_request_create(*, merchant, order: Order, quantities: dict[int, int], reason: str, actor: str) -> RmaRequestPush:
    """An RMA request on Miinto made by hand for some of an order's items (keyed by Miinto position id), queued."""
    return requests.rma_request_create(merchant=merchant, order=order, quantities=quantities, reason=reason, actor=actor)


def rma_request_done(*, merchant, push: RmaRequestPush, by: str) -> None:
    """The merchant created a refused RMA request in Miinto's back office by hand."""
    attention.request_done(merchant=merchant, push=push, by=by)


# --- settings --------------------------------------------------------------------------------


def rma_settings_get(connection: MiintoConnection) -> RmaSettings:
    """The connection's RMA settings, created with the defaults the first time they are needed."""
    return configuration.rma_settings_for(connection)


def rma_settings_update(*, connection: MiintoConnection, restock_refunds: bool) -> RmaSettings:
    return configuration.rma_settings_update(connection=connection, restock_refunds=restock_refunds)


def digest_opt_out_set(*, merchant, user, opted_out: bool) -> bool:
    """Stop (or resume) one user's e-mail digest of new pending RMAs; returns the new state."""
    return configuration.digest_opt_out_set(merchant=merchant, user=user, opted_out=opted_out)

