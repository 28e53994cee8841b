"""An idle connection's tick (every registered flow, simulators with nothing new) costs a constant, small number of
queries: the same for every connection and every tick, and the dispatcher's own queries do not grow with the number
of connections it claims. The connections are the ones `bench/idle_poll.py` measures."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from bench.idle_poll import setup, simulators
from connections import clients
from connections.models import MiintoConnection, SyncRun
from connections.sync.runs import sync_dispatch_due
from connections.sync.tasks import run_connection_tick
from koongo.sandbox_kit import PrefixMount, wsgi_transport

# Every flow of an idle tick, with its engine share: the connection, its live runs, one INSERT of the runs, one
# UPDATE per run, the connection's last-sync times; the flows' own reads (pending transfers, stock deltas, ...).
IDLE_TICK_QUERY_BUDGET = 40


@pytest.fixture
def idle_connections(db):
    miinto, shopify, accounts = simulators(3, "7e57")
    with clients.use_transport("miinto", wsgi_transport(miinto)), \
            clients.use_transport("shopify", wsgi_transport(PrefixMount({"shopify": shopify}))):
        connections = setup(accounts, settings.STORE_SIMULATOR_URL)
        for connection in connections:
            run_connection_tick.delay(connection.pk).get()  # the first tick: catalog refresh, Miinto login
        yield connections


def make_due(connections):
    with scopes_disabled():
        MiintoConnection.objects.filter(pk__in=[c.pk for c in connections]).update(next_sync_at=timezone.now())


def tick_queries(connection) -> int:
    with CaptureQueriesContext(db) as queries:
        outcome = run_connection_tick.delay(connection.pk).get()
    assert set(part.split(":")[1] for part in outcome.split()) == {"succeeded"}, outcome
    # Savepoints are the test's transaction showing through: in production those blocks are BEGIN/COMMIT of their own.
    return sum(1 for query in queries.captured_queries if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")))


def test_every_idle_tick_costs_the_same_few_queries(idle_connections):
    counts = [tick_queries(connection) for connection in idle_connections]
    counts += [tick_queries(connection) for connection in idle_connections]  # a second round: still the same
    assert len(set(counts)) == 1, counts
    assert counts[0] <= IDLE_TICK_QUERY_BUDGET, counts
    with scopes_disabled():
        flows = set(SyncRun.objects.filter(connection=idle_connections[0]).values_list("flow", flat=True))
    assert {"orders", "stock", "shipments", "labels", "rma", "refunds"} <= flows  # every scheduled flow ran


def test_the_dispatchers_queries_do_not_grow_with_the_connections_it_claims(idle_connections, django_capture_on_commit_callbacks):
    counts = []
    for due in (idle_connections[:1], idle_connections):
        make_due(due)
        with CaptureQueriesContext(db) as queries, django_capture_on_commit_callbacks(execute=False) as queued:
            assert sorted(sync_dispatch_due()) == sorted(c.pk for c in due)
        assert len(queued) == len(due)  # one task per connection
        counts.append(len(queries))
    assert counts[0] == counts[1]
