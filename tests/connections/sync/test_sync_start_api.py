"""Starting a sync of any flow through the API and following its run; pausing, resuming and archiving a connection."""

from __future__ import annotations

import pytest

from connections import services
from connections.models import Flow, PauseSource, SyncRun, Trigger
from connections.sync.runs import sync_run_execute
from koongo.accounts.tenancy import merchant_scope
from tests.conftest import make_api_client


def _sync(api, connection, **body):
    return api.post(f"/api/v1/miinto-connections/{connection.pk}/sync/", body, format="json")


def test_start_an_orders_sync_and_follow_its_run_to_the_end(merchant, connection, api_client):
    started = _sync(api_client, connection, flow="orders")
    assert started.status_code == 202, started.content
    run = started.json()
    assert (run["flow"], run["trigger"], run["status"], run["connection"]) == ("orders", Trigger.API, "queued", connection.pk)
    # While it is queued, asking again answers the same run instead of queueing a second one.
    assert _sync(api_client, connection, flow="orders").json()["id"] == run["id"]

    with merchant_scope(merchant):
        sync_run_execute(SyncRun.objects.get(pk=run["id"]))
    followed = api_client.get(f"/api/v1/sync-runs/{run['id']}/").json()
    assert followed["status"] == "succeeded"
    assert followed["finished_at"] is not None


@pytest.mark.parametrize("flow", [flow for flow in Flow.values if flow != Flow.ORDERS])
def test_every_flow_can_be_started(connection, api_client, flow):
    response = _sync(api_client, connection, flow=flow)
    assert response.status_code == 202, (flow, response.content)
    assert response.json()["flow"] == flow


def test_the_flow_defaults_to_orders_and_an_unknown_one_is_a_field_error(connection, api_client):
    assert _sync(api_client, connection).json()["flow"] == "orders"
    refused = _sync(api_client, connection, flow="everything")
    assert refused.status_code == 400
    assert "flow" in refused.json()


def test_a_paused_or_disabled_connection_refuses_with_the_reason(merchant, connection, api_client):
    services.miinto_connection_pause(connection=connection, reason="Holiday stop")
    paused = _sync(api_client, connection, flow="stock")
    assert paused.status_code == 409
    assert paused.json() == {"detail": "This connection is paused: Holiday stop", "code": "connection_paused"}

    services.miinto_connection_unpause(connection=connection)
    services.miinto_connection_deactivate(connection=connection)
    disabled = _sync(api_client, connection, flow="stock")
    assert (disabled.status_code, disabled.json()["code"]) == (409, "connection_disabled")
    with merchant_scope(merchant):
        assert not SyncRun.objects.filter(connection=connection).exists()


def test_a_viewer_key_cannot_start_a_sync(connection, viewer_api_client):
    assert _sync(viewer_api_client, connection, flow="orders").status_code == 403


def test_sync_takes_an_idempotency_key(merchant, connection, api_client):
    first = api_client.post(f"/api/v1/miinto-connections/{connection.pk}/sync/", {"flow": "stock"}, format="json",
                            HTTP_IDEMPOTENCY_KEY="sync-1")
    again = api_client.post(f"/api/v1/miinto-connections/{connection.pk}/sync/", {"flow": "stock"}, format="json",
                            HTTP_IDEMPOTENCY_KEY="sync-1")
    assert again.status_code == 202 and again.headers["Idempotent-Replay"] == "true"
    assert again.json() == first.json()


def test_pause_and_resume(connection, api_client):
    url = f"/api/v1/miinto-connections/{connection.pk}"
    paused = api_client.post(f"{url}/pause/", {"reason": "Stock count"}, format="json")
    assert paused.status_code == 200
    assert (paused.json()["paused"], paused.json()["paused_reason"], paused.json()["paused_source"]) == (True, "Stock count", "manual")
    # Pausing again keeps the first reason: a second pause never hides why the connection stopped.
    assert api_client.post(f"{url}/pause/", {"reason": "Other"}, format="json").json()["paused_reason"] == "Stock count"
    resumed = api_client.post(f"{url}/resume/")
    assert (resumed.status_code, resumed.json()["paused"]) == (200, False)


def test_a_plan_pause_is_not_resumed_through_the_api(connection, api_client):
    services.miinto_connection_pause(connection=connection, reason="Your plan no longer includes this", source=PauseSource.PLAN)
    for action in ("resume", "unpause"):
        refused = api_client.post(f"/api/v1/miinto-connections/{connection.pk}/{action}/")
        assert refused.status_code == 409
        assert refused.json()["upgrade"] is True


def test_archive_is_for_owners(merchant, connection, api_client):
    assert api_client.delete(f"/api/v1/miinto-connections/{connection.pk}/").status_code == 403
    owner_key = make_api_client(merchant, "owner")
    assert owner_key.delete(f"/api/v1/miinto-connections/{connection.pk}/").status_code == 204
    assert owner_key.get("/api/v1/miinto-connections/?archived=true").json()["results"][0]["id"] == connection.pk


def test_another_merchants_connection_answers_404_and_starts_nothing(merchant, other_merchant, connection):
    stranger = make_api_client(other_merchant, "owner")
    for action in ("sync", "pause", "resume"):
        assert stranger.post(f"/api/v1/miinto-connections/{connection.pk}/{action}/", {"flow": "orders"}, format="json").status_code == 404
    with merchant_scope(merchant):
        assert not SyncRun.objects.filter(connection=connection).exists()
    connection.refresh_from_db()
    assert not connection.is_paused
