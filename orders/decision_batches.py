"""A page's decision pushes as one task: one Miinto client, one activity batch and one quota count for all of them.

The orders run writes its decision pushes pending and due without publishing them one by one; it publishes one batch
per page once it has read every page. A batch that never runs leaves its rows to the outbox sweeper, like any row.
"""

from __future__ import annotations

from django.db import transaction
from django_scopes import scopes_disabled

from connections import clients
from connections.models import Direction
from connections.sync.activity import activity_on_call
from connections.sync.enqueue import enqueue
from connections.sync.outbox import outbox_execute_many
from koongo.accounts.services import usage_add_orders
from koongo.accounts.tenancy import merchant_scope
from orders.models import DecisionPush
from orders.pushes import DECISION_PUSH_RELATED, SentDecisions, decision_push_send, unsent_decisions

DECISION_BATCH = "orders.tasks.decision_batch"
# Activity entries of a batch are written in one bulk INSERT at its end.
ACTIVITY_BATCH = 1000


def decision_batch_publish(pushes: list[DecisionPush], size: int) -> None:
    """Publish the pushes in batches of `size`, once the surrounding transaction commits."""
    pks = [push.pk for push in pushes]
    for start in range(0, len(pks), size):
        chunk = pks[start:start + size]
        transaction.on_commit(lambda chunk=chunk: enqueue(DECISION_BATCH, chunk))


def decision_batch_run(pks: list[int]) -> dict:
    """Run each push (skipping any another worker holds or finished); returns the outcomes counted.

    Claims, unsent decisions, the sent marks and the completions go a chunk of pushes at a time (see
    `outbox_execute_many`); each push's PATCH, order fetch and order insert are its own.
    """
    # A task's first load by ids: the rows' merchant scope is entered before anything else is read or written.
    with scopes_disabled():
        pushes = list(DecisionPush.objects.filter(pk__in=pks).select_related("merchant", *DECISION_PUSH_RELATED).order_by("pk"))
    if not pushes:
        return {}
    connection = pushes[0].connection
    for push in pushes:
        push.connection = connection  # one loaded connection (configuration, merchant) for the whole batch
    with merchant_scope(pushes[0].merchant):
        recorder = activity_on_call(merchant=connection.merchant, direction=Direction.TO_MIINTO, connection=connection,
                                    batch_size=ACTIVITY_BATCH)
        made: list = []
        unsent: dict = {}
        sent = SentDecisions()

        def prepare(claimed) -> None:
            unsent.clear()
            unsent.update(unsent_decisions([push.transfer for push in claimed if push.attempts == 1]))

        def send(push) -> None:
            with recorder.about("transfer", push.transfer.miinto_id):
                order = decision_push_send(push, client, count_usage=False, unsent=unsent.get(push.transfer_id), sent=sent)
            if order is not None:
                made.append(order)

        with clients.miinto_client(connection, on_call=recorder) as client, recorder:
            outcomes = outbox_execute_many(pushes, send, prepare=prepare, finish=sent.write)
        if made:
            usage_add_orders(merchant=connection.merchant, count=len(made))
    return dict(outcomes)
