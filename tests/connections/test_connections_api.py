"""The set-up journey through the REST API, with field-level errors, plan gating, isolation and Idempotency-Key."""

import pytest

from connections.models import MiintoConnection, StoreConnection
from koongo.accounts.models import Plan
from koongo.accounts.tenancy import merchant_scope
from tests.conftest import make_api_client
from tests.connections.conftest import DK_SHOP, MIINTO_PASSWORD, MIINTO_USER, shopify_api_credentials

LOGIN = {"environment": "simulator", "username": MIINTO_USER, "password": MIINTO_PASSWORD}


def test_integrator_journey(api_client, merchant, miinto_sim, simulated_shopify_api):
    store = api_client.post(
        "/api/v1/store-connections/",
        {"platform": "shopify", "name": "Web", "credentials": shopify_api_credentials(simulated_shopify_api)},
        format="json",
    )
    assert store.status_code == 201, store.json()
    assert store.json()["last_test_ok"] is True and "credentials" not in store.json()
    assert "access_token" not in str(store.json())

    stores = api_client.post("/api/v1/miinto-connections/available-stores/", LOGIN, format="json")
    assert [s["shop_id"] for s in stores.json()] == [DK_SHOP, "1-m!i!s-046-2002", "1-m!i!s-086-2003"]

    created = api_client.post(
        "/api/v1/miinto-connections/",
        {**LOGIN, "shop_id": DK_SHOP, "store_connection": store.json()["id"], "activate": True},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["market"], body["currency"], body["shop_name"]) == ("active", "DK", "DKK", "Nordic Threads DK")
    assert "password" not in body

    config = api_client.get(f"/api/v1/miinto-connections/{body['id']}/order-configuration/").json()
    assert (config["price_threshold"], config["sync_level"], config["auto_accept"], config["sync_from_date"]) == (
        "0.9700",
        "orders_and_stock",
        False,
        None,
    )
    patched = api_client.patch(
        f"/api/v1/miinto-connections/{body['id']}/order-configuration/",
        {
            "auto_accept": True,
            "price_threshold": "0.95",
            "sync_from_date": "2021-03-20",
            "product_identification_attribute": "sku",
        },
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["auto_accept"], patched.json()["price_threshold"], patched.json()["sync_from_date"]) == (
        True,
        "0.9500",
        "2021-03-20",
    )


def test_wrong_password_in_the_api(api_client, merchant, miinto_sim):
    response = api_client.post("/api/v1/miinto-connections/available-stores/", {**LOGIN, "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": ["Miinto did not accept this username and password."]}
    created = api_client.post("/api/v1/miinto-connections/", {**LOGIN, "password": "nope", "shop_id": DK_SHOP}, format="json")
    assert created.status_code == 400
    with merchant_scope(merchant):
        assert MiintoConnection.objects.count() == 0


def test_activation_refused_on_the_free_plan(api_client, merchant, miinto_sim, tested_store):
    merchant.plan = Plan.objects.get(code="free")
    merchant.save()
    created = api_client.post(
        "/api/v1/miinto-connections/",
        {**LOGIN, "shop_id": DK_SHOP, "store_connection": tested_store.pk, "activate": True},
        format="json",
    )
    assert created.json()["status"] == "disabled"
    assert created.json()["activation_refused"].startswith("Your Free plan does not include Miinto order sync")
    refused = api_client.post(f"/api/v1/miinto-connections/{created.json()['id']}/activate/")
    assert refused.status_code == 409 and refused.json()["upgrade"] is True


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("price_threshold", "0", "Enter a threshold greater than 0 and at most 2, e.g. 0.97."),
        ("price_threshold", "2.5", "Enter a threshold greater than 0 and at most 2, e.g. 0.97."),
        ("price_threshold", "-1", "Enter a threshold greater than 0 and at most 2, e.g. 0.97."),
        ("price_threshold", "abc", "Enter the threshold as a number, e.g. 0.97."),
        ("price_threshold", "0.97255", "Use at most 4 decimals, e.g. 0.9725."),
        ("price_threshold", "12.5", "Enter a threshold greater than 0 and at most 2, e.g. 0.97."),
        ("sync_from_date", "2021-02-30", "Enter a real date in the format YYYY-MM-DD, e.g. 2021-03-20."),
        ("sync_from_date", "20-03-2021", "Enter a real date in the format YYYY-MM-DD, e.g. 2021-03-20."),
        ("product_identification_attribute", "colour", "Unknown attribute 'colour'."),
        ("default_shipping_provider_id", "pigeon", "Unknown shipping provider 'pigeon' for this Miinto market."),
        ("sync_level", "everything", '"everything" is not a valid choice.'),
        ("reference_price_attribute", "cost", '"cost" is not a valid choice.'),
    ],
)
def test_configuration_validation_in_the_api(api_client, connection, field, value, message):
    url = f"/api/v1/miinto-connections/{connection.pk}/order-configuration/"
    response = api_client.patch(url, {field: value}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0].startswith(message)
    assert api_client.get(url).json()["price_threshold"] == "0.9700"


@pytest.mark.parametrize("value,stored", [("2", "2.0000"), ("0.001", "0.0010"), ("1.5", "1.5000"), ("0.9725", "0.9725"), ("0.97250", "0.9725")])
def test_threshold_bounds_accepted(api_client, connection, value, stored):
    response = api_client.patch(
        f"/api/v1/miinto-connections/{connection.pk}/order-configuration/", {"price_threshold": value}, format="json"
    )
    assert response.status_code == 200 and response.json()["price_threshold"] == stored


def test_shipping_provider_from_miintos_list_is_accepted_with_its_name(api_client, connection, miinto_sim):
    from connections.selectors import shipping_provider_choices

    provider_id, provider_name = shipping_provider_choices(connection)[0]
    response = api_client.patch(
        f"/api/v1/miinto-connections/{connection.pk}/order-configuration/",
        {"default_shipping_provider_id": provider_id},
        format="json",
    )
    assert (response.json()["default_shipping_provider_id"], response.json()["default_shipping_provider_name"]) == (
        provider_id,
        provider_name,
    )


def test_another_merchants_connection_answers_404_everywhere(connection, other_merchant, merchant, owner_client):
    intruder = make_api_client(other_merchant, "staff")
    base = f"/api/v1/miinto-connections/{connection.pk}/"
    assert intruder.get("/api/v1/miinto-connections/").json()["results"] == []
    assert intruder.get(base).status_code == 404
    assert intruder.patch(base, {"sync_interval_minutes": 1}, format="json").status_code == 404
    assert intruder.delete(base).status_code == 404
    for action in ("activate", "deactivate", "unpause", "test", "credentials"):
        assert intruder.post(f"{base}{action}/", {}, format="json").status_code == 404
    assert intruder.get(f"{base}order-configuration/").status_code == 404
    assert intruder.patch(f"{base}order-configuration/", {"auto_accept": True}, format="json").status_code == 404
    store = connection.store_connection
    assert intruder.get(f"/api/v1/store-connections/{store.pk}/").status_code == 404
    assert intruder.post(f"/api/v1/store-connections/{store.pk}/test/").status_code == 404
    assert intruder.delete(f"/api/v1/store-connections/{store.pk}/").status_code == 404
    connection.refresh_from_db()
    assert (connection.status, connection.sync_interval_minutes) == ("active", 5)
    with merchant_scope(merchant):
        assert connection.order_configuration.auto_accept is False
        assert StoreConnection.objects.filter(pk=store.pk).exists()


def test_another_merchants_pages_answer_404(connection, other_merchant, client):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory(merchant=other_merchant).user)
    for url in (f"/connections/{connection.pk}/", f"/stores/{connection.store_connection.pk}/"):
        assert client.get(url).status_code == 404
    for url in (
        f"/connections/{connection.pk}/deactivate/",
        f"/connections/{connection.pk}/configuration/",
        f"/stores/{connection.store_connection.pk}/test/",
    ):
        assert client.post(url, {"auto_accept": "True"}).status_code == 404
    connection.refresh_from_db()
    assert connection.status == "active"


def test_viewer_key_reads_but_cannot_change(connection, merchant):
    viewer = make_api_client(merchant, "viewer")
    base = f"/api/v1/miinto-connections/{connection.pk}/"
    assert viewer.get(base).status_code == 200
    assert viewer.post(f"{base}deactivate/").status_code == 403
    assert viewer.patch(f"{base}order-configuration/", {"auto_accept": True}, format="json").status_code == 403
    assert viewer.post("/api/v1/miinto-connections/available-stores/", LOGIN, format="json").status_code == 403
    connection.refresh_from_db()
    assert connection.status == "active"


def test_idempotency_key_replays_the_first_response(api_client, merchant, simulated_shopify_api):
    payload = {"platform": "shopify", "name": "Web", "credentials": shopify_api_credentials(simulated_shopify_api)}
    first = api_client.post("/api/v1/store-connections/", payload, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    second = api_client.post("/api/v1/store-connections/", payload, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replay"] == "true"
    with merchant_scope(merchant):
        assert StoreConnection.objects.count() == 1
    another_shop = {**payload["credentials"], "shop_domain": "another-shop.myshopify.com"}
    other = api_client.post(
        "/api/v1/store-connections/", {**payload, "name": "Other", "credentials": another_shop}, format="json", HTTP_IDEMPOTENCY_KEY="abc-456"
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


def test_store_credentials_are_validated_field_by_field(api_client):
    response = api_client.post(
        "/api/v1/store-connections/",
        {"platform": "shopify", "name": "Web", "credentials": {"shop_domain": "not a shop"}},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"shop_domain", "access_token"}
    unknown = api_client.post("/api/v1/store-connections/", {"platform": "woo", "name": "Web", "credentials": {}}, format="json")
    assert unknown.json() == {"platform": ["Unknown platform 'woo'."]}


def test_credentials_with_decimals_are_stored(merchant):
    from decimal import Decimal

    from connections.services import credentials_for_storage
    from platforms import registry

    model = registry.credentials_model("bigcommerce")
    sample = {name: "x" for name, info in model.model_fields.items() if info.is_required()}
    fields = model.model_fields
    if "vat_rate" in fields:
        sample["vat_rate"] = Decimal("25")
    stored = credentials_for_storage(model.model_validate(sample))
    import json

    json.dumps(stored)  # the encrypted JSON column must be able to store it
    assert all(not str(v).startswith("**") for v in stored.values())


def test_order_sync_active_is_read_and_changed_with_the_configuration(api_client, connection):
    url = f"/api/v1/miinto-connections/{connection.pk}/order-configuration/"
    assert api_client.get(url).json()["order_sync_active"] is True
    answer = api_client.patch(url, {"order_sync_active": False, "auto_accept": True}, format="json")
    assert answer.status_code == 200 and (answer.json()["order_sync_active"], answer.json()["auto_accept"]) == (False, True)
    connection.refresh_from_db()
    assert connection.status == "disabled"


def test_a_refused_activation_through_the_api_is_a_field_error_and_saves_nothing(api_client, connection):
    from connections import services
    from koongo.accounts.models import Plan

    services.miinto_connection_deactivate(connection=connection)
    connection.merchant.plan = Plan.objects.get(code="free")
    connection.merchant.save()
    url = f"/api/v1/miinto-connections/{connection.pk}/order-configuration/"
    answer = api_client.patch(url, {"order_sync_active": True, "auto_accept": True}, format="json")
    assert answer.status_code == 400
    assert answer.json()["order_sync_active"] == ["Your Free plan does not include Miinto order sync. Upgrade your plan to activate this connection."]
    assert api_client.get(url).json()["auto_accept"] is False
