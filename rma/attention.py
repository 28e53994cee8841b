"""The merchant's answers to Needs-attention items: a store refund that only partly matched, and the Done buttons."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from rma import problems
from rma.models import Rma, RmaRequestPush, RmaStatus, StoreRefund, StoreRefundStatus
from rma.requests import back_office_done, store_refund_request
from rma.store_refunds import store_refund_accept_rma

REFUND_ACTIONS = ("accept", "request", "ignore", "done")


def store_refund_resolve(*, merchant, store_refund: StoreRefund, action: str, by: str, rma: Rma | None = None) -> StoreRefund:
    """Accept the chosen pending RMA with this refund, create an RMA request from it, ignore it, or mark it done."""
    if action not in REFUND_ACTIONS:
        raise ValidationError({"action": _("Choose accept, request, ignore or done.")})
    if action == "done":
        push = RmaRequestPush.objects.filter(store_refund__pk=store_refund.pk).first()
        if push is None or store_refund.status != StoreRefundStatus.MANUAL:
            raise ValidationError({"action": _("Only a refund waiting to be created in the Miinto back office can be marked done.")})
        back_office_done(merchant=merchant, push=push, by=by)
        store_refund.refresh_from_db()
        return store_refund
    with transaction.atomic():
        locked = StoreRefund.objects.select_for_update(of=("self",)).select_related("order", "connection").get(
            pk=store_refund.pk, merchant=merchant
        )
        if locked.status != StoreRefundStatus.NEEDS_ATTENTION:
            status = locked.get_status_display().lower()
            raise ValidationError({"action": _("This refund is %(status)s; there is nothing to choose.") % {"status": status}})
        if action == "accept":
            if rma is None or rma.order_id != locked.order_id or rma.status != RmaStatus.PENDING:
                raise ValidationError({"rma": _("Choose a pending RMA of the same order.")})
            store_refund_accept_rma(locked, rma, actor=by)
        elif action == "request":
            if not locked.position_quantities:
                raise ValidationError({"action": _("This refund names no order lines, so there is nothing to request.")})
            store_refund_request(locked)
        else:
            locked.set_status(StoreRefundStatus.IGNORED)
            locked.resolved_by = by[:200]
            locked.save(update_fields=["status", "resolved_by"])
        problems.problems_close(
            merchant, problems.REFUND_MISMATCH, problems.SUBJECT_STORE_REFUND, locked.pk, by, ignore=action == "ignore"
        )
    return locked


def request_done(*, merchant, push: RmaRequestPush, by: str) -> None:
    """Done for a manual RMA request that Miinto could not take."""
    if not push.miinto_unsupported:
        raise ValidationError({"action": _("Only a request Miinto could not take can be marked done.")})
    back_office_done(merchant=merchant, push=push, by=by)

