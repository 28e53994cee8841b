"""Tenant isolation, generated from the OpenAPI schema: merchant B, through an API key and through a session, calls
every operation that takes an object id with merchant A's ids (every method) and gets 404 with nothing of A's changed;
every list answers none of A's ids. A new endpoint is probed without anyone touching this file."""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import make_api_client

METHODS = ("get", "post", "put", "patch", "delete")
PARAM = re.compile(r"\{([^}]+)\}")
# Collections that cannot be listed themselves, and the list whose ids they take (a catalog connection is a Miinto one).
ID_SOURCES = {"/api/v1/catalog/connections/": "/api/v1/miinto-connections/"}


def api_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, spec) for path, item in schema["paths"].items() for method, spec in item.items() if method in METHODS]


def with_object_id(schema) -> list[tuple[str, str, dict]]:
    return [op for op in operations(schema) if PARAM.search(op[1])]


def plain_lists(schema) -> list[tuple[str, dict]]:
    """GET operations without path parameters that answer a page of objects with ids."""
    return [(path, spec) for method, path, spec in operations(schema)
            if method == "GET" and not PARAM.search(path) and _is_page(schema, spec)]


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _is_page(schema, spec) -> bool:
    body = spec["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
    return "results" in _resolve(schema, body).get("properties", {})


def example_body(schema: dict, spec: dict) -> dict:
    """A plausible request body from the operation's schema: every property with a value of its type."""
    node = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    return _example(schema, node, depth=0) if node else {}


def _example(schema, node, depth):
    node = _resolve(schema, node)
    for key in ("allOf", "oneOf", "anyOf"):
        if key in node:
            return _example(schema, node[key][0], depth)
    if "enum" in node:
        return next((v for v in node["enum"] if v not in (None, "")), None)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        if depth > 3:
            return {}
        return {name: _example(schema, prop, depth + 1) for name, prop in node.get("properties", {}).items()
                if not _resolve(schema, prop).get("readOnly")}
    if kind == "array":
        return [_example(schema, node["items"], depth + 1)] if "items" in node and depth <= 3 else []
    return {"integer": 1, "number": 1, "boolean": True}.get(kind, "probe")


def merchant_rows(merchant) -> dict[str, list[dict]]:
    """Every row of every tenant model that belongs to the merchant, as plain values."""
    snapshot = {}
    for model in apps.get_models():
        if any(f.name == "merchant" and f.is_relation for f in model._meta.fields):
            snapshot[model._meta.label] = list(model._base_manager.filter(merchant=merchant).order_by("pk").values())
    return snapshot


class Ids:
    """Merchant A's ids per collection path, read through A's own API."""

    def __init__(self, api):
        self.api = api
        self.cache: dict[str, list] = {}

    def of(self, collection: str) -> list:
        source = ID_SOURCES.get(collection, collection)
        if source not in self.cache:
            response = self.api.get(source)
            assert response.status_code == 200, f"A cannot list {source}: {response.status_code}"
            body = response.json()
            self.cache[source] = [row["id"] for row in (body["results"] if isinstance(body, dict) else body)]
        return self.cache[source]

    def fill(self, template: str) -> str:
        """The path with each parameter replaced by an id of A's from the collection just before it."""
        path = template
        while match := PARAM.search(path):
            collection = path[: match.start()]
            ids = self.of(collection)
            assert ids, f"merchant A has nothing in {collection}: seed it in the `populated` fixture so {template} is probed"
            path = path[: match.start()] + str(ids[0]) + path[match.end():]
        return path


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

    assert len(targets) >= 40 and len(lists) >= 15  # the schema was read: every operation of the API
    assert not_404 == {}
    assert leaks == {}
    assert merchant_rows(populated.merchant) == before
