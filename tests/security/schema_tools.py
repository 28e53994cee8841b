"""The OpenAPI schema as the security suites read it: operations, plausible bodies, and merchant A's ids per path."""

from __future__ import annotations

import re

from drf_spectacular.generators import SchemaGenerator

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
