"""Every list endpoint and dashboard list reads tenant tables by index: no sequential scan survives `enable_seqscan = off`.

A few rows for two merchants are loaded with the data-scale benchmark's own loader; each page is requested through
the test client, and every SELECT it ran is EXPLAINed with sequential scans disabled. The planner still picks a Seq
Scan when no index can serve the filter or the join, and that scan reads every tenant's rows once the table is big.
With sequential scans off it may instead walk a whole index (no index condition) to get the list's order: that reads
every tenant's rows too, so it counts as a sequential scan here.
"""

from __future__ import annotations

import json
import random
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from bench.data_scale import load_orders
from catalog.models import ProductListing
from connections.models import Problem, SyncRun
from koongo.accounts.tenancy import TenantModel, merchant_scope
from koongo.registry import api_routes
from orders.models import Order, Transfer
from reconciliation.models import ReconciliationRun
from tests.catalog.conftest import make_miinto_connection, make_product, make_store

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TENANT_TABLES = {model._meta.db_table for model in apps.get_models() if issubclass(model, TenantModel)}
# Tables that grow with every order, for good (archive, never delete): a page of them must come in index order.
HISTORY_TABLES = {
    "orders_transfer", "orders_position", "orders_order", "connections_activityentry", "connections_problem",
    "connections_syncrun", "rma_rma", "rma_storerefund",
}  # fmt: skip
DATES = "2025-01-01", "2026-12-31"


def seq_scans(plan: dict, listed: str) -> list[str]:
    """The tenant tables a plan (EXPLAIN FORMAT JSON) reads whole: a Seq Scan of any of them, or, for `listed` (the
    table the query lists), a secondary index walked with no index condition: every entry in order, filtered row by row,
    the same read in another order. Walking the primary key backwards is allowed: for `ORDER BY id DESC LIMIT n` the
    planner may rightly prefer it while the merchant holds a large share of the table, and a join may walk a small
    parent's primary key at this size."""
    found = []
    table = plan.get("Relation Name")
    whole_index = plan.get("Node Type") in ("Index Scan", "Index Only Scan") and "Index Cond" not in plan
    whole_index = whole_index and table == listed and not plan.get("Index Name", "").endswith("_pkey")
    if table in TENANT_TABLES and (plan.get("Node Type") == "Seq Scan" or whole_index):
        found.append(f"{table} ({plan['Node Type']}{' using ' + plan['Index Name'] if 'Index Name' in plan else ''})")
    for child in plan.get("Plans", []):
        found += seq_scans(child, listed)
    return found


def sorted_history(plan: dict, listed: str) -> list[str]:
    """A page (LIMIT) of a history table sorted after the fact: every matching row of the merchant is read and sorted
    to return a page, so the page costs more as history grows. An index matching the filter and the order avoids it."""
    if plan.get("Node Type") == "Limit" and listed in HISTORY_TABLES:
        child = plan["Plans"][0]
        if child.get("Node Type") == "Sort":
            return [f"{listed} (Sort of the merchant's rows for a page: {', '.join(child.get('Sort Key', []))})"]
    return []


def _plan(cursor, sql: str) -> dict:
    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
    raw = cursor.fetchone()[0]
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def offenders(sqls: list[str], *, check_order: bool = True) -> list[tuple[str, str]]:
    """(problem, SQL) for each SELECT on a tenant table that scans a table whole or sorts history for a page.

    Scans are judged with sequential scans off; the order of a page with sorting off as well, where the planner sorts
    only when no index gives the order (with sorting off it may walk an index whole for an order it could sort cheaply,
    so scans are not judged in that pass).
    """
    result = []
    with db.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for sql in sqls:
                if not sql.lstrip().upper().startswith("SELECT") or not any(f'"{t}"' in sql for t in TENANT_TABLES):
                    continue
                listed = re.search(r'FROM "(\w+)"', sql).group(1)
                problems = seq_scans(_plan(cursor, sql), listed)
                if check_order:
                    cursor.execute("SET enable_sort = off")
                    problems += sorted_history(_plan(cursor, sql), listed)
                    cursor.execute("RESET enable_sort")
                result += [(problem, sql) for problem in problems]
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")
    return result


@pytest.fixture
def seeded(merchant, other_merchant, owner):
    """300 orders over ten merchants, each with everything the benchmark gives an order, a small catalog and a problem.

    Merchant A, whose pages are read, has 2% of the rows, like most merchants of a big table: the planner then reads
    its rows by an index that starts with the merchant, if there is one, instead of walking another index whole."""
    from tests.factories import MerchantFactory

    merchants = [merchant, other_merchant] + [MerchantFactory(name=f"Merchant {i}") for i in range(8)]
    connections, runs = [], []
    for i, m in enumerate(merchants):
        store = make_store(m)
        connection = make_miinto_connection(m, store, shop_id=f"1-m!i!s-045-{7000 + i}")
        with merchant_scope(m):
            runs.append(SyncRun.objects.create(merchant=m, connection=connection, flow="orders", trigger="schedule", status="succeeded"))
        connections.append(connection)
        for _ in range(5):
            with merchant_scope(m):
                ProductListing.objects.create(merchant=m, product=make_product(store), connection=connection, in_feed=True)
    owners = [0 if n % 50 == 0 else 1 + n % 9 for n in range(300)]
    counts = load_orders(merchants, connections, runs, owners, random.Random(3))
    assert counts["order"] == 300 and counts["activity"] == 2400 and counts["rma"] == 15 and owners.count(0) == 6
    for m, connection in zip(merchants, connections, strict=True):
        with merchant_scope(m):  # after the loader, which numbers its own problems from 1
            Problem.objects.create(merchant=m, kind="store_order_failed", connection=connection, message="Refused",
                                   subject_type="order", subject_id="1", fingerprint=f"store_order_failed:{m.pk}")  # fmt: skip
    with merchant_scope(merchant):
        order = Order.objects.filter(merchant=merchant).order_by("pk").first()
        transfer = Transfer.objects.filter(merchant=merchant).order_by("pk").first()
        now = timezone.now()
        run = ReconciliationRun.objects.create(merchant=merchant, connection=connections[0], period_start=now - timedelta(days=1),
                                               period_end=now, trigger="api", status="done")  # fmt: skip
    with db.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"order": order, "transfer": transfer, "connection": connections[0], "run": run}


def api_list_urls(order_pk: int, run_pk: int) -> list[str]:
    """Every registered API list, nested ones under one order or one reconciliation run, plus the lists' filtered forms."""
    urls = []
    for prefix, viewset, _ in api_routes():
        if hasattr(viewset, "list"):
            nested = re.sub(r"\(\?P<order_pk>[^)]*\)", str(order_pk), prefix)
            urls.append("/api/v1/" + re.sub(r"\(\?P<run_pk>[^)]*\)", str(run_pk), nested) + "/")
    urls += [
        f"/api/v1/orders/?status=shipped&created_after={DATES[0]}&created_before={DATES[1]}",
        f"/api/v1/transfers/?status=accepted&date_from={DATES[0]}&date_to={DATES[1]}",
        "/api/v1/transfers/?status=in_store",
        "/api/v1/transfers/?needs_attention=true",
        "/api/v1/positions/?status=accepted",
        f"/api/v1/rmas/?status=pending&created_after={DATES[0]}&created_before={DATES[1]}",
        "/api/v1/activity/?direction=to_miinto",
        "/api/v1/problems/?state=open",
    ]
    return urls


# Needs-attention pages list pending work oldest first (by the transfer's or the RMA's date, across tables): their
# rows are bounded by what is still pending, not by history, so sorting them is fine; they are still checked for scans.
ORDER_EXEMPT = {"/orders/needs-attention/", "/rmas/needs-attention/"}


def dashboard_list_urls(seeded) -> list[str]:
    transfer, connection = seeded["transfer"], seeded["connection"]
    return [
        "/",
        "/orders/",
        f"/orders/?status=accepted&date_from={DATES[0]}&date_to={DATES[1]}",
        "/orders/?status=in_store",
        "/orders/needs-attention/",
        f"/orders/{transfer.pk}/?tab=communications",
        "/problems/",
        "/activity/",
        "/rmas/",
        "/rmas/needs-attention/",
        "/catalog/",
        f"/catalog/connections/{connection.pk}/products/",
        "/connections/",
    ]


@pytest.fixture(autouse=True)
def _room_to_capture():
    # CaptureQueriesContext slices Django's query log, a deque of 9,000: once earlier tests fill it, it captures nothing.
    db.queries_log.clear()


def test_api_lists_read_tenant_tables_by_index(seeded, api_client):
    found = []
    for url in api_list_urls(seeded["order"].pk, seeded["run"].pk):
        with CaptureQueriesContext(db) as captured:
            response = api_client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        assert captured.captured_queries, url
        found += [(url, table, sql) for table, sql in offenders([q["sql"] for q in captured.captured_queries])]
    assert [(url, table) for url, table, _ in found] == [], "\n\n".join(f"{u} scans {t}:\n{s}" for u, t, s in found)


def test_dashboard_lists_read_tenant_tables_by_index(seeded, owner_client):
    found = []
    for url in dashboard_list_urls(seeded):
        with CaptureQueriesContext(db) as captured:
            response = owner_client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert captured.captured_queries, url
        sqls = [q["sql"] for q in captured.captured_queries]
        found += [(url, table, sql) for table, sql in offenders(sqls, check_order=url not in ORDER_EXEMPT)]
    assert [(url, table) for url, table, _ in found] == [], "\n\n".join(f"{u} scans {t}:\n{s}" for u, t, s in found)


def test_the_check_sees_a_sequential_scan(seeded):
    """The check itself: a filter no index serves is reported (so a green run means something)."""
    with scopes_disabled(), CaptureQueriesContext(db) as captured:  # unscoped: no merchant index to fall back on
        list(Order.objects.filter(customer_phone="+45 1234"))
    sqls = [q["sql"] for q in captured.captured_queries]
    assert [table for table, _ in offenders(sqls)] == ["orders_order (Seq Scan)"], sqls


def _scans_of(plan: dict, table: str) -> list[dict]:
    found = [plan] if plan.get("Relation Name") == table else []
    for child in plan.get("Plans", []):
        found += _scans_of(child, table)
    return found


def test_the_api_order_filter_checks_status_and_dates_on_its_index(seeded, api_client):
    """At 1M orders the status + date filter walked the primary key backwards and dropped 74k rows one by one for a page
    of 51; its index serves the filter in the cursor order, dates included, so only matching rows are fetched."""
    url = f"/api/v1/orders/?status=shipped&created_after={DATES[0]}&created_before={DATES[1]}"
    with CaptureQueriesContext(db) as captured:
        assert api_client.get(url).status_code == 200
    page = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT') and 'FROM "orders_order"' in q["sql"] and "LIMIT" in q["sql"]]
    assert page, [q["sql"] for q in captured.captured_queries]
    with db.cursor() as cursor:
        # A handful of rows: without these the planner rightly reads them all and sorts; at scale it must not.
        planner = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
        for setting in planner:
            cursor.execute(f"SET {setting} = off")
        try:
            scans = _scans_of(_plan(cursor, page[0]), "orders_order")
        finally:
            for setting in planner:  # only these: the connection's own settings (time zone, parallel workers) stay
                cursor.execute(f"RESET {setting}")
    assert [scan.get("Index Name") for scan in scans] == ["order_api_status_idx"], scans
    assert "status" in scans[0]["Index Cond"] and "created_at" in scans[0]["Index Cond"], scans
