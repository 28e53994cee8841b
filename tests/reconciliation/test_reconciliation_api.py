"""The reconciliation API: runs listed with cursor pages, started with an Idempotency-Key, their findings paged with a
constant number of queries; another merchant's ids answer 404 and viewers are refused, and neither changes anything."""

from __future__ import annotations

from koongo.accounts.tenancy import merchant_scope
from reconciliation.models import Finding, ReconciliationRun
from tests.conftest import make_api_client
from tests.reconciliation.conftest import seed_run


def test_runs_list_newest_first_with_their_counts_and_a_clean_flag(api_client, merchant, connection):
    older = seed_run(merchant, connection, 2)
    clean = seed_run(merchant, connection, 0)
    response = api_client.get("/api/v1/reconciliation-runs/")
    assert response.status_code == 200
    assert [(r["id"], r["findings_total"], r["counts"], r["clean"]) for r in response.json()["results"]] == [
        (clean.pk, 0, {}, True), (older.pk, 2, {"stock_mismatch": 2}, False),
    ]


def test_starting_a_run_queues_it_once_per_idempotency_key(api_client, merchant, connection, django_capture_on_commit_callbacks):
    payload = {"connection": connection.pk, "period_start": "2026-12-01T00:00:00Z", "period_end": "2026-12-02T00:00:00Z"}
    with django_capture_on_commit_callbacks() as queued:
        first = api_client.post("/api/v1/reconciliation-runs/", payload, format="json", HTTP_IDEMPOTENCY_KEY="recon-1")
        second = api_client.post("/api/v1/reconciliation-runs/", payload, format="json", HTTP_IDEMPOTENCY_KEY="recon-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    body = first.json()
    assert (body["status"], body["trigger"], body["period_start"], body["period_end"]) == (
        "queued", "api", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z",
    )
    assert len(queued) == 1
    with merchant_scope(merchant):
        assert ReconciliationRun.objects.count() == 1


def test_a_bad_period_answers_field_errors_and_starts_nothing(api_client, merchant, connection):
    response = api_client.post(
        "/api/v1/reconciliation-runs/",
        {"connection": connection.pk, "period_start": "2026-12-02T00:00:00Z", "period_end": "2026-12-01T00:00:00Z"}, format="json",
    )
    assert response.status_code == 400
    assert response.json()["period_end"] == ["The period must end after it starts."]
    too_long = api_client.post(
        "/api/v1/reconciliation-runs/",
        {"connection": connection.pk, "period_start": "2026-10-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z"}, format="json",
    )
    assert too_long.json()["period_end"] == ["A run covers at most 31 days."]
    with merchant_scope(merchant):
        assert ReconciliationRun.objects.count() == 0


def test_findings_are_cursor_paged_with_constant_queries(api_client, merchant, connection, django_assert_max_num_queries):
    run = seed_run(merchant, connection, 30)
    url = f"/api/v1/reconciliation-runs/{run.pk}/findings/?page_size=10"
    with django_assert_max_num_queries(12) as small:
        first = api_client.get(url)
    big = seed_run(merchant, connection, 120)
    with django_assert_max_num_queries(len(small.captured_queries)):
        api_client.get(f"/api/v1/reconciliation-runs/{big.pk}/findings/?page_size=100")
    page = first.json()
    assert len(page["results"]) == 10 and page["next"]
    second = api_client.get(page["next"]).json()
    ids = [f["id"] for f in page["results"]] + [f["id"] for f in second["results"]]
    assert len(set(ids)) == 20
    assert page["results"][0]["kind_label"] == "Stock on Miinto differs from the store"
    assert page["results"][0]["fix_label"] == "Push stock to Miinto"


def test_another_merchants_run_connection_and_finding_answer_404_and_change_nothing(
    api_client, merchant, connection, other_merchant, other_connection, django_capture_on_commit_callbacks
):
    theirs = seed_run(other_merchant, other_connection, 2)
    with merchant_scope(other_merchant):
        finding = Finding.objects.filter(run=theirs).first()
    assert api_client.get(f"/api/v1/reconciliation-runs/{theirs.pk}/").status_code == 404
    assert api_client.get(f"/api/v1/reconciliation-runs/{theirs.pk}/findings/").status_code == 404
    assert api_client.post(f"/api/v1/reconciliation-runs/{theirs.pk}/findings/{finding.pk}/fix/").status_code == 404
    mine = seed_run(merchant, connection, 1)
    assert api_client.post(f"/api/v1/reconciliation-runs/{mine.pk}/findings/{finding.pk}/fix/").status_code == 404
    with django_capture_on_commit_callbacks() as queued:
        response = api_client.post(
            "/api/v1/reconciliation-runs/", {"connection": other_connection.pk}, format="json"
        )
    # Another merchant's connection is refused like an unknown id: a field error that tells nothing about theirs.
    assert (response.status_code, response.json()["connection"], queued) == (400, ["No connection of yours has this id."], [])
    assert [r["id"] for r in api_client.get("/api/v1/reconciliation-runs/").json()["results"]] == [mine.pk]
    with merchant_scope(other_merchant):
        assert (ReconciliationRun.objects.count(), Finding.objects.get(pk=finding.pk).fixed_at) == (1, None)


def test_a_viewer_reads_but_cannot_start_or_fix(merchant, connection):
    viewer = make_api_client(merchant, "viewer")
    run = seed_run(merchant, connection, 1)
    with merchant_scope(merchant):
        finding = Finding.objects.get(run=run)
    assert viewer.get(f"/api/v1/reconciliation-runs/{run.pk}/findings/").status_code == 200
    assert viewer.post("/api/v1/reconciliation-runs/", {"connection": connection.pk}, format="json").status_code == 403
    assert viewer.post(f"/api/v1/reconciliation-runs/{run.pk}/findings/{finding.pk}/fix/").status_code == 403
    with merchant_scope(merchant):
        assert (ReconciliationRun.objects.count(), Finding.objects.get(pk=finding.pk).fixed_at) == (1, None)


def test_findings_filter_by_kind(api_client, merchant, connection):
    run = seed_run(merchant, connection, 2)
    base = f"/api/v1/reconciliation-runs/{run.pk}/findings/"
    assert len(api_client.get(f"{base}?kind=stock_mismatch").json()["results"]) == 2
    assert api_client.get(f"{base}?kind=amount_mismatch").json()["results"] == []
