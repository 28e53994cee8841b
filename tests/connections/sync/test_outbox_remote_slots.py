"""One task per kind and remote: a slow store's rows hold one worker, which drains them, instead of every worker
sleeping in the store's rate limiter while other stores' rows wait (the 1,000-transfer chaos run's finding)."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from connections.models import OutboxState
from connections.sync import outbox
from koongo.accounts.tenancy import merchant_scope
from koongo.coordination import locks
from koongo.http import TransientError
from tests.connections.sync.support import *  # noqa: F403
from tests.connections.sync.support import ScriptedHandler, make_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def remote_kind(monkeypatch):
    """EchoOutbox registered with its Miinto connection as the remote it writes to."""
    from tests.testapp.models import EchoOutbox

    monkeypatch.setattr(outbox, "_kinds", {})
    handler = ScriptedHandler()
    kind = outbox.register_outbox(EchoOutbox, handler, max_attempts=3, lease_seconds=60, backoff_base=10, remote="connection")
    return kind, handler


def rows(merchant, connection, *messages):
    from tests.testapp.models import EchoOutbox

    with merchant_scope(merchant):
        return [
            EchoOutbox.objects.create(merchant=merchant, connection=connection, message=m, idempotency_key=f"echo-{m}")
            for m in messages
        ]


def states(*made):
    with scopes_disabled():
        return [type(row).objects.get(pk=row.pk).state for row in made]


def test_the_slot_holder_drains_its_remotes_due_rows_and_leaves_other_remotes_alone(merchant, remote_kind):
    kind, handler = remote_kind
    slow = make_connection(merchant, shop_id="1-m!i!s-045-1001")
    other = make_connection(merchant, shop_id="1-m!i!s-045-1002")
    first, second, third = rows(merchant, slow, "a", "b", "c")
    (elsewhere,) = rows(merchant, other, "d")
    assert outbox.outbox_execute(kind.label, first.pk) == "done"
    assert handler.calls == [first.pk, second.pk, third.pk]  # one task ran the remote's three rows, in turn
    assert states(first, second, third, elsewhere) == ["done", "done", "done", "pending"]
    assert outbox.outbox_execute(kind.label, elsewhere.pk) == "done"


def test_a_task_that_finds_the_slot_taken_leaves_its_row_due_for_the_holder(merchant, remote_kind):
    kind, handler = remote_kind
    slow = make_connection(merchant, shop_id="1-m!i!s-045-1001")
    (row,) = rows(merchant, slow, "a")
    with locks().lease(f"outbox-remote:{kind.label}:{slow.pk}", 60) as held:
        assert held is not None  # another worker is running this remote's rows
        assert outbox.outbox_execute(kind.label, row.pk) == "remote_busy"
    assert handler.calls == []
    assert states(row) == [OutboxState.PENDING]  # not claimed, no attempt spent: still due
    assert outbox.outbox_execute(kind.label, row.pk) == "done"  # the slot is free again


def test_a_row_that_fails_backs_off_and_the_drain_goes_on_without_retrying_it(merchant, remote_kind):
    kind, handler = remote_kind
    slow = make_connection(merchant, shop_id="1-m!i!s-045-1001")
    first, second, third = rows(merchant, slow, "a", "b", "c")
    handler.script = [None, TransientError("503 from the store")]
    assert outbox.outbox_execute(kind.label, first.pk) == "done"
    assert handler.calls == [first.pk, second.pk, third.pk]
    assert states(first, second, third) == [OutboxState.DONE, OutboxState.FAILED, OutboxState.DONE]


def test_a_drain_past_its_lease_hands_the_next_row_to_a_new_task(merchant, remote_kind, monkeypatch):
    kind, handler = remote_kind
    slow = make_connection(merchant, shop_id="1-m!i!s-045-1001")
    first, second, third = rows(merchant, slow, "a", "b", "c")
    clock = iter([0.0, 1.0, 10_000.0])  # the deadline is set, one more row runs, then the lease is over
    monkeypatch.setattr(outbox, "monotonic", lambda: next(clock))
    handed = []
    monkeypatch.setattr(outbox, "_enqueue", lambda label, pk: handed.append((label, pk)))
    assert outbox.outbox_execute(kind.label, first.pk) == "done"
    assert handler.calls == [first.pk, second.pk]
    assert handed == [(kind.label, third.pk)]
    assert states(third) == [OutboxState.PENDING]


def test_the_store_writing_kinds_each_name_the_store_as_their_remote():
    kinds = outbox.outbox_kinds()
    assert {label for label, kind in kinds.items() if kind.remote == outbox.STORE_OF_ROW} == {
        "orders.storepush", "rma.refundpush", "orders.labelnotepush",
    }  # fmt: skip
