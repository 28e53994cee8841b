"""Dashboard pages of the sync machinery: errors inbox and its actions, run detail and live progress, the
Synchronize Orders button, activity, the overview panel; roles, tenancy and the CSP."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from connections.models import ActivityEntry, Problem, SyncRun
from connections.sync.problems import problem_raise, register_problem_kind
from koongo.accounts.tenancy import merchant_scope
from tests.connections.sync.support import *  # noqa: F403
from tests.factories import MembershipFactory


@pytest.fixture
def kinds(monkeypatch):
    from connections.sync import problems

    monkeypatch.setattr(problems, "_kinds", dict(problems._kinds))
    retried: list[int] = []
    register_problem_kind("quarantined", label="Quarantined payload", retry=lambda problem: retried.append(problem.pk))
    register_problem_kind("unmatched", label="Unmatched product")
    return retried


@pytest.fixture
def viewer_client(client, merchant):
    client.force_login(MembershipFactory(merchant=merchant, role="viewer", user__username="viewer@a.example").user)
    return client


def raise_problems(merchant, connection=None, prefix="a"):
    q = problem_raise(
        merchant=merchant, kind="quarantined", message=f"Bad JSON {prefix}", fingerprint=f"q:{prefix}", connection=connection
    )
    u = problem_raise(merchant=merchant, kind="unmatched", message=f"No EAN {prefix}", fingerprint=f"u:{prefix}")
    return q, u


def make_run(merchant, connection, **fields):
    with merchant_scope(merchant):
        return SyncRun.objects.create(merchant=merchant, connection=connection, **{"flow": "orders", "trigger": "button", **fields})


def state_of(problem):
    with scopes_disabled():
        return Problem.objects.get(pk=problem.pk).state


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_inbox_lists_open_problems_with_their_actions(owner_client, merchant, other_merchant, connection, kinds):
    q, u = raise_problems(merchant, connection)
    raise_problems(other_merchant, prefix="b")
    html = page(owner_client.get(reverse("connections:problems")))
    assert re.findall(r'data-problem="(\d+)"', html) == [str(u.pk), str(q.pk)]
    assert "Bad JSON b" not in html
    assert reverse("connections:problem-action", args=[q.pk, "retry"]) in html
    assert reverse("connections:problem-action", args=[u.pk, "retry"]) not in html  # unmatched cannot be retried
    assert reverse("connections:problem-action", args=[u.pk, "ignore"]) in html
    assert 'data-kind="quarantined">Retry all 1 “Quarantined payload”' in html


def test_the_inbox_filters(owner_client, merchant, connection, kinds):
    q, u = raise_problems(merchant, connection)
    with merchant_scope(merchant):
        from connections.sync.problems import problem_ignore

        problem_ignore(merchant=merchant, problem=u, by="owner")
    url = reverse("connections:problems")
    assert re.findall(r'data-problem="(\d+)"', page(owner_client.get(url))) == [str(q.pk)]
    assert re.findall(r'data-problem="(\d+)"', page(owner_client.get(url, {"state": "ignored"}))) == [str(u.pk)]
    assert re.findall(r'data-problem="(\d+)"', page(owner_client.get(url, {"state": "", "kind": "unmatched"}))) == [str(u.pk)]
    assert re.findall(r'data-problem="(\d+)"', page(owner_client.get(url, {"connection": connection.pk}))) == [str(q.pk)]


@pytest.mark.parametrize(("action", "state"), [("retry", "retried"), ("handle", "handled"), ("ignore", "ignored")])
def test_problem_actions_from_the_inbox(owner_client, merchant, kinds, action, state):
    q, _ = raise_problems(merchant)
    next_url = reverse("connections:problems") + "?kind=quarantined"
    response = owner_client.post(reverse("connections:problem-action", args=[q.pk, action]), {"next": next_url})
    assert (response.status_code, response.url) == (302, next_url)
    assert state_of(q) == state
    assert kinds == ([q.pk] if action == "retry" else [])


def test_a_refused_action_is_explained(owner_client, merchant, kinds):
    _, u = raise_problems(merchant)
    response = owner_client.post(reverse("connections:problem-action", args=[u.pk, "retry"]), follow=True)
    assert "Unmatched product problems cannot be retried" in page(response)
    assert state_of(u) == "open"


def test_unknown_actions_and_foreign_redirects_are_refused(owner_client, merchant, kinds):
    q, _ = raise_problems(merchant)
    assert owner_client.post(f"/problems/{q.pk}/delete/").status_code == 404
    response = owner_client.post(reverse("connections:problem-action", args=[q.pk, "handle"]), {"next": "https://evil.example/"})
    assert response.url == reverse("connections:problems")


def test_bulk_retry_by_kind(owner_client, merchant, kinds):
    first, _ = raise_problems(merchant, prefix="1")
    second, _ = raise_problems(merchant, prefix="2")
    response = owner_client.post(reverse("connections:problems-retry-all"), {"kind": "quarantined"}, follow=True)
    assert "2 problems retried." in page(response)
    assert sorted(kinds) == sorted([first.pk, second.pk])


def test_a_viewer_sees_the_inbox_without_buttons_and_cannot_act(viewer_client, merchant, connection, kinds):
    q, u = raise_problems(merchant, connection)
    html = page(viewer_client.get(reverse("connections:problems")))
    assert "Bad JSON a" in html
    assert '<form method="post" action="/problems/' not in html and 'id="retry-all"' not in html
    for action in ("retry", "handle", "ignore"):
        assert viewer_client.post(reverse("connections:problem-action", args=[q.pk, action])).status_code == 403
    assert viewer_client.post(reverse("connections:problems-retry-all"), {"kind": "quarantined"}).status_code == 403
    assert viewer_client.post(reverse("connections:connection-sync", args=[connection.pk])).status_code == 403
    assert (state_of(q), state_of(u), kinds) == ("open", "open", [])
    with scopes_disabled():
        assert SyncRun.objects.count() == 0


def test_another_merchants_ids_answer_404_on_every_page(owner_client, other_merchant, other_connection, orders_flow, kinds):
    q, _ = raise_problems(other_merchant, other_connection, prefix="b")
    run = make_run(other_merchant, other_connection)
    gets = [reverse("connections:run-detail", args=[run.pk]), reverse("connections:run-progress", args=[run.pk])]
    for url in gets:
        assert owner_client.get(url).status_code == 404
    posts = [reverse("connections:problem-action", args=[q.pk, action]) for action in ("retry", "handle", "ignore")]
    posts.append(reverse("connections:connection-sync", args=[other_connection.pk]))
    for url in posts:
        assert owner_client.post(url).status_code == 404
    owner_client.post(reverse("connections:problems-retry-all"), {"kind": "quarantined"})
    activity = page(owner_client.get(reverse("connections:activity"), {"connection": other_connection.pk, "run": run.pk}))
    assert "No activity." in activity
    assert (state_of(q), kinds, orders_flow.calls) == ("open", [], [])
    with scopes_disabled():
        assert list(SyncRun.objects.values_list("pk", flat=True)) == [run.pk]


def test_synchronize_orders_queues_a_run_and_shows_its_progress(
    owner_client, connection, orders_flow, django_capture_on_commit_callbacks
):
    url = reverse("connections:connection-sync", args=[connection.pk])
    with django_capture_on_commit_callbacks(execute=False):
        partial = owner_client.post(url, HTTP_HX_REQUEST="true")
    with scopes_disabled():
        run = SyncRun.objects.get()
    html = page(partial)
    assert (run.flow, run.trigger, run.status) == ("orders", "button", "queued")
    assert f'id="run-progress-{run.pk}"' in html and 'hx-trigger="every 2s"' in html
    with django_capture_on_commit_callbacks(execute=False):
        again = owner_client.post(url)
    assert (again.status_code, again.url) == (302, reverse("connections:run-detail", args=[run.pk]))
    with scopes_disabled():
        assert SyncRun.objects.count() == 1


def test_synchronize_orders_explains_a_refusal(owner_client, merchant, orders_flow):
    paused = make_connection(merchant, paused_at="2026-03-01T08:00:00Z", paused_reason="Miinto rejected the credentials.")  # noqa: F405
    response = owner_client.post(reverse("connections:connection-sync", args=[paused.pk]), HTTP_HX_REQUEST="true")
    assert 'data-role="sync-refused">This connection is paused: Miinto rejected the credentials.</div>' in page(response)
    response = owner_client.post(reverse("connections:connection-sync", args=[paused.pk]), follow=True)
    assert "This connection is paused" in page(response)
    with scopes_disabled():
        assert SyncRun.objects.count() == 0


def test_progress_polls_only_while_the_run_is_active(owner_client, merchant, connection):
    run = make_run(merchant, connection, status="running", total=200, seen=50, accepted=12, failed=1)
    html = page(owner_client.get(reverse("connections:run-progress", args=[run.pk])))
    assert 'hx-trigger="every 2s"' in html
    assert '<progress class="w-100 mb-2" max="200" value="50" aria-label="Progress">25%</progress>' in html
    assert 'data-role="progress">50 of 200 transfers (25%)</div>' in html
    # Each counter says what it counts; the orders flow pushes nothing itself, so no "pushed" counter is shown.
    assert re.findall(r'<dt class="fw-normal text-muted">([^<]+)</dt><dd class="fs-5 mb-0" data-counter="(\w+)">(\d+)<', html) == [
        ("Transfers read", "seen", "50"),
        ("Positions accepted", "accepted", "12"),
        ("Positions declined", "declined", "0"),
        ("Transfers before the start date", "skipped", "0"),
        ("Transfers unreadable", "failed", "1"),
    ]
    with scopes_disabled():
        SyncRun.objects.filter(pk=run.pk).update(status="partial", error_summary="transfer 9: no EAN")
    html = page(owner_client.get(reverse("connections:run-progress", args=[run.pk])))
    assert "hx-trigger" not in html and "hx-get" not in html
    assert 'data-role="error-summary">transfer 9: no EAN</pre>' in html


def test_a_stock_run_counts_stock_levels_and_shows_no_bar_without_a_total(owner_client, merchant, connection):
    run = make_run(merchant, connection, flow="stock", status="succeeded", total=40, seen=40, pushed=38, skipped=5, failed=2)
    html = page(owner_client.get(reverse("connections:run-progress", args=[run.pk])))
    assert 'data-role="progress">40 of 40 stock levels (100%)</div>' in html
    assert re.findall(r'>([^<>]+)</dt><dd class="fs-5 mb-0" data-counter="(\w+)">(\d+)<', html) == [
        ("Stock levels sent", "seen", "40"),
        ("Taken by Miinto", "pushed", "38"),
        ("Unchanged", "skipped", "5"),
        ("Unknown to Miinto", "failed", "2"),
    ]
    catalog = make_run(merchant, connection, flow="catalog", status="running", seen=120)
    html = page(owner_client.get(reverse("connections:run-progress", args=[catalog.pk])))
    assert "<progress" not in html and 'data-role="progress"' not in html
    assert re.findall(r'>([^<>]+)</dt><dd class="fs-5 mb-0" data-counter="(\w+)">(\d+)<', html) == [("Products read", "seen", "120")]


def test_run_detail_shows_its_activity(owner_client, merchant, connection):
    run = make_run(merchant, connection, status="succeeded")
    other_run = make_run(merchant, connection, status="failed")
    with merchant_scope(merchant):
        for target, operation in ((run, "GET /transfers"), (other_run, "POST /positions")):
            ActivityEntry.objects.create(
                merchant=merchant, connection=connection, run=target, direction="to_miinto", operation=operation
            )
    html = page(owner_client.get(reverse("connections:run-detail", args=[run.pk])))
    assert "<code>GET /transfers</code>" in html and "POST /positions" not in html
    assert f'id="run-progress-{run.pk}"' in html and "hx-get" not in html


def test_the_activity_list_filters_by_connection_and_subject(
    owner_client, merchant, other_merchant, connection, other_connection
):
    second = make_connection(merchant, shop_id="1-m!i!s-045-5555")  # noqa: F405
    rows = [(merchant, connection, "order", "1"), (merchant, connection, "order", "2"), (merchant, second, "order", "1")]
    rows.append((other_merchant, other_connection, "order", "1"))
    made = []
    for owner_merchant, target, subject_type, subject_id in rows:
        with merchant_scope(owner_merchant):
            made.append(
                ActivityEntry.objects.create(
                    merchant=owner_merchant,
                    connection=target,
                    direction="to_store",
                    operation="create order",
                    subject_type=subject_type,
                    subject_id=subject_id,
                ).pk
            )
    url = reverse("connections:activity")

    def listed(params):
        return [int(pk) for pk in re.findall(r'data-activity="(\d+)"', page(owner_client.get(url, params)))]

    assert listed({}) == made[2::-1]
    assert listed({"subject_type": "order", "subject_id": "1"}) == [made[2], made[0]]
    assert listed({"connection": connection.pk}) == [made[1], made[0]]
    assert listed({"connection": other_connection.pk}) == made[2::-1]  # not one of ours: the filter is dropped


def test_the_overview_panel_counts_open_problems_and_active_connections(
    owner_client, merchant, other_merchant, connection, kinds
):
    make_connection(merchant, shop_id="1-m!i!s-045-6666", status="disabled")  # noqa: F405
    raise_problems(merchant)
    raise_problems(other_merchant, prefix="b")
    html = page(owner_client.get(reverse("overview")))
    assert 'id="open-problems-count">2</a>' in html
    assert 'id="active-connections-count">1</strong>' in html
    assert f'<a class="nav-link" href="{reverse("connections:problems")}">Problems</a>' in html


def test_pages_carry_no_inline_script_or_style(owner_client, merchant, connection, kinds):
    raise_problems(merchant, connection)
    run = make_run(merchant, connection, status="running", total=10, seen=3)
    for url in (
        reverse("connections:problems"),
        reverse("connections:run-detail", args=[run.pk]),
        reverse("connections:activity"),
        reverse("connections:run-progress", args=[run.pk]),
    ):
        html = page(owner_client.get(url))
        assert "<script>" not in html and "style=" not in html and "hx-on" not in html, url


def test_admin_lists_every_merchant_and_retries_problems(client, merchant, other_merchant, connection, other_connection, kinds):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="admin@koongo.example", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    q, _ = raise_problems(merchant, connection)
    theirs, _ = raise_problems(other_merchant, other_connection, prefix="b")
    make_run(other_merchant, other_connection)
    for name in ("syncrun", "activityentry", "problem"):
        assert client.get(reverse(f"admin:connections_{name}_changelist")).status_code == 200
    html = page(client.get(reverse("admin:connections_problem_changelist")))
    assert "Bad JSON a" in html and "Bad JSON b" in html
    response = client.post(
        reverse("admin:connections_problem_changelist"),
        {"action": "problems_retried", "_selected_action": [q.pk, theirs.pk]},
        follow=True,
    )
    assert "2 problem(s) retried." in page(response)
    assert (state_of(q), state_of(theirs)) == ("retried", "retried")
    with scopes_disabled():
        assert Problem.objects.get(pk=q.pk).resolved_by == "admin admin@koongo.example"
