"""Read paths that stay cheap with history: keyset pages without COUNT(*), bounded overview counters, EXISTS status
filters, calendar days in the merchant's time zone, slim list payloads and the orjson renderer."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from bench.data_scale import load_orders
from connections.models import ActivityEntry, Problem, SyncRun
from koongo.accounts.tenancy import merchant_scope
from koongo.counts import bounded_count
from koongo.renderers import OrjsonRenderer
from orders.api import OrderFilter
from orders.models import Order, Position, Transfer
from tests.catalog.conftest import make_miinto_connection, make_product, make_store

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _room_to_capture():
    # CaptureQueriesContext slices Django's query log, a deque of 9,000: once earlier tests fill it, it captures nothing.
    db.queries_log.clear()


@pytest.fixture
def history(merchant, owner):
    """Five orders of merchant A (Europe/Copenhagen), each with its positions, activity and the rest, by the bench's loader."""
    merchant.timezone = "Europe/Copenhagen"
    merchant.save(update_fields=["timezone"])
    store = make_store(merchant)
    connection = make_miinto_connection(merchant, store)
    with merchant_scope(merchant):
        run = SyncRun.objects.create(merchant=merchant, connection=connection, flow="orders", trigger="schedule", status="succeeded")
    counts = load_orders([merchant], [connection], [run], [0] * 5, random.Random(1))
    assert counts["order"] == 5 and counts["activity"] == 40
    return {"merchant": merchant, "connection": connection, "store": store}


def _counts(captured) -> list[str]:
    """`queryset.count()` and Paginator counts: `SELECT COUNT(*) AS "__count" FROM ...` over every matching row."""
    return [q["sql"] for q in captured.captured_queries if '"__count"' in q["sql"]]


def _follow_more(owner_client, url: str, marker: str) -> tuple[list[list[str]], list[list[str]]]:
    """Every page of a keyset list, by its More link: the marker's values per page, and the COUNT queries per page."""
    import re

    pages, counts = [], []
    while url:
        with CaptureQueriesContext(db) as captured:
            body = owner_client.get(url).content.decode()
        assert captured.captured_queries  # something was captured, so an empty count list means no COUNT ran
        pages.append(re.findall(marker, body))
        counts.append(_counts(captured))
        following = re.search(r'href="\?([^"]*)" rel="next"', body)
        url = url.split("?")[0] + "?" + following.group(1).replace("&amp;", "&") if following else None
    return pages, counts


def test_the_activity_log_pages_by_key_without_counting(history, owner_client, monkeypatch):
    monkeypatch.setattr("connections.sync.views.PAGE_SIZE", 15)
    pages, counts = _follow_more(owner_client, "/activity/", r'data-activity="(\d+)"')
    with merchant_scope(history["merchant"]):
        newest_first = [str(pk) for pk in ActivityEntry.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)]
    assert [len(page) for page in pages] == [15, 15, 10]
    assert sum(pages, []) == newest_first
    assert counts == [[], [], []]


def test_the_problems_inbox_pages_by_key_without_counting(history, owner_client, monkeypatch):
    merchant, connection = history["merchant"], history["connection"]
    with merchant_scope(merchant):
        made = [
            Problem.objects.create(merchant=merchant, kind="store_order_failed", connection=connection, message=f"Refused {i}",
                                   subject_type="order", subject_id=str(i), fingerprint=f"f{i}")  # fmt: skip
            for i in range(5)
        ]
    monkeypatch.setattr("connections.sync.views.PAGE_SIZE", 2)
    pages, counts = _follow_more(owner_client, "/problems/?state=open", r'data-problem="(\d+)"')
    assert pages == [[str(made[4].pk), str(made[3].pk)], [str(made[2].pk), str(made[1].pk)], [str(made[0].pk)]]
    assert counts == [[], [], []]


def test_the_catalog_pages_by_key_without_counting(history, owner_client, monkeypatch):
    for title in ("Cap", "Anorak", "Boots"):
        make_product(history["store"], title=title)
    monkeypatch.setattr("catalog.views.PAGE_SIZE", 2)
    url = f"/catalog/connections/{history['connection'].pk}/products/"
    pages, counts = _follow_more(owner_client, url, r'/catalog/products/\d+/">([^<]+)</a>')
    assert pages == [["Anorak", "Boots"], ["Cap"]]
    # What is left is the side panel's live-product count of the store (the catalog's size, not history), no page count.
    assert [[sql for sql in page if "LIMIT" in sql or "ORDER BY" in sql] for page in counts] == [[], []]


def test_the_overview_counts_at_most_a_thousand_rows(history, owner_client):
    with CaptureQueriesContext(db) as captured:
        assert owner_client.get("/").status_code == 200
    bounded = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT COUNT(*) FROM (") and "LIMIT 1000)" in q["sql"]]
    # Plain counts only of the merchant's connections (a handful); the rest stop at 1,000: waiting positions, open
    # problems, pending RMAs and RMA problems.
    unbounded = [sql for sql in _counts(captured) if 'FROM "connections_miintoconnection"' not in sql]
    assert (unbounded, len(bounded)) == ([], 4)


def test_bounded_count_stops_at_the_cap(history):
    with merchant_scope(history["merchant"]):
        found = ActivityEntry.objects.filter(merchant=history["merchant"])
        assert (int(bounded_count(found, cap=100)), str(bounded_count(found, cap=100))) == (40, "40")
        capped = bounded_count(found, cap=30)
    assert (int(capped), str(capped), capped.capped) == (31, "30+", True)


def test_the_transfer_status_filter_uses_exists_and_lists_each_transfer_once(history, api_client):
    merchant = history["merchant"]
    with merchant_scope(merchant):
        several = Transfer.objects.filter(merchant=merchant).order_by("pk")[0]  # the loader gives transfer 0 three lines
        assert Position.objects.filter(transfer=several, status="accepted").count() == 2  # and declines the last one
        accepted = sorted(Transfer.objects.filter(merchant=merchant, positions__status="accepted").values_list("pk", flat=True).distinct())
    with CaptureQueriesContext(db) as captured:
        body = api_client.get("/api/v1/transfers/?status=accepted").json()
    assert sorted(row["id"] for row in body["results"]) == accepted
    listing = next(q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "orders_transfer"'))
    assert "EXISTS" in listing and "DISTINCT" not in listing


def test_day_filters_are_the_merchants_calendar_days_as_timestamp_ranges(history, api_client):
    merchant = history["merchant"]
    with merchant_scope(merchant):
        late = Order.objects.filter(merchant=merchant).order_by("pk").first()
        # 23:30 UTC on 1 March is 00:30 on 2 March in Copenhagen: the merchant's 2 March.
        Order.objects.filter(pk=late.pk).update(created_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    on_2nd = api_client.get("/api/v1/orders/?created_after=2026-03-02&created_before=2026-03-02").json()["results"]
    on_1st = api_client.get("/api/v1/orders/?created_after=2026-03-01&created_before=2026-03-01").json()["results"]
    assert ([o["id"] for o in on_2nd], on_1st) == ([late.pk], [])
    with merchant_scope(merchant):
        found = OrderFilter({"created_after": "2026-03-02", "created_before": "2026-03-02"}, queryset=Order.objects.all()).qs
        sql = str(found.query)
    assert "AT TIME ZONE" not in sql and "::date" not in sql
    assert '"created_at" >= 2026-03-02 00:00:00+01:00 AND "orders_order"."created_at" < 2026-03-03 00:00:00+01:00' in sql


def test_lists_leave_raw_payloads_to_the_detail_views(history, api_client):
    entries = api_client.get("/api/v1/activity/").json()["results"]
    assert entries and all("payload" not in entry for entry in entries)
    assert api_client.get(f"/api/v1/activity/{entries[0]['id']}/").json()["payload"]
    positions = api_client.get("/api/v1/positions/").json()["results"]
    assert all("item" not in p and "inputs" not in p["decision"] for p in positions)
    detail = api_client.get(f"/api/v1/positions/{positions[0]['id']}/").json()
    assert detail["item"]["title"] == "Organic cotton tee" and detail["decision"]["inputs"] == {"stock": 3, "price": "499.95"}


def test_the_transfer_lists_read_no_raw_payload_and_the_api_list_is_the_detail_less_its_raw_fields(history, api_client, owner_client):
    """The API list and the dashboard list select only what they show; the API list still says what the full
    serializer says of each transfer, less Miinto's raw item and the decision's inputs (a missing decision included)."""
    from orders import selectors
    from orders.models import Decision
    from orders.serializers import TransferSerializer

    merchant = history["merchant"]
    with merchant_scope(merchant):
        Decision.objects.filter(pk=Decision.objects.order_by("pk").values("pk")[:1]).delete()
    raw_columns = ('"orders_transfer"."raw"', '"orders_position"."item"', '"orders_decision"."inputs"', '"orders_order"."raw"')
    for client, url in ((api_client, "/api/v1/transfers/"), (owner_client, "/orders/")):
        with CaptureQueriesContext(db) as captured:
            assert client.get(url).status_code == 200
        selected = [q["sql"] for q in captured.captured_queries if "orders_" in q["sql"]]
        assert selected and not [c for c in raw_columns if any(c in sql for sql in selected)], url
    listed = api_client.get("/api/v1/transfers/").json()["results"]
    with merchant_scope(merchant):
        expected = TransferSerializer(selectors.transfers(merchant).order_by("-pk"), many=True).data
    for transfer in expected:
        for position in transfer["positions"]:
            del position["item"]
            if position["decision"] is not None:
                del position["decision"]["inputs"]
    assert listed == json.loads(OrjsonRenderer().render(expected))
    assert any(p["decision"] is None for t in listed for p in t["positions"])  # the deleted decision


def test_the_api_rma_list_decrypts_no_connection_and_writes_what_the_full_queryset_writes(history, api_client):
    """Loading each RMA's whole connection decrypted its Miinto password and channel id for every row of the page."""
    from rma import selectors as rma_selectors
    from rma.serializers import RmaSerializer

    merchant = history["merchant"]
    with CaptureQueriesContext(db) as captured:
        listed = api_client.get("/api/v1/rmas/").json()["results"]
    selected = " ".join(q["sql"] for q in captured.captured_queries)
    assert listed and '"rma_rma"' in selected
    assert '"connections_miintoconnection"."password"' not in selected and '"rma_rma"."raw"' not in selected
    with merchant_scope(merchant):
        expected = RmaSerializer(rma_selectors.rmas(merchant).order_by("-pk"), many=True).data
    assert listed == json.loads(OrjsonRenderer().render(expected))


def test_the_order_list_from_rows_reads_as_the_model_serializer_writes(history, api_client, owner_client):
    """The API order list renders plain rows; each order must be what OrderSummarySerializer makes of the model: in UTC
    for a key, in the merchant's zone for a session, with nulls where the model has none (no transfer, no decision)."""
    import json
    import zoneinfo

    from django.utils import timezone

    from orders import selectors
    from orders.models import Decision
    from orders.serializers import OrderSummarySerializer

    merchant = history["merchant"]
    with merchant_scope(merchant):
        first, second = Order.objects.order_by("pk")[:2]
        Order.objects.filter(pk=first.pk).update(transfer=None, parent_order_id=None, customer_phone="+45 \t\"x\"")
        Decision.objects.filter(position__order_line__order=second).delete()
    for client, zone in ((api_client, UTC), (owner_client, zoneinfo.ZoneInfo("Europe/Copenhagen"))):
        listed = client.get("/api/v1/orders/").json()["results"]
        with merchant_scope(merchant), timezone.override(zone):
            expected = [OrderSummarySerializer(order).data for order in selectors.orders(merchant).order_by("-pk")]
        assert listed == json.loads(OrjsonRenderer().render(expected))
    assert {o["id"]: o for o in listed}[first.pk]["transfer"] is None
    assert {line["decision"] is None for line in {o["id"]: o for o in listed}[second.pk]["lines"]} == {True}


def test_the_order_list_takes_the_same_queries_for_any_page_size(history, api_client):
    api_client.get("/api/v1/orders/")  # the key's first use records it (at most once a minute): not part of a page
    sizes = {}
    for size in (1, 5):
        with CaptureQueriesContext(db) as captured:
            assert len(api_client.get(f"/api/v1/orders/?page_size={size}").json()["results"]) == size
        sizes[size] = len(captured.captured_queries)
    assert sizes[1] == sizes[5] == 3  # the key with its merchant and plan, the page, its lines


def test_the_orjson_renderer_writes_what_drfs_renderer_writes():
    from django.utils.translation import gettext_lazy

    data = {"amount": Decimal("12.50"), "at": datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC), "name": "Ærø", "label": gettext_lazy("Pending"),
            "rows": [{"id": 1, "ok": True, "none": None}]}  # fmt: skip
    assert OrjsonRenderer().render(data) == JSONRenderer().render(data)
    assert OrjsonRenderer().render(None) == b""


@pytest.mark.postgres
def test_the_apps_connections_plan_without_parallel_workers():
    """A page's parallel plan costs its workers' start-up: 0.6 ms became 120 ms on a busy host (bench/results/)."""
    with db.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


def test_an_unfiltered_list_builds_no_filter_set_and_a_filtered_one_still_filters(history, api_client, monkeypatch):
    built = []
    original = OrderFilter.__init__
    monkeypatch.setattr(OrderFilter, "__init__", lambda self, *a, **kw: built.append(kw.get("data")) or original(self, *a, **kw))
    everything = api_client.get("/api/v1/orders/?page_size=50").json()["results"]
    assert len(everything) == 5 and built == []  # page_size names no filter: django-filter's set is never built

    with merchant_scope(history["merchant"]):
        accepted = Order.objects.order_by("pk").first()
        Order.objects.exclude(pk=accepted.pk).update(status="shipped")
        Order.objects.filter(pk=accepted.pk).update(status="accepted")
    filtered = api_client.get("/api/v1/orders/?status=accepted").json()["results"]
    assert [order["id"] for order in filtered] == [accepted.pk] and len(built) == 1
    bad = api_client.get("/api/v1/orders/?created_after=yesterday")
    assert bad.status_code == 400 and "created_after" in bad.json()
