"""A pause records what caused it, and only a successful check of that same thing clears it (issue 14, item 7)."""

import pytest

from connections import services
from connections.models import MiintoConnection, PauseSource
from tests.connections.conftest import MIINTO_PASSWORD, MIINTO_USER

STORE_REASON = "The store rejected the credentials on 2026-03-02 09:00 UTC. Update them to resume synchronization."


def paused_by(connection, source, reason="paused"):
    services.miinto_connection_pause(connection=connection, reason=reason, source=source)
    return MiintoConnection.objects.get(pk=connection.pk)


def pause_state(connection):
    fresh = MiintoConnection.objects.get(pk=connection.pk)
    return fresh.is_paused, fresh.paused_source, fresh.paused_reason


def test_testing_miinto_credentials_leaves_a_store_credentials_pause(connection, api_client):
    paused_by(connection, PauseSource.STORE_CREDENTIALS, STORE_REASON)
    response = api_client.post(f"/api/v1/miinto-connections/{connection.pk}/test/")
    assert response.status_code == 200
    assert pause_state(connection) == (True, "store_credentials", STORE_REASON)


def test_updating_miinto_credentials_leaves_a_store_credentials_pause(connection, api_client):
    paused_by(connection, PauseSource.STORE_CREDENTIALS, STORE_REASON)
    response = api_client.post(
        f"/api/v1/miinto-connections/{connection.pk}/credentials/", {"username": MIINTO_USER, "password": MIINTO_PASSWORD}, format="json"
    )
    assert response.status_code == 200 and response.json()["paused"] is True
    assert pause_state(connection) == (True, "store_credentials", STORE_REASON)


@pytest.mark.parametrize("source", [PauseSource.PLAN, PauseSource.MANUAL])
def test_a_plan_or_manual_pause_survives_both_credential_checks(connection, api_client, source):
    paused_by(connection, source, "Paused by the merchant")
    api_client.post(f"/api/v1/miinto-connections/{connection.pk}/test/")
    api_client.post(f"/api/v1/store-connections/{connection.store_connection_id}/test/")
    assert pause_state(connection) == (True, str(source), "Paused by the merchant")


def test_a_miinto_credentials_pause_is_cleared_by_a_successful_miinto_test(connection, api_client):
    paused_by(connection, PauseSource.MIINTO_CREDENTIALS)
    assert api_client.post(f"/api/v1/store-connections/{connection.store_connection_id}/test/").status_code == 200
    assert pause_state(connection)[:2] == (True, "miinto_credentials")  # the store's test is not Miinto's
    assert api_client.post(f"/api/v1/miinto-connections/{connection.pk}/test/").status_code == 200
    assert pause_state(connection) == (False, "", "")


def test_a_store_credentials_pause_is_cleared_by_a_successful_store_test(connection, api_client):
    paused_by(connection, PauseSource.STORE_CREDENTIALS, STORE_REASON)
    assert api_client.post(f"/api/v1/store-connections/{connection.store_connection_id}/test/").json()["last_test_ok"] is True
    assert pause_state(connection) == (False, "", "")


def test_a_failed_store_test_clears_nothing(connection, api_client, shopify_sim):
    paused_by(connection, PauseSource.STORE_CREDENTIALS, STORE_REASON)
    store = connection.store_connection
    store.credentials = {**store.credentials, "access_token": "shpat_wrong"}
    store.save(update_fields=["credentials"])
    assert api_client.post(f"/api/v1/store-connections/{store.pk}/test/").json()["last_test_ok"] is False
    assert pause_state(connection) == (True, "store_credentials", STORE_REASON)


def test_the_explicit_unpause_resumes_any_pause(connection, api_client):
    paused_by(connection, PauseSource.STORE_CREDENTIALS, STORE_REASON)
    assert api_client.post(f"/api/v1/miinto-connections/{connection.pk}/unpause/").json()["paused"] is False
    assert pause_state(connection) == (False, "", "")
