"""REST API of the sync machinery: sync runs, activity and problems, their filters, actions, roles, tenancy and
constant query counts."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from connections.models import ActivityEntry, Problem, SyncRun
from connections.sync.problems import problem_raise, register_problem_kind
from koongo.accounts.tenancy import merchant_scope
from tests.conftest import make_api_client
from tests.connections.sync.support import *  # noqa: F403


@pytest.fixture
def kinds(monkeypatch):
    from connections.sync import problems

    monkeypatch.setattr(problems, "_kinds", dict(problems._kinds))
    retried: list[int] = []
    register_problem_kind("quarantined", label="Quarantined payload", retry=lambda problem: retried.append(problem.pk))
    register_problem_kind("unmatched", label="Unmatched product")
    return retried


def seed(merchant, connection, count: int = 1, prefix: str = "a"):
    """`count` finished runs with one activity entry each, and `count` open problems of each kind."""
    with merchant_scope(merchant):
        for i in range(count):
            run = SyncRun.objects.create(
                merchant=merchant, connection=connection, flow="orders", trigger="schedule", status="succeeded"
            )
            ActivityEntry.objects.create(
                merchant=merchant,
                connection=connection,
                run=run,
                direction="to_miinto",
                operation="GET /transfers",
                subject_type="transfer",
                subject_id=f"{prefix}{i}",
            )
            problem_raise(
                merchant=merchant, kind="quarantined", message=f"bad {i}", fingerprint=f"q:{prefix}{i}", connection=connection
            )
            problem_raise(merchant=merchant, kind="unmatched", message=f"no EAN {i}", fingerprint=f"u:{prefix}{i}")


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def pks(model, **filters):
    with scopes_disabled():
        return sorted(model.objects.filter(**filters).values_list("pk", flat=True))


def test_sync_runs_list_filters_and_shows_counters(merchant, connection, api_client, kinds):
    other = make_connection(merchant, shop_id="1-m!i!s-045-7777")  # noqa: F405
    seed(merchant, connection)
    with merchant_scope(merchant):
        running = SyncRun.objects.create(
            merchant=merchant, connection=other, flow="stock", trigger="api", status="running", total=40, seen=10, pushed=9
        )
    assert ids(api_client.get("/api/v1/sync-runs/")) == pks(SyncRun, merchant=merchant)[::-1]
    assert ids(api_client.get(f"/api/v1/sync-runs/?connection={other.pk}")) == [running.pk]
    assert ids(api_client.get("/api/v1/sync-runs/?flow=stock&status=running")) == [running.pk]
    assert ids(api_client.get("/api/v1/sync-runs/?status=failed")) == []
    body = api_client.get(f"/api/v1/sync-runs/{running.pk}/").json()
    assert {k: body[k] for k in ("connection", "flow", "trigger", "status", "total", "seen", "pushed", "progress_percent")} == {
        "connection": other.pk,
        "flow": "stock",
        "trigger": "api",
        "status": "running",
        "total": 40,
        "seen": 10,
        "pushed": 9,
        "progress_percent": 25,
    }


def test_activity_list_filters_by_connection_and_subject(merchant, connection, api_client, kinds):
    seed(merchant, connection, count=3)
    with scopes_disabled():
        a1 = ActivityEntry.objects.get(subject_id="a1")
    assert ids(api_client.get("/api/v1/activity/?subject_type=transfer&subject_id=a1")) == [a1.pk]
    assert ids(api_client.get(f"/api/v1/activity/?connection={connection.pk}")) == pks(ActivityEntry)[::-1]
    assert ids(api_client.get("/api/v1/activity/?subject_type=order")) == []
    assert api_client.get(f"/api/v1/activity/{a1.pk}/").json()["operation"] == "GET /transfers"


def test_problems_list_filters_by_state_kind_and_connection(merchant, connection, api_client, kinds):
    seed(merchant, connection, count=2)
    quarantined = pks(Problem, kind="quarantined")
    assert ids(api_client.get("/api/v1/problems/?kind=quarantined")) == quarantined[::-1]
    assert ids(api_client.get(f"/api/v1/problems/?connection={connection.pk}")) == quarantined[::-1]
    assert ids(api_client.get("/api/v1/problems/?state=ignored")) == []
    assert len(ids(api_client.get("/api/v1/problems/?state=open"))) == 4


def test_problem_actions(merchant, connection, api_client, kinds):
    seed(merchant, connection)
    q, u = pks(Problem, kind="quarantined")[0], pks(Problem, kind="unmatched")[0]
    retried = api_client.post(f"/api/v1/problems/{q}/retry/")
    assert retried.status_code == 200
    assert (retried.json()["state"], retried.json()["resolved_by"]) == (
        "retried",
        "API key test-staff (" + _prefix(merchant) + ")",
    )
    assert kinds == [q]
    again = api_client.post(f"/api/v1/problems/{q}/retry/")
    assert (again.status_code, again.json()) == (409, {"detail": "This problem is already retried."})
    refused = api_client.post(f"/api/v1/problems/{u}/retry/")
    assert refused.status_code == 409
    assert api_client.post(f"/api/v1/problems/{u}/ignore/").json()["state"] == "ignored"


def _prefix(merchant):
    from koongo.accounts.models import MerchantApiKey

    return MerchantApiKey.objects.get(merchant=merchant, name="test-staff").prefix


def test_problem_retry_all_by_kind(merchant, connection, api_client, kinds):
    seed(merchant, connection, count=3)
    response = api_client.post("/api/v1/problems/retry-all/", {"kind": "quarantined"}, format="json")
    assert (response.status_code, response.json()) == (200, {"kind": "quarantined", "retried": 3})
    assert sorted(kinds) == pks(Problem, kind="quarantined")
    bad = api_client.post("/api/v1/problems/retry-all/", {"kind": "unmatched"}, format="json")
    assert (bad.status_code, bad.json()) == (400, {"kind": ["Unmatched product problems cannot be retried."]})
    assert api_client.post("/api/v1/problems/retry-all/", {"kind": "nope"}, format="json").status_code == 400


def test_session_users_can_act_too(merchant, connection, owner, kinds):
    seed(merchant, connection)
    api = APIClient()
    api.force_login(owner)
    q = pks(Problem, kind="quarantined")[0]
    assert api.post(f"/api/v1/problems/{q}/handle/").json()["resolved_by"] == "owner@a.example"


@pytest.mark.parametrize("auth", ["api_key", "session"])
def test_another_merchants_ids_answer_404_and_change_nothing(auth, merchant, other_merchant, owner, other_connection, kinds):
    seed(other_merchant, other_connection, prefix="b")
    if auth == "api_key":
        api = make_api_client(merchant, "staff")
    else:
        api = APIClient()
        api.force_login(owner)
    run, entry = pks(SyncRun)[0], pks(ActivityEntry)[0]
    q, u = pks(Problem, kind="quarantined")[0], pks(Problem, kind="unmatched")[0]
    for url in ("/api/v1/sync-runs/", "/api/v1/activity/", "/api/v1/problems/"):
        assert ids(api.get(url)) == []
    assert ids(api.get(f"/api/v1/sync-runs/?connection={other_connection.pk}")) == []
    for url in (f"/api/v1/sync-runs/{run}/", f"/api/v1/activity/{entry}/", f"/api/v1/problems/{q}/"):
        assert api.get(url).status_code == 404
    for action in ("retry", "handle", "ignore"):
        assert api.post(f"/api/v1/problems/{q}/{action}/").status_code == 404
        assert api.post(f"/api/v1/problems/{u}/{action}/").status_code == 404
    assert api.post("/api/v1/problems/retry-all/", {"kind": "quarantined"}, format="json").json()["retried"] == 0
    assert pks(Problem, state="open") == sorted([q, u])
    assert kinds == []


def test_a_viewer_key_reads_but_cannot_act(merchant, connection, viewer_api_client, kinds):
    seed(merchant, connection)
    q = pks(Problem, kind="quarantined")[0]
    assert len(ids(viewer_api_client.get("/api/v1/problems/"))) == 2
    for action in ("retry", "handle", "ignore"):
        assert viewer_api_client.post(f"/api/v1/problems/{q}/{action}/").status_code == 403
    assert viewer_api_client.post("/api/v1/problems/retry-all/", {"kind": "quarantined"}, format="json").status_code == 403
    assert pks(Problem, state="open") == pks(Problem)
    assert kinds == []


@pytest.mark.parametrize("url", ["/api/v1/sync-runs/", "/api/v1/activity/", "/api/v1/problems/"])
def test_list_query_counts_do_not_grow_with_rows(url, merchant, connection, api_client, kinds, django_assert_max_num_queries):
    seed(merchant, connection, count=2)
    api_client.get(url)  # warm the key's last-used stamp, which is written at most once a minute
    with django_assert_max_num_queries(3):  # the key, its merchant, the page
        assert len(ids(api_client.get(url))) == 2 * (2 if url.endswith("problems/") else 1)
    seed(merchant, connection, count=20, prefix="more")
    with django_assert_max_num_queries(3):
        assert len(ids(api_client.get(url))) == 22 * (2 if url.endswith("problems/") else 1)
