"""Running a connection's due RMA rows now (after a run or a dashboard action), beside the queued tasks."""

from __future__ import annotations

from django.db.models import IntegerField, Value

from connections.models import MiintoConnection, OutboxState
from connections.sync.outbox import outbox_execute
from rma.models import RefundPush, RmaDecisionPush, RmaRequestPush

# Decisions first: an accepted RMA queues its refund push, which then runs in the same pass.
ORDER = (RmaDecisionPush, RmaRequestPush, RefundPush)


def _due(model, connection: MiintoConnection):
    return model.objects.filter(connection=connection, state__in=[OutboxState.PENDING, OutboxState.FAILED])


def rma_rows_execute(connection: MiintoConnection) -> int:
    """Claim and run this connection's pending and failed rows (the claim skips rows not yet due); returns how many finished.

    One query finds the due rows of every kind (a connection with nothing to send costs just that, twice a tick); once
    a row has run, the later kinds are read again, since a decision may have queued a refund push meanwhile.
    """
    kinds = [_due(model, connection).annotate(kind=Value(index, IntegerField())).values_list("kind", "pk") for index, model in enumerate(ORDER)]
    due = list(kinds[0].union(*kinds[1:], all=True).order_by("kind", "pk"))
    done, ran = 0, False
    for index, model in enumerate(ORDER):
        label = model._meta.label_lower
        pks = _due(model, connection).order_by("pk").values_list("pk", flat=True) if ran else [pk for kind, pk in due if kind == index]
        for pk in pks:
            ran = True
            if outbox_execute(label, pk) == "done":
                done += 1
    return done
