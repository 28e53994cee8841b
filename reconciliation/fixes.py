"""The fixes a finding offers, each through the existing outbox and push services: never a second write path.

A stuck outbox row is sent back to pending (`outbox_retry`); otherwise the owning app's service writes the row it
would have written itself (an RMA request, a refund push, a stock run).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from connections import clients
from connections.models import Direction, OutboxState
from connections.sync.activity import activity_on_call
from connections.sync.outbox import outbox_retry
from connections.sync.runs import sync_request
from koongo.http import HttpError
from orders.flow import transfer_adopt
from orders.models import StorePush
from orders.shipments.models import ShipmentPush
from reconciliation.kinds import Fix
from reconciliation.models import Finding
from rma import selectors as rma_selectors
from rma import services as rma_services
from rma.models import RefundPush, RmaRequestPush, RmaStatus

STUCK = (OutboxState.FAILED, OutboxState.DEAD)


class FixRefused(ValidationError):
    """The fix no longer applies (already fixed, or the row moved on); the message says why."""


def _retry(model, finding: Finding) -> None:
    row = model.objects.filter(merchant=finding.merchant, pk=finding.fix_args.get("push")).first()
    if row is None or row.state not in STUCK:
        raise FixRefused(_("That outbox row is no longer stuck: run the reconciliation again to see what is left."))
    outbox_retry(row)


def _fetch_order(finding: Finding, by: str) -> None:
    connection = finding.connection
    recorder = activity_on_call(merchant=connection.merchant, direction=Direction.TO_MIINTO, connection=connection)
    with clients.miinto_client(connection, on_call=recorder) as client, recorder:
        # The orders flow's own path for a transfer decided in Miinto: record it, then the decision push fetches the
        # order and queues its store push.
        with clients.store_adapter(connection.store_connection) as adapter:
            transfer_adopt(connection, client, finding.fix_args["transfer_id"], adapter)


def _rma_request(finding: Finding, by: str) -> None:
    if "push" in finding.fix_args:
        _retry(RmaRequestPush, finding)
        return
    store_refund = rma_selectors.store_refund(finding.merchant, finding.fix_args["store_refund"])
    rma_services.store_refund_resolve(merchant=finding.merchant, store_refund=store_refund, action="request", by=by)


def _refund(finding: Finding, by: str) -> None:
    rma = finding.rma
    if rma is None:
        raise FixRefused(_("The RMA of this finding is gone."))
    queued_before = RefundPush.objects.filter(rma__pk=rma.pk).exists()
    if rma.status != RmaStatus.ACCEPTED:
        # Miinto accepted it and we never heard: record Miinto's decision first, as the RMA flow would; that queues the
        # refund push where the rules allow.
        rma_services.rma_reimport(rma=rma)
        rma.refresh_from_db()
        if not queued_before and RefundPush.objects.filter(rma__pk=rma.pk).exists():
            return
    if not rma_services.refund_to_store(merchant=finding.merchant, rma=rma):
        raise FixRefused(_("This RMA's refund cannot be pushed to the store: see the RMA page for why."))


def _stock(finding: Finding, by: str) -> None:
    # The stock run pushes what our catalog holds: bring it to what the store answered during the run, then push.
    Product.objects.filter(merchant=finding.merchant, pk=finding.fix_args["product"]).update(stock=finding.fix_args["store_stock"])
    sync_request(connection=finding.connection, flow="stock", trigger="button")


HANDLERS = {
    Fix.REPUSH_ORDER: lambda finding, by: _retry(StorePush, finding),
    Fix.FETCH_ORDER: _fetch_order,
    Fix.RESEND_SHIPMENT: lambda finding, by: _retry(ShipmentPush, finding),
    Fix.CREATE_RMA_REQUEST: _rma_request,
    Fix.PUSH_REFUND: _refund,
    Fix.PUSH_STOCK: _stock,
}


def finding_fix(*, finding: Finding, by: str) -> Finding:
    """Apply the finding's fix once; raises FixRefused when it has none, was fixed already, or no longer applies."""
    if not finding.fix:
        raise FixRefused(_("This finding has no automatic fix: check it by hand."))
    if finding.fixed_at is not None:
        raise FixRefused(_("This finding was fixed already."))
    with transaction.atomic():
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        if locked.fixed_at is not None:
            raise FixRefused(_("This finding was fixed already."))
        try:
            HANDLERS[Fix(finding.fix)](finding, by)
        except HttpError as error:
            raise FixRefused(_("Miinto or the store could not be reached, so nothing changed: %(error)s") % {"error": error}) from error
        Finding.objects.filter(pk=finding.pk).update(fixed_at=timezone.now(), fixed_by=by)
    finding.refresh_from_db()
    return finding
