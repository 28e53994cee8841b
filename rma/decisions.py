"""Accepting and declining RMAs: the merchant's decision goes to Miinto through an outbox row and counts once Miinto
confirms it; a 409 means the return was decided already, and Miinto's record is what we keep.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from connections.models import Direction, OutboxState
from connections.sync.activity import activity_record
from connections.sync.outbox import outbox_schedule
from koongo.http import PermanentError, TransientError
from miinto.schemas import Return as WireReturn
from rma import events as rma_events
from rma import problems
from rma.models import DecidedBy, DecisionOutcome, Rma, RmaDecisionPush, RmaStatus, StoreRefund, StoreRefundStatus
from rma.refunds import refund_after_acceptance
from rma.remote import miinto_about
from rma.scope import CN_MESSAGE, rma_scope

# A decision row in one of these states still owns the RMA's outcome: the import leaves such an RMA to it.
ACTIVE_PUSH_STATES = (OutboxState.PENDING, OutboxState.IN_FLIGHT, OutboxState.FAILED)


def decision_key(rma: Rma) -> str:
    return f"rma-decision-{rma.connection_id}-{rma.miinto_id}"


def rma_decide(
    *,
    merchant,
    rma: Rma,
    outcome: str,
    reason: str,
    actor: str,
    decided_by: str = DecidedBy.MERCHANT,
    store_refund: StoreRefund | None = None,
) -> RmaDecisionPush:
    """Accept or decline a pending RMA, with a reason (required either way); Miinto is told through the outbox."""
    reason = (reason or "").strip()
    errors = {}
    if outcome not in DecisionOutcome.values:
        errors["outcome"] = _("Choose accept or decline.")
    if not reason:
        errors["reason"] = _("A reason is required to accept or decline an RMA.")
    if errors:
        raise ValidationError(errors)
    scope = rma_scope(rma.connection)
    if not scope:
        raise ValidationError(scope.reason, code="out_of_scope")
    with transaction.atomic():
        locked = Rma.objects.select_for_update(of=("self",)).select_related("connection").get(pk=rma.pk, merchant=merchant)
        if not locked.is_pending:
            already = {"id": locked.miinto_id, "status": locked.get_status_display().lower()}
            raise ValidationError({"status": _("RMA %(id)s is already %(status)s; an RMA is decided once.") % already})
        fields = {"outcome": outcome, "reason": reason[:2000], "decided_by": decided_by, "actor": actor[:200], "store_refund": store_refund}
        push = RmaDecisionPush.objects.filter(rma=locked).first()
        if push is None:
            push = RmaDecisionPush.objects.create(
                merchant=merchant, connection=locked.connection, rma=locked, idempotency_key=decision_key(locked), **fields
            )
        elif push.state == OutboxState.DEAD:
            # The last decision failed for good (e.g. Miinto refused it); this one replaces it with a fresh budget.
            for name, value in fields.items():
                setattr(push, name, value)
            push.set_state(OutboxState.PENDING)
            push.attempts, push.last_error, push.next_attempt_at = 0, "", timezone.now()
            push.save()
        else:
            raise ValidationError({"status": _("A decision on this RMA is already on its way to Miinto.")})
        outbox_schedule(push)
    return push


def rma_decision_push_execute(push: RmaDecisionPush) -> None:
    """PATCH the return; on 409 (already decided, by us with a lost answer or in Miinto) read it and keep Miinto's record."""
    rma, connection = push.rma, push.connection
    if connection.is_china:
        raise PermanentError(CN_MESSAGE)  # never queued for CN; a guard so no RMA call can reach Miinto for it
    if not rma.is_pending:
        return
    with miinto_about(connection, problems.SUBJECT_RMA, rma.pk, f"decide_return {push.outcome}") as client:
        try:
            wire = client.decide_return(connection.shop_id, rma.miinto_id, push.outcome, push.reason)
        except PermanentError as error:
            if error.status != 409:
                raise
            wire = client.return_(connection.shop_id, rma.miinto_id)
    rma_decision_confirm(push, wire)


@transaction.atomic
def rma_decision_confirm(push: RmaDecisionPush, wire: WireReturn) -> Rma:
    """Record what Miinto shows: our decision if it agrees, else the one made in Miinto; then what follows from it."""
    if wire.status == RmaStatus.PENDING:
        raise TransientError(f"Miinto still shows return {wire.id} as pending")
    rma = Rma.objects.select_for_update(of=("self",)).select_related("connection", "order").get(pk=push.rma_id)
    if not rma.is_pending:
        return rma
    if wire.status == push.outcome:
        rma_record_decision(rma, status=wire.status, decided_by=push.decided_by, reason=push.reason, actor=push.actor)
    else:
        rma_record_decision(rma, status=wire.status, decided_by=DecidedBy.MIINTO, reason=wire.decision_reason or "")
    if push.store_refund_id and rma.decided_by != DecidedBy.STORE_REFUND:
        store_refund = StoreRefund.objects.select_for_update().get(pk=push.store_refund_id)
        if store_refund.status == StoreRefundStatus.ACCEPTED_RMA:
            store_refund.set_status(StoreRefundStatus.NEEDS_ATTENTION)
            store_refund.save(update_fields=["status"])
            problems.mismatch_raise(
                store_refund, f"it was to accept RMA {rma.miinto_id}, but Miinto shows that RMA {rma.status} in Miinto."
            )
    return rma


def rma_record_decision(rma: Rma, *, status: str, decided_by: str, reason: str, actor: str = "") -> Rma:
    """Inside the caller's transaction: the RMA's final status, who decided it, and the refund that follows (if ours)."""
    rma.set_status(status)
    rma.decided_by, rma.decision_reason, rma.actor, rma.decided_at = decided_by, reason[:2000], actor[:200], timezone.now()
    rma.save(update_fields=["status", "decided_by", "decision_reason", "actor", "decided_at"])
    if decided_by == DecidedBy.MIINTO:
        activity_record(
            merchant=rma.merchant,
            direction=Direction.FROM_MIINTO,
            operation=f"return {status} in Miinto",
            connection=rma.connection,
            subject_type=problems.SUBJECT_RMA,
            subject_id=rma.pk,
            payload={"status": status, "reason": reason},
        )
    rma_events.rma_decided(rma)
    if status == RmaStatus.ACCEPTED:
        refund_after_acceptance(rma)
    return rma


def rma_decision_describe(push: RmaDecisionPush) -> dict:
    """What the errors inbox says when a decision push dies."""
    return {
        "connection": push.connection,
        "message": (
            f"Telling Miinto to {push.get_outcome_display().lower()} RMA {push.rma.miinto_id} failed and will not be retried: "
            f"{push.last_error}. Decide it again, or in Miinto."
        ),
    }
