"""Health and readiness probes."""

import pytest
from django.db import OperationalError


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == ["broker", "cache", "database", "encryption_keys"]


@pytest.mark.django_db
def test_readyz_503_names_the_unreachable_database(client, monkeypatch, settings):
    from django.db import connection

    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    # Without Redis the cache lives in the database, so it is down too; the broker is unaffected either way.
    expected = {"database"} if settings.REDIS_URL else {"database", "cache"}
    assert set(response.json()["failing"]) == expected
    assert "connection refused" in response.json()["failing"]["database"]
