"""A page's decision pushes as one task: one Miinto client, one activity batch and one quota count for all of them;
the store pushes of the orders they make are published a chunk at a time (`orders.store_batches`).

The orders run writes its decision pushes pending and due without publishing them one by one; it publishes one batch
per page once it has read every page. A batch that never runs leaves its rows to the outbox sweeper, like any row.

One lane per Miinto account: its connections share one rate limit (10 requests/s), which one running batch already
uses up, so at most one batch of an account runs at a time. A batch that finds the lane taken parks its pushes (marks
them handed over, as the sweeper does) and returns, leaving its worker free for store pushes; the lane's holder runs
the parked pushes after its own, and after a turn of `TURN_SECONDS` queues the rest behind whatever waits meanwhile.
Batches and decision pushes have the "miinto" queue, so that is other accounts' batches, never the store pushes.
"""

from __future__ import annotations

import time
from collections import Counter
from itertools import groupby

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from connections import clients
from connections.models import Direction, OutboxState
from connections.sync.activity import activity_on_call
from connections.sync.enqueue import enqueue
from connections.sync.outbox import outbox_execute_many
from koongo.accounts.services import usage_add_orders
from koongo.accounts.tenancy import merchant_scope
from koongo.coordination import locks
from orders.models import DecisionPush
from orders.pushes import DECISION_PUSH_RELATED, SentDecisions, decision_push_send, unsent_decisions
from orders.store_batches import store_batch_publish

DECISION_BATCH = "orders.tasks.decision_batch"
# Activity entries of a batch are written in one bulk INSERT at its end.
ACTIVITY_BATCH = 1000
# Parked pushes the lane's holder runs per round (a page's worth, like a published batch).
LANE_ROUND = 50
# The lane's lock lives this long unless renewed; the holder renews it after every round (≈10 s at Miinto's limit).
LANE_TTL = 120
# How long a holder keeps the lane (and a worker process) before queuing the rest: other accounts' batches, and any
# queue's work for that process, then get their turn. Below the decision pushes' lease (120 s), within which parked
# rows stay unswept.
TURN_SECONDS = 60


def decision_batch_publish(pushes: list[DecisionPush], size: int) -> None:
    """Publish the pushes in batches of `size`, once the surrounding transaction commits."""
    pks = [push.pk for push in pushes]
    for start in range(0, len(pks), size):
        chunk = pks[start:start + size]
        transaction.on_commit(lambda chunk=chunk: enqueue(DECISION_BATCH, chunk))


def lane_key(connection) -> str:
    """The account's lane: keyed like the Miinto client's rate limit, which every connection of the account shares."""
    return f"decisions:miinto:{connection.environment}:{connection.username}"


def decision_batch_run(pks: list[int]) -> dict:
    """Run these pushes in the account's lane, then the pushes parked there; or park them if the lane is taken.

    Returns the outcomes counted; `merged` counts pushes left to the lane's holder. Skips any push another worker holds
    or finished.
    """
    # A task's first load by ids: each row's merchant scope is entered before anything else is read or written.
    with scopes_disabled():
        pushes = _loaded(DecisionPush.objects.filter(pk__in=pks))
    if not pushes:
        return {}
    account = pushes[0].connection
    outcomes: Counter = Counter()
    parked = False
    while True:
        with locks().lease(lane_key(account), LANE_TTL) as lease:
            if lease is not None:
                done, yielded = _drain(account, pushes, lease)
                outcomes += done
                pushes = []
        if lease is not None:
            # Pushes parked after our last look would wait for the next batch or the sweeper: take the lane back.
            with scopes_disabled():
                more = not yielded and _parked(account).exists()
            if not more:
                break
        elif pushes and not parked:
            # Parked before the second try: a holder that released meanwhile leaves us the lane, and one that still
            # holds it finds these rows when it looks for parked ones after releasing.
            _park(pushes)
            parked = True
        else:
            if pushes:
                outcomes["merged"] += len(pushes)
            break
    return dict(outcomes)


def _loaded(query, limit: int | None = None) -> list[DecisionPush]:
    return list(query.select_related("merchant", *DECISION_PUSH_RELATED).order_by("pk")[:limit])


def _parked(account):
    """The account's pushes handed to a worker (parked, or swept) and due, oldest first."""
    return DecisionPush.objects.filter(
        connection__environment=account.environment, connection__username=account.username,
        state__in=[OutboxState.PENDING, OutboxState.FAILED], next_attempt_at__lte=timezone.now(), swept_at__isnull=False,
    )


def _park(pushes: list[DecisionPush]) -> None:
    """Hand the pushes to the lane's holder: marked as the sweeper marks what it enqueued (the claim clears it), which
    also keeps the sweeper from queuing them again while they wait."""
    with scopes_disabled():
        DecisionPush.objects.filter(pk__in=[p.pk for p in pushes], state__in=[OutboxState.PENDING, OutboxState.FAILED]).update(
            swept_at=timezone.now()
        )


def _drain(account, pushes: list[DecisionPush], lease) -> tuple[Counter, bool]:
    """Run the pushes, then the parked ones a round at a time, for one turn. Returns the outcomes, and True if the turn
    ended with pushes left (queued as a new batch, behind what waits meanwhile)."""
    outcomes: Counter = Counter()
    turn_ends = time.monotonic() + TURN_SECONDS
    while True:
        # One Miinto client per connection in the round (a round of parked pushes may span the account's connections).
        for _connection, group in groupby(sorted(pushes, key=lambda push: push.connection_id), key=lambda push: push.connection_id):
            outcomes += _run(list(group))
        if pushes and not lease.renew():
            return outcomes, False  # the lane expired and may be someone else's now: leave the rest to them
        with scopes_disabled():  # the account's connections may belong to more than one merchant; each run scopes its own
            pushes = _loaded(_parked(account), LANE_ROUND)
        if not pushes:
            return outcomes, False
        if time.monotonic() > turn_ends:
            with scopes_disabled():
                _parked(account).update(swept_at=timezone.now())  # still handed over: the sweeper leaves them be
            enqueue(DECISION_BATCH, [push.pk for push in pushes])
            return outcomes, True


def _run(pushes: list[DecisionPush]) -> Counter:
    """One connection's pushes with one Miinto client: claims, unsent decisions, the sent marks and the completions go
    a chunk of pushes at a time (see `outbox_execute_many`); each push's PATCH, order fetch and order insert are its own.
    """
    connection = pushes[0].connection
    for push in pushes:
        push.connection = connection  # one loaded connection (configuration, merchant) for the whole batch
    with merchant_scope(pushes[0].merchant):
        recorder = activity_on_call(merchant=connection.merchant, direction=Direction.TO_MIINTO, connection=connection,
                                    batch_size=ACTIVITY_BATCH)
        made: list = []
        unsent: dict = {}
        sent = SentDecisions()
        store_pushes: list = []

        def prepare(claimed) -> None:
            unsent.clear()
            unsent.update(unsent_decisions([push.transfer for push in claimed if push.attempts == 1]))

        def send(push) -> None:
            with recorder.about("transfer", push.transfer.miinto_id):
                order = decision_push_send(push, client, count_usage=False, unsent=unsent.get(push.transfer_id), sent=sent,
                                           collect=store_pushes)
            if order is not None:
                made.append(order)

        def finish(claimed) -> None:
            # The chunk's orders (committed one by one) go to the store as one batch while the next chunk is decided.
            store_batch_publish(store_pushes)
            store_pushes.clear()
            sent.write()

        with clients.miinto_client(connection, on_call=recorder) as client, recorder:
            outcomes = outbox_execute_many(pushes, send, prepare=prepare, finish=finish)
        if made:
            usage_add_orders(merchant=connection.merchant, count=len(made))
    return outcomes
