"""The OpenAPI schema says what the API answers (issue 14, item 11), and the answers the fuzz suite found wrong."""

import pytest
from django_scopes import scopes_disabled

from connections.models import StoreConnection
from koongo.idempotency import IdempotentWritesMixin
from tests.connections.conftest import MIINTO_PASSWORD, MIINTO_USER, SE_SHOP
from tests.security.schema_tools import PARAM, api_schema, operations


@pytest.fixture(scope="module")
def schema():
    return api_schema()


def _property(schema, component, name):
    return schema["components"]["schemas"][component]["properties"][name]


def test_values_the_api_answers_are_allowed_by_the_schema(schema):
    gender = _property(schema, "Product", "gender")
    assert {"type": "string", "enum": [""]} in gender["oneOf"]
    assert _property(schema, "Position", "product_sku")["nullable"] is True
    assert _property(schema, "Position", "decision")["nullable"] is True
    assert _property(schema, "OrderLine", "decision")["nullable"] is True
    assert _property(schema, "RmaRequest", "rma_miinto_id")["nullable"] is True
    assert _property(schema, "StoreRefund", "rma_miinto_id")["nullable"] is True


def test_the_connection_test_answers_a_plain_list(schema):
    answer = schema["paths"]["/api/v1/miinto-connections/{id}/test/"]["post"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {"type": "array", "items": {"$ref": "#/components/schemas/AvailableStore"}}


def test_each_operation_lists_the_errors_it_gives(schema):
    accept = schema["paths"]["/api/v1/positions/{id}/accept/"]["post"]["responses"]
    assert sorted(accept) == ["200", "400", "401", "403", "404", "409", "413", "415", "422"]
    orders = schema["paths"]["/api/v1/orders/"]["get"]["responses"]
    assert sorted(orders) == ["200", "400", "401", "403", "404"]  # 404: a cursor that is not ours
    delete = schema["paths"]["/api/v1/store-connections/{id}/"]["delete"]["responses"]
    assert {"404", "409"} <= set(delete)
    for method, path, spec in operations(schema):
        assert {"400", "401", "403"} <= set(spec["responses"]), (method, path)


def test_every_unsafe_method_of_an_idempotent_view_documents_the_header(schema):
    from django.urls import resolve

    documented = 0
    for method, path, spec in operations(schema):
        view = resolve(PARAM.sub("1", path)).func  # every path parameter is an integer id
        idempotent = issubclass(getattr(view, "cls", object), IdempotentWritesMixin)
        headers = {p["name"] for p in spec.get("parameters", []) if p["in"] == "header"}
        if method != "GET" and idempotent:
            assert "Idempotency-Key" in headers, (method, path)
            documented += 1
        else:
            assert "Idempotency-Key" not in headers, (method, path)
    assert documented >= 30


def test_an_unknown_api_url_answers_json_not_an_html_page(api_client):
    response = api_client.get("/api/v1/activity/0.5e-3/")  # no route matches: Django, not DRF, answers
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json() == {"detail": "Not found.", "code": "not_found"}


def test_creating_a_miinto_connection_without_an_environment_uses_production(api_client, miinto_sim, tested_store):
    response = api_client.post("/api/v1/miinto-connections/", {"username": MIINTO_USER, "password": MIINTO_PASSWORD,
                                                                "shop_id": SE_SHOP}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["environment"], response.json()["shop_id"]) == ("production", SE_SHOP)


def test_deleting_a_store_that_a_connection_uses_answers_409(owner, connection, tested_store):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(owner)  # archiving is an owner's decision; API keys are staff or viewer
    response = api.delete(f"/api/v1/store-connections/{tested_store.pk}/")
    assert response.status_code == 409
    assert f"The store connection {tested_store.name} is used by the Miinto connection(s)" in response.json()["detail"]
    with scopes_disabled():
        assert StoreConnection.objects.filter(pk=tested_store.pk).exists()
