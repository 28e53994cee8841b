"""Shared fixtures of the sync machinery tests: connections, a scripted test-only outbox kind and a scripted flow.

Test modules take them with `from tests.connections.sync.support import *`, which keeps them out of a conftest
that the connection set-up tests also use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.db import connection as db_connection
from django_scopes import scopes_disabled

from connections.models import ConnectionStatus, MiintoConnection
from connections.sync import outbox, runs
from koongo.accounts.tenancy import merchant_scope

__all__ = [
    "ScriptedHandler",
    "ScriptedRunner",
    "committed_db",
    "connection",
    "echo_kind",
    "make_connection",
    "orders_flow",
    "other_connection",
    "run_in_threads",
    "unscoped",
]


def make_connection(merchant, *, shop_id: str = "1-m!i!s-045-1000", **fields) -> MiintoConnection:
    """An active Miinto connection written directly (the set-up services are not what these tests are about)."""
    values = {
        "environment": "simulator",
        "username": "shop@example.com",
        "password": "secret-password",
        "channel_id": "channel",
        "channel_token": "token",
        "shop_id": shop_id,
        "market": "DK",
        "shop_name": f"Shop {shop_id[-4:]}",
        "currency": "DKK",
        "status": ConnectionStatus.ACTIVE,
        **fields,
    }
    with merchant_scope(merchant):
        return MiintoConnection.objects.create(merchant=merchant, **values)


@pytest.fixture
def connection(merchant):
    return make_connection(merchant)


@pytest.fixture
def other_connection(other_merchant):
    return make_connection(other_merchant, shop_id="1-m!i!s-045-2000")


@dataclass
class ScriptedHandler:
    """An outbox handler that raises the next scripted error (or succeeds once the script is empty)."""

    script: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    during: object = None  # optional callable(row) run inside the handler, e.g. to simulate another worker

    def __call__(self, row):
        self.calls.append(row.pk)
        if self.during:
            self.during(row)
        if self.script:
            outcome = self.script.pop(0)
            if outcome is not None:
                raise outcome


@pytest.fixture
def echo_kind(monkeypatch):
    """The test-only EchoOutbox registered as the only outbox kind: `.kind`, `.handler` (scripted), `.model`, `.label`."""
    from tests.testapp.models import EchoOutbox

    monkeypatch.setattr(outbox, "_kinds", {})
    handler = ScriptedHandler()
    kind = outbox.register_outbox(
        EchoOutbox,
        handler,
        max_attempts=3,
        lease_seconds=60,
        backoff_base=10,
        backoff_max=600,
        describe=lambda row: {"connection": row.connection, "excerpt": {"message": row.message, "token": "s3cret"}},
    )
    return SimpleNamespace(kind=kind, handler=handler, model=EchoOutbox, label=kind.label)


@dataclass
class ScriptedRunner:
    """A flow runner that reports the scripted counters and errors, then raises `error` if one is set."""

    bumps: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    error: Exception | None = None
    calls: list = field(default_factory=list)
    during: object = None  # optional callable(ctx)

    def __call__(self, ctx):
        self.calls.append(ctx.run.pk)
        for counters in self.bumps:
            ctx.bump(**counters)
        for note in self.notes:
            ctx.note_error(note)
        if self.during:
            self.during(ctx)
        if self.error:
            raise self.error


@pytest.fixture
def orders_flow(monkeypatch):
    """A scripted runner registered for the orders flow, and nothing else registered."""
    monkeypatch.setattr(runs, "_flows", {})
    runner = ScriptedRunner()
    runs.register_flow("orders", runner)
    return runner


@pytest.fixture
def committed_db(transactional_db):
    """Committed rows, for tests whose threads use their own connections; the plans are seeded again because an
    earlier transactional test's flush removed them (serialized rollback clashes with the re-created content types)."""
    from koongo.accounts.models import Plan
    from koongo.accounts.plans import seed_plans

    seed_plans(Plan)


def run_in_threads(target, count: int, *, timeout: float = 20.0) -> list:
    """Run `target(index)` in `count` threads, each on its own database connection; returns results or exceptions."""
    results: list = [None] * count

    def work(index):
        try:
            results[index] = target(index)
        except Exception as error:  # reported to the test, which asserts on it
            results[index] = error
        finally:
            db_connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    return results


def unscoped(model):
    """All rows of a tenant model, for assertions that must see every merchant."""
    with scopes_disabled():
        return list(model.objects.all())
