"""/metrics: the token, exact counter moves after a sync with faults, bounded labels, and a scrape's query budget."""

from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from connections.models import MiintoConnection
from orders.models import DecisionPush, Order, Position
from tests.factories import MerchantFactory
from tests.orders.conftest import GTIN_JEANS, GTIN_TEE_M

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def read() -> tuple[dict, str]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        text = response.content.decode()
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples, text

    return read


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_scrape_needs_the_token(client, settings, db):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_without_a_token_production_has_no_endpoint(client, settings, db):
    settings.METRICS_TOKEN = ""
    settings.IS_PROD = True
    assert client.get("/metrics").status_code == 404


def test_counters_move_by_exactly_what_a_sync_with_faults_did(world, scrape):
    before, _ = scrape()
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.offer((GTIN_JEANS, 50000, 1))
    # Miinto's answer to the first decision is lost: the push fails once and is retried on the next run.
    world.miinto_transport.match = lambda request: request.method == "PATCH"
    world.miinto_transport.timeout_after = 1
    # Counters move once their transaction commits (a rolled-back decision is no decision); world.sync runs the
    # on-commit callbacks, and with them the push tasks, as a worker would.
    world.sync()
    DecisionPush.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    world.run_due_pushes()
    after, text = scrape()

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("koongo_positions_decided_total", decision="accepted", rule="auto", reason="accepted") == 1
    assert moved("koongo_positions_decided_total", decision="declined", rule="auto", reason="out_of_stock") == 1
    assert moved("koongo_remote_calls_total", remote="miinto", outcome="transient") == 1
    assert moved("koongo_outbox_executions_total", kind="orders.decisionpush", outcome="failed") == 1
    assert moved("koongo_outbox_executions_total", kind="orders.decisionpush", outcome="done") == 2
    assert moved("koongo_outbox_executions_total", kind="orders.storepush", outcome="done") == 1
    assert moved("koongo_sync_run_duration_seconds_count", flow="orders", outcome="succeeded") == 1
    assert moved("koongo_remote_calls_total", remote="shopify", outcome="ok") >= 1
    assert value(after, "koongo_outbox_rows", kind="orders.decisionpush", state="pending") == 0
    assert value(after, "koongo_oldest_pending_position_age_seconds") == 0
    # No label value is any id of the merchants, connections, orders, positions or shops.
    ids = {str(world.merchant.pk), str(world.connection.pk), world.connection.shop_id}
    ids |= {str(pk) for pk in Position.objects.values_list("pk", flat=True)}
    ids |= {str(miinto_id) for miinto_id in Position.objects.values_list("miinto_id", flat=True)}
    numeric = {"le", "quantile", "generation"}  # bucket bounds and the interpreter's GC generations, not ids
    leaking = {(name, label) for (name, label_pairs) in after for (label, label_value) in label_pairs
               if label not in numeric and label_value in ids}
    assert leaking == set()
    assert "django_http_requests_total_by_view_transport_method_total" in text


def test_a_scrape_at_a_backlog_costs_the_same_queries(world, scrape):
    world.configure(auto_accept=False)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    scrape()
    with CaptureQueriesContext(db) as small:
        scrape()
    # A backlog of thousands: outbox rows, pending positions, overdue connections of other merchants.
    push = DecisionPush.objects.get() if DecisionPush.objects.exists() else None
    rows = [DecisionPush(merchant=world.merchant, connection=world.connection, transfer=Position.objects.first().transfer,
                         idempotency_key=f"bulk:{n}", next_attempt_at=timezone.now() - timedelta(hours=1)) for n in range(3000)]
    DecisionPush.objects.bulk_create(rows)
    for _ in range(5):
        MerchantFactory()
    MiintoConnection.objects.update(next_sync_at=timezone.now() - timedelta(hours=2))
    with CaptureQueriesContext(db) as large:
        samples, _ = scrape()
    assert len(large.captured_queries) == len(small.captured_queries)
    assert value(samples, "koongo_outbox_rows", kind="orders.decisionpush", state="pending") == 3000 + (push is not None)
    assert value(samples, "koongo_outbox_oldest_due_age_seconds", kind="orders.decisionpush") >= 3600
    assert value(samples, "koongo_connections_overdue") == 1
    # A paused connection is not overdue (nothing dispatches it); it counts under what paused it.
    MiintoConnection.objects.update(paused_at=timezone.now(), paused_source="store_credentials")
    samples, _ = scrape()
    assert value(samples, "koongo_connections_overdue") == 0
    assert value(samples, "koongo_connections_paused", reason="store_credentials") == 1
    assert value(samples, "koongo_connections_paused", reason="plan") == 0
    assert value(samples, "koongo_oldest_pending_position_age_seconds") >= 0


def test_every_log_line_of_a_store_push_names_the_order_and_the_transfer(world, caplog):
    import logging

    world.configure(auto_accept=True)
    transfer_miinto_id = world.offer((GTIN_TEE_M, 10000, 1))
    caplog.set_level(logging.INFO, logger="koongo.http")
    world.sync()  # the run, then its decision and store pushes, as a worker runs them
    order = Order.objects.get()
    store_calls = [r.msg for r in caplog.records
                   if isinstance(r.msg, dict) and r.msg.get("outbox") == "orders.storepush" and r.msg.get("event") == "http.call"]
    assert store_calls, "the store push made calls"
    for line in store_calls:
        assert (line["order_id"], line["miinto_order_id"], line["miinto_transfer_id"]) == (
            order.pk, order.miinto_id, transfer_miinto_id)
        assert "channel_id" not in line and "token" not in line
    run_lines = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("flow") == "orders"]
    assert run_lines and all("run_id" in line for line in run_lines)
