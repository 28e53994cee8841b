"""Running a connection's due RMA rows now (after a run or a dashboard action), beside the queued tasks."""

from __future__ import annotations

from connections.models import MiintoConnection, OutboxState
from connections.sync.outbox import outbox_execute
from rma.models import RefundPush, RmaDecisionPush, RmaRequestPush

# Decisions first: an accepted RMA queues its refund push, which then runs in the same pass.
ORDER = (RmaDecisionPush, RmaRequestPush, RefundPush)


def rma_rows_execute(connection: MiintoConnection) -> int:
    """Claim and run this connection's pending and failed rows (the claim skips rows not yet due); returns how many finished."""
    done = 0
    for model in ORDER:
        label = model._meta.label_lower
        due = model.objects.filter(connection=connection, state__in=[OutboxState.PENDING, OutboxState.FAILED])
        for pk in due.order_by("pk").values_list("pk", flat=True):
            if outbox_execute(label, pk) == "done":
                done += 1
    return done
