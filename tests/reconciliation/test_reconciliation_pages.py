"""The reconciliation pages: runs with the trend, "Reconcile now", a run's counts per kind and findings (constant queries
per page), a clean period said as such, the CSV, fixes; another merchant's run answers 404 and viewers cannot write."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

from koongo.accounts.tenancy import merchant_scope
from reconciliation.models import Finding, ReconciliationRun
from tests.factories import MembershipFactory
from tests.reconciliation.conftest import seed_run


def test_the_index_lists_runs_and_charts_findings_per_run(owner_client, merchant, connection):
    first = seed_run(merchant, connection, 4)
    clean = seed_run(merchant, connection, 0)
    page = owner_client.get("/reconciliation/")
    html = page.content.decode()
    assert page.status_code == 200
    trend = json.loads(re.search(r'<script id="reconciliation-trend" type="application/json">(.*?)</script>', html).group(1))
    assert [n for _, n in trend] == [4, 0]
    assert f'data-run="{first.pk}"' in html and f'data-run="{clean.pk}"' in html
    assert '<span class="badge text-bg-success">clean</span>' in html
    assert 'vendor/chart.umd.min.js' in html


def test_reconcile_now_starts_a_run_of_the_chosen_days_and_shows_it(owner_client, merchant, connection, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = owner_client.post(
            "/reconciliation/start/", {"connection": connection.pk, "first_day": "2026-12-01", "last_day": "2026-12-02"}
        )
    with merchant_scope(merchant):
        run = ReconciliationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reconciliation/runs/{run.pk}/"
    assert (run.trigger, run.period_end - run.period_start, len(queued)) == ("button", timedelta(days=2), 1)
    assert "The run has not finished yet" in owner_client.get(response["Location"]).content.decode()


def test_days_in_the_wrong_order_start_nothing_and_say_why(owner_client, merchant, connection):
    response = owner_client.post(
        "/reconciliation/start/", {"connection": connection.pk, "first_day": "2026-12-03", "last_day": "2026-12-02"}, follow=True
    )
    assert "The last day comes before the first." in response.content.decode()
    with merchant_scope(merchant):
        assert ReconciliationRun.objects.count() == 0


def test_a_run_shows_counts_per_kind_and_its_findings_with_constant_queries(
    owner_client, merchant, connection, django_assert_max_num_queries
):
    small = seed_run(merchant, connection, 3)
    with django_assert_max_num_queries(30) as baseline:
        html = owner_client.get(f"/reconciliation/runs/{small.pk}/").content.decode()
    assert re.search(r'data-kind="stock_mismatch"><td><a href="\?kind=stock_mismatch">Stock on Miinto differs from the store</a></td><td class="text-end">3</td>', html)
    assert html.count('<tr data-finding=') == 3
    big = seed_run(merchant, connection, 60)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        html = owner_client.get(f"/reconciliation/runs/{big.pk}/").content.decode()
    assert html.count('<tr data-finding=') == 50 and "More findings" in html


def test_a_clean_period_says_so(owner_client, merchant, connection):
    clean = seed_run(merchant, connection, 0)
    html = owner_client.get(f"/reconciliation/runs/{clean.pk}/").content.decode()
    assert "Clean: Miinto, our records and the store agree for this period." in html
    assert 'id="findings-table"' not in html


def test_the_csv_holds_every_finding(owner_client, merchant, connection):
    run = seed_run(merchant, connection, 3)
    response = owner_client.get(f"/reconciliation/runs/{run.pk}/findings.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response["Content-Disposition"] == f'attachment; filename="reconciliation-{run.pk}.csv"'
    assert rows[0][:3] == ["kind", "message", "miinto_order_id"]
    assert [(r[0], r[5]) for r in rows[1:]] == [("stock_mismatch", "SKU-0"), ("stock_mismatch", "SKU-1"), ("stock_mismatch", "SKU-2")]


def test_another_merchants_run_csv_and_fix_answer_404(owner_client, other_merchant, other_connection):
    theirs = seed_run(other_merchant, other_connection, 1)
    with merchant_scope(other_merchant):
        finding = Finding.objects.get(run=theirs)
    assert owner_client.get(f"/reconciliation/runs/{theirs.pk}/").status_code == 404
    assert owner_client.get(f"/reconciliation/runs/{theirs.pk}/findings.csv").status_code == 404
    assert owner_client.post(f"/reconciliation/findings/{finding.pk}/fix/").status_code == 404
    with merchant_scope(other_merchant):
        assert Finding.objects.get(pk=finding.pk).fixed_at is None


def test_a_viewer_cannot_start_or_fix(client, merchant, connection):
    viewer = MembershipFactory(merchant=merchant, role="viewer", user__username="viewer@a.example").user
    client.force_login(viewer)
    run = seed_run(merchant, connection, 1)
    with merchant_scope(merchant):
        finding = Finding.objects.get(run=run)
    assert client.get(f"/reconciliation/runs/{run.pk}/").status_code == 200
    assert client.post("/reconciliation/start/", {"connection": connection.pk, "first_day": "2026-12-01", "last_day": "2026-12-01"}).status_code == 403
    assert client.post(f"/reconciliation/findings/{finding.pk}/fix/").status_code == 403
    with merchant_scope(merchant):
        assert (ReconciliationRun.objects.count(), Finding.objects.get(pk=finding.pk).fixed_at) == (1, None)
