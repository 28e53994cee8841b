"""Activity (the Communications log): entries from an API client's CallRecords, batched and redacted, and pruning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from django_scopes import scopes_disabled

from connections.models import ActivityEntry
from connections.sync.activity import activity_on_call, activity_prune, activity_record, payload_excerpt
from connections.sync.tasks import prune_activity
from koongo.accounts.tenancy import merchant_scope
from koongo.http import ApiClient, CallRecord, PermanentError
from tests.connections.sync.support import *  # noqa: F403

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def entries(*fields):
    with scopes_disabled():
        return list(ActivityEntry.objects.order_by("pk").values_list(*fields))


def shop_api(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/orders":
        return httpx.Response(201, json={"id": 77, "access_token": "shpat_secret"})
    return httpx.Response(422, json={"errors": "sku unknown"})


def test_every_call_of_a_client_becomes_an_entry(merchant, connection):
    client = ApiClient("https://shop.example", transport=httpx.MockTransport(shop_api))
    with (
        time_machine.travel(T0, tick=False),
        activity_on_call(merchant=merchant, direction="to_store", connection=connection, correlation_id="run-7") as recorder,
    ):
        client.on_call = recorder
        with recorder.about("order", 1001, operation="create store order"):
            client.send("POST", "/orders", json={"line": 1, "password": "hunter2"})
        with pytest.raises(PermanentError):
            client.send("POST", "/refunds", json={"amount": "10.00"})
    rows = entries("direction", "operation", "subject_type", "subject_id", "ok", "http_status", "method", "url", "connection_id")
    assert rows == [
        ("to_store", "create store order", "order", "1001", True, 201, "POST", "https://shop.example/orders", connection.pk),
        ("to_store", "POST /refunds", "", "", False, 422, "POST", "https://shop.example/refunds", connection.pk),
    ]
    with scopes_disabled():
        first, second = ActivityEntry.objects.order_by("pk")
    assert first.payload == {"request": {"line": 1, "password": "***"}, "response": {"id": 77, "access_token": "***"}}
    assert first.correlation_id != "run-7"  # a subject gets its own correlation id
    assert (second.correlation_id, second.created_at, second.merchant_id) == ("run-7", T0, merchant.pk)
    assert second.error == "POST /refunds answered 422"


def test_entries_are_written_in_batches(merchant, connection, django_assert_num_queries):
    recorder = activity_on_call(merchant=merchant, direction="to_miinto", connection=connection, batch_size=3)
    call = CallRecord("GET", "https://api.miinto.example/transfers", 200, 40)
    with django_assert_num_queries(1):  # one bulk insert for the first three
        for _ in range(4):
            recorder(call)
    assert len(entries("pk")) == 3
    with django_assert_num_queries(1):
        assert recorder.flush() == 1
    assert recorder.flush() == 0
    assert len(entries("pk")) == 4


def test_large_payloads_become_a_truncated_redacted_excerpt():
    big = {"token": "abc", "lines": ["x" * 100] * 100}
    excerpt = payload_excerpt(big, limit=200)
    assert excerpt["truncated"] is True
    assert excerpt["excerpt"].startswith('{"token": "***", "lines": ["xxx')
    assert len(excerpt["excerpt"]) == 200
    assert payload_excerpt(None) is None


def test_activity_record_writes_one_redacted_entry(merchant, connection):
    with merchant_scope(merchant):
        entry = activity_record(
            merchant=merchant,
            direction="from_miinto",
            operation="transfer received",
            connection=connection,
            subject_type="transfer",
            subject_id=55,
            payload={"id": 55, "secret": "x"},
        )
    assert entries("direction", "operation", "subject_id", "payload") == [
        ("from_miinto", "transfer received", "55", {"id": 55, "secret": "***"})
    ]
    assert entry.ok is True


def _entry_aged(merchant, days: float) -> None:
    with merchant_scope(merchant):
        entry = activity_record(merchant=merchant, direction="to_miinto", operation=f"aged {days}")
        ActivityEntry.objects.filter(pk=entry.pk).update(created_at=T0 - timedelta(days=days))


def test_prune_keeps_the_retention_period(merchant, other_merchant):
    for days in (89.9, 90.1, 400):
        _entry_aged(merchant, days)
    _entry_aged(other_merchant, 120)
    with time_machine.travel(T0, tick=False):
        assert prune_activity.delay().get() == 3
    assert entries("operation") == [("aged 89.9",)]


def test_retention_is_configurable(merchant, settings):
    settings.ACTIVITY_RETENTION_DAYS = 7
    for days in (6, 8, 9, 10):
        _entry_aged(merchant, days)
    with time_machine.travel(T0, tick=False):
        assert activity_prune(batch_size=2) == 3
    assert entries("operation") == [("aged 6",)]
