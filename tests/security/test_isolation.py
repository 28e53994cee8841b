"""Tenant isolation, generated from the OpenAPI schema: merchant B, through an API key and through a session, calls
every operation that takes an object id with merchant A's ids (every method) and gets 404 with nothing of A's changed;
every list answers none of A's ids. A new endpoint is probed without anyone touching this file."""

from __future__ import annotations

import json

import pytest
from django.apps import apps

from tests.conftest import make_api_client
from tests.security.schema_tools import Ids, api_schema, example_body, plain_lists, with_object_id


def merchant_rows(merchant) -> dict[str, list[dict]]:
    """Every row of every tenant model that belongs to the merchant, as plain values."""
    snapshot = {}
    for model in apps.get_models():
        if any(f.name == "merchant" and f.is_relation for f in model._meta.fields):
            snapshot[model._meta.label] = list(model._base_manager.filter(merchant=merchant).order_by("pk").values())
    return snapshot


def _as_stranger(client, method: str, path: str, body: dict):
    return client.generic(method, path, data=json.dumps(body) if method != "GET" else "", content_type="application/json")


def _list_params(spec: dict, ids: Ids) -> list[dict]:
    """No filter, and A's connection as the `connection` filter where the list has one."""
    names = {p["name"] for p in spec.get("parameters", []) if p["in"] == "query"}
    return [{}] + ([{"connection": ids.of("/api/v1/miinto-connections/")[0]}] if "connection" in names else [])


@pytest.mark.parametrize("auth", ["api_key", "session"])
def test_another_merchant_reaches_nothing_of_merchant_a(populated, stranger, auth):
    schema = api_schema()
    ids = Ids(make_api_client(populated.merchant, "staff"))
    targets = [(method, ids.fill(path), example_body(schema, spec)) for method, path, spec in with_object_id(schema)]
    lists = [(path, spec) for path, spec in plain_lists(schema)]
    before = merchant_rows(populated.merchant)
    client = stranger[auth]

    not_404 = {}
    for method, path, body in targets:
        status = _as_stranger(client, method, path, body).status_code
        if status != 404:
            not_404[f"{method} {path}"] = status
    leaks = {}
    for path, spec in lists:
        mine = set(ids.of(path))
        assert mine, f"merchant A has nothing in {path}: seed it in the `populated` fixture"
        for params in _list_params(spec, ids):
            response = client.get(path, params)
            assert response.status_code == 200, (path, params, response.status_code)
            if foreign := mine & {row["id"] for row in response.json()["results"]}:
                leaks[f"{path} {params}"] = sorted(foreign)

    print(f"\nisolation ({auth}): {len(targets)} object operations probed, {len(lists)} lists checked")
    assert len(targets) >= 40 and len(lists) >= 15  # the schema was read: every operation of the API
    assert not_404 == {}
    assert leaks == {}
    assert merchant_rows(populated.merchant) == before
