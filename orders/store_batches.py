"""Store pushes as one task per batch: claimed, loaded and completed a chunk at a time, with one activity batch.

A decision batch publishes the store pushes of the orders it made a chunk at a time, instead of a task per push; the
created orders' writes (ids, positions, order.pushed) go one chunk at a time too (`PushedOrders`). A batch that never
runs leaves its rows to the outbox sweeper, like any row.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from time import monotonic

from django.db import transaction
from django_scopes import scopes_disabled

from connections.models import Direction
from connections.sync.activity import activity_on_call
from connections.sync.enqueue import enqueue
from connections.sync.outbox import drain_remote, outbox_execute_many, outbox_kind, remote_lane
from koongo.accounts.tenancy import merchant_scope
from orders.models import OrderLine, StorePush
from orders.pushes import STORE_PUSH_DEFERRED, STORE_PUSH_RELATED, PushedOrders, store_push_execute

STORE_BATCH = "orders.tasks.store_batch"
# Activity entries of a batch are written in one bulk INSERT at its end.
ACTIVITY_BATCH = 1000


def store_batch_publish(pushes: list[StorePush]) -> None:
    """Publish the pushes as one batch, once the surrounding transaction commits."""
    pks = [push.pk for push in pushes]
    if pks:
        transaction.on_commit(lambda: enqueue(STORE_BATCH, pks))


def store_batch_run(pks: list[int]) -> dict:
    """Run these store pushes, one connection's at a time; returns the outcomes counted. Skips any push another worker
    holds or finished."""
    # A task's first load by ids: each row's merchant scope is entered before anything else is read or written.
    with scopes_disabled():
        pushes = list(
            StorePush.objects.filter(pk__in=pks).select_related("merchant", *STORE_PUSH_RELATED).defer(*STORE_PUSH_DEFERRED).order_by("pk")
        )
    outcomes: Counter = Counter()
    for _connection, group in groupby(sorted(pushes, key=lambda push: push.connection_id), key=lambda push: push.connection_id):
        outcomes += _run(list(group))
    return dict(outcomes)


def _run(pushes: list[StorePush]) -> Counter:
    """One connection's pushes, holding its store's lane (see `remote_lane`): the lines of a chunk's orders in one
    query, one activity recorder for the batch; then the store's other due pushes."""
    connection = pushes[0].connection
    for push in pushes:
        push.connection = connection  # one loaded connection (store, configuration) for the whole batch
    lines: dict[int, list[OrderLine]] = {}
    held = PushedOrders()

    def prepare(claimed) -> None:
        lines.clear()
        for line in OrderLine.objects.filter(order__in=[push.order_id for push in claimed]).select_related("product"):
            lines.setdefault(line.order_id, []).append(line)

    kind = outbox_kind(StorePush._meta.label_lower)
    store_id = connection.store_connection_id
    with merchant_scope(pushes[0].merchant), remote_lane(kind, store_id) as lane:
        if lane is None:  # another task is pushing to this store: it runs these rows too, as they are due
            return Counter(remote_busy=len(pushes))

        def execute(push):
            lane.renew()
            return store_push_execute(push, lines=lines.get(push.order_id, []), recorder=recorder, held=held)

        started = monotonic()
        recorder = activity_on_call(merchant=pushes[0].merchant, direction=Direction.TO_STORE, connection=connection,
                                    store_connection=connection.store_connection, batch_size=ACTIVITY_BATCH)
        with recorder:
            outcomes = outbox_execute_many(pushes, execute, prepare=prepare, finish=held.write)
        drain_remote(kind, store_id, lane, started=started, done={push.pk for push in pushes})
        return outcomes
