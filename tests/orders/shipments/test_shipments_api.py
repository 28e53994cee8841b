"""Shipments in the API and the dashboard: Mark as shipped (Stock only), the Shipments tab, carrier mappings, isolation."""

import pytest

from connections.models import Problem
from koongo.accounts.tenancy import merchant_scope
from orders.models import CarrierMapping, Order, Shipment, ShipmentPush
from tests.conftest import make_api_client
from tests.factories import MembershipFactory
from tests.orders.shipments.shipping import accepted_order, miinto_shipments, position_of, run, ship_in_store, two_line_order


@pytest.fixture
def stock_only_order(world):
    world.configure(sync_level="stock_only")
    return accepted_order(world)


def test_mark_as_shipped_reaches_miinto(world, stock_only_order):
    order = stock_only_order
    api = make_api_client(world.merchant, "staff")
    response = api.post(
        f"/api/v1/orders/{order.pk}/shipments/", {"provider_id": "gls-dk", "tracking_number": "GLS-MAN-1"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    position = position_of(world, order, "TEE-BLK-M")
    assert (body["status"], body["provider_id"], body["provider_name"], body["position_ids"], body["source"]) == (
        "sent",
        "gls-dk",
        "GLS",
        [position],
        "manual",
    )
    assert body["actor"].startswith("api-key:") and body["push_state"] == "done"
    [sent] = miinto_shipments(world)
    assert (sent["orderId"], sent["providerId"], sent["trackAndTrace"], sent["positions"]) == (
        order.miinto_id,
        "gls-dk",
        "GLS-MAN-1",
        [position],
    )
    with merchant_scope(world.merchant):
        assert Order.objects.get(pk=order.pk).status == "shipped"
    listed = api.get(f"/api/v1/orders/{order.pk}/shipments/").json()["results"]
    assert [(s["tracking_number"], s["status"]) for s in listed] == [("GLS-MAN-1", "sent")]


def test_mark_as_shipped_with_an_unknown_provider_is_a_field_error(world, stock_only_order):
    api = make_api_client(world.merchant, "staff")
    response = api.post(
        f"/api/v1/orders/{stock_only_order.pk}/shipments/", {"provider_id": "ups-us", "tracking_number": "X1"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["provider_id"]
    assert response.json()["provider_id"][0].startswith("'ups-us' is not one of Miinto's providers for this order: gls-dk (GLS)")
    assert miinto_shipments(world) == []
    with merchant_scope(world.merchant):
        assert Shipment.objects.count() == 0


def test_mark_as_shipped_checks_the_tracking_number_and_positions(world):
    world.configure(sync_level="stock_only")
    order = two_line_order(world)
    api = make_api_client(world.merchant, "staff")
    url = f"/api/v1/orders/{order.pk}/shipments/"
    assert list(api.post(url, {"provider_id": "gls-dk", "tracking_number": " "}, format="json").json()) == ["tracking_number"]
    unknown = api.post(url, {"provider_id": "gls-dk", "tracking_number": "T1", "position_ids": [1]}, format="json")
    assert unknown.json() == {"position_ids": ["Not positions of this order: [1]."]}
    tee_l = position_of(world, order, "TEE-BLK-L")
    partial = api.post(url, {"provider_id": "gls-dk", "tracking_number": "T1", "position_ids": [tee_l]}, format="json")
    assert partial.status_code == 201 and partial.json()["position_ids"] == [tee_l]
    again = api.post(url, {"provider_id": "gls-dk", "tracking_number": "T2", "position_ids": [tee_l]}, format="json")
    assert again.json() == {"position_ids": [f"Already sent to Miinto: [{tee_l}]."]}
    rest = api.post(url, {"provider_id": "postnord-dk", "tracking_number": "T3"}, format="json")
    assert rest.json()["position_ids"] == [position_of(world, order, "TEE-BLK-M")]
    assert [(s["trackAndTrace"], len(s["positions"])) for s in miinto_shipments(world)] == [("T1", 1), ("T3", 1)]


def test_mark_as_shipped_is_for_stock_only_orders(world):
    order = accepted_order(world)
    api = make_api_client(world.merchant, "staff")
    response = api.post(
        f"/api/v1/orders/{order.pk}/shipments/", {"provider_id": "gls-dk", "tracking_number": "X1"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Shipments of this order come from the store order; mark it shipped in the store."]
    }
    assert miinto_shipments(world) == []


def test_the_providers_of_an_order(world, stock_only_order):
    api = make_api_client(world.merchant, "viewer")
    providers = api.get(f"/api/v1/orders/{stock_only_order.pk}/shipments/providers/").json()
    assert {"id": "gls-dk", "name": "GLS"} in providers and {"id": "postnord-dk", "name": "PostNord"} in providers


def test_a_viewer_cannot_mark_as_shipped(world, stock_only_order):
    viewer = make_api_client(world.merchant, "viewer")
    url = f"/api/v1/orders/{stock_only_order.pk}/shipments/"
    assert viewer.post(url, {"provider_id": "gls-dk", "tracking_number": "X1"}, format="json").status_code == 403
    assert viewer.get(url).status_code == 200
    assert miinto_shipments(world) == []


def test_another_merchants_shipments_answer_404(world, stock_only_order, other_merchant):
    intruder = make_api_client(other_merchant, "staff")
    url = f"/api/v1/orders/{stock_only_order.pk}/shipments/"
    assert intruder.get(url).status_code == 404
    assert intruder.get(f"{url}providers/").status_code == 404
    assert intruder.post(url, {"provider_id": "gls-dk", "tracking_number": "X1"}, format="json").status_code == 404
    assert miinto_shipments(world) == []
    with merchant_scope(world.merchant):
        assert Shipment.objects.count() == 0


def test_the_idempotency_key_replays_a_mark_as_shipped(world, stock_only_order):
    api = make_api_client(world.merchant, "staff")
    url = f"/api/v1/orders/{stock_only_order.pk}/shipments/"
    first = api.post(url, {"provider_id": "gls-dk", "tracking_number": "X1"}, format="json", HTTP_IDEMPOTENCY_KEY="ship-1")
    second = api.post(url, {"provider_id": "gls-dk", "tracking_number": "X1"}, format="json", HTTP_IDEMPOTENCY_KEY="ship-1")
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert len(miinto_shipments(world)) == 1


# --- the dashboard -------------------------------------------------------------------------


def test_the_shipments_tab_marks_a_stock_only_order_shipped(world, stock_only_order, owner_client):
    page = owner_client.get(f"/orders/{stock_only_order.transfer_id}/?tab=shipments")
    assert page.status_code == 200 and 'id="mark-shipped"' in page.content.decode()
    response = owner_client.post(
        f"/orders/by-id/{stock_only_order.pk}/ship/", {"provider_id": "postnord-dk", "tracking_number": "PN-9"}
    )
    assert response.status_code == 302 and response["Location"] == f"/orders/{stock_only_order.transfer_id}/?tab=shipments"
    assert [(s["providerId"], s["trackAndTrace"]) for s in miinto_shipments(world)] == [("postnord-dk", "PN-9")]
    page = owner_client.get(f"/orders/{stock_only_order.transfer_id}/?tab=shipments").content.decode()
    assert "PN-9" in page and "Sent to Miinto" in page and 'id="mark-shipped"' not in page  # nothing left to ship


def test_the_shipments_tab_refuses_an_unknown_provider(world, stock_only_order, owner_client):
    response = owner_client.post(
        f"/orders/by-id/{stock_only_order.pk}/ship/", {"provider_id": "ups-us", "tracking_number": "X"}, follow=True
    )
    assert "Shipping provider: Select a valid choice. ups-us is not one of the available choices." in response.content.decode()
    assert miinto_shipments(world) == []


def test_the_shipments_tab_shows_store_shipments_with_provider_and_tracking_link(world, owner_client):
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="GLS", tracking="GLS-1", url="https://gls.example/track/GLS-1")
    run(world, "shipments")
    page = owner_client.get(f"/orders/{order.transfer_id}/?tab=shipments").content.decode()
    assert '<a href="https://gls.example/track/GLS-1" rel="noopener noreferrer" target="_blank">GLS-1</a>' in page
    assert "Matched by carrier name" in page and "Sent to Miinto" in page and 'id="mark-shipped"' not in page


def test_the_shipments_tab_costs_the_same_queries_for_more_shipments(world, owner_client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = two_line_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="GLS", tracking="GLS-1")
    run(world, "shipments")
    with CaptureQueriesContext(connection) as one:
        owner_client.get(f"/orders/{order.transfer_id}/?tab=shipments")
    ship_in_store(world, order, ["TEE-BLK-L"], carrier="GLS", tracking="GLS-2")
    run(world, "shipments")
    with CaptureQueriesContext(connection) as two:
        page = owner_client.get(f"/orders/{order.transfer_id}/?tab=shipments")
    assert "GLS-2" in page.content.decode()
    assert len(two.captured_queries) == len(one.captured_queries)


def test_another_merchant_cannot_mark_an_order_shipped_in_the_dashboard(world, stock_only_order, client, other_merchant):
    client.force_login(MembershipFactory(merchant=other_merchant).user)
    assert (
        client.post(f"/orders/by-id/{stock_only_order.pk}/ship/", {"provider_id": "gls-dk", "tracking_number": "X"}).status_code
        == 404
    )
    assert miinto_shipments(world) == []


def test_a_viewer_cannot_mark_an_order_shipped_in_the_dashboard(world, stock_only_order, client):
    client.force_login(MembershipFactory(merchant=world.merchant, role="viewer").user)
    page = client.get(f"/orders/{stock_only_order.transfer_id}/?tab=shipments").content.decode()
    assert 'id="mark-shipped"' not in page
    assert (
        client.post(f"/orders/by-id/{stock_only_order.pk}/ship/", {"provider_id": "gls-dk", "tracking_number": "X"}).status_code
        == 403
    )
    assert miinto_shipments(world) == []


# --- carrier mappings ----------------------------------------------------------------------


def test_carrier_mappings_in_the_api(world):
    api = make_api_client(world.merchant, "staff")
    created = api.post(
        "/api/v1/carrier-mappings/",
        {"connection": world.connection.pk, "carrier": "Nordic Express", "provider_id": "postnord-dk"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["carrier"], body["carrier_key"], body["provider_id"], body["provider_name"]) == (
        "Nordic Express",
        "nordicexpress",
        "postnord-dk",
        "PostNord",
    )
    changed = api.patch(f"/api/v1/carrier-mappings/{body['id']}/", {"provider_id": "gls-dk"}, format="json")
    assert changed.status_code == 200 and changed.json()["provider_name"] == "GLS"
    same_carrier = api.post(
        "/api/v1/carrier-mappings/",
        {"connection": world.connection.pk, "carrier": "nordic express", "provider_id": "dao-dk"},
        format="json",
    )
    assert same_carrier.status_code == 201 and same_carrier.json()["id"] == body["id"]  # one mapping per carrier: replaced
    listed = api.get(f"/api/v1/carrier-mappings/?connection={world.connection.pk}").json()["results"]
    assert [(m["carrier"], m["provider_id"]) for m in listed] == [("nordic express", "dao-dk")]
    assert api.delete(f"/api/v1/carrier-mappings/{body['id']}/").status_code == 204
    with merchant_scope(world.merchant):
        assert CarrierMapping.objects.count() == 0


def test_a_carrier_mapping_to_an_unknown_provider_is_a_field_error(world):
    api = make_api_client(world.merchant, "staff")
    response = api.post(
        "/api/v1/carrier-mappings/", {"connection": world.connection.pk, "carrier": "GLS", "provider_id": "ups-us"}, format="json"
    )
    assert response.status_code == 400 and list(response.json()) == ["provider_id"]
    with merchant_scope(world.merchant):
        assert CarrierMapping.objects.count() == 0


def test_carrier_mappings_of_another_merchant_answer_404(world, other_merchant):
    with merchant_scope(world.merchant):
        from orders.shipments.carrier_mapping import carrier_mapping_set

        mapping = carrier_mapping_set(
            merchant=world.merchant, connection=world.connection, carrier="GLS", provider_id="gls-dk", provider_name="GLS"
        )
    intruder = make_api_client(other_merchant, "staff")
    assert intruder.get("/api/v1/carrier-mappings/").json()["results"] == []
    assert intruder.get(f"/api/v1/carrier-mappings/{mapping.pk}/").status_code == 404
    assert intruder.patch(f"/api/v1/carrier-mappings/{mapping.pk}/", {"provider_id": "dao-dk"}, format="json").status_code == 404
    assert intruder.delete(f"/api/v1/carrier-mappings/{mapping.pk}/").status_code == 404
    foreign = intruder.post(
        "/api/v1/carrier-mappings/", {"connection": world.connection.pk, "carrier": "DAO", "provider_id": "dao-dk"}, format="json"
    )
    assert foreign.status_code == 400 and list(foreign.json()) == ["connection"]
    viewer = make_api_client(world.merchant, "viewer")
    assert viewer.delete(f"/api/v1/carrier-mappings/{mapping.pk}/").status_code == 403
    assert (
        viewer.post(
            "/api/v1/carrier-mappings/",
            {"connection": world.connection.pk, "carrier": "DAO", "provider_id": "dao-dk"},
            format="json",
        ).status_code
        == 403
    )
    with merchant_scope(world.merchant):
        assert list(CarrierMapping.objects.values_list("carrier", "provider_id")) == [("GLS", "gls-dk")]


def test_the_carrier_page_maps_a_carrier_seen_in_the_store(world, owner_client):
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="Bob's Courier", tracking="BOB-1")
    run(world, "shipments")
    page = owner_client.get(f"/carriers/{world.connection.pk}/").content.decode()
    assert "Bob&#x27;s Courier" in page and "no provider" in page
    response = owner_client.post(f"/carriers/{world.connection.pk}/", {"carrier": "Bob's Courier", "provider_id": "gls-dk"})
    assert response.status_code == 302
    with merchant_scope(world.merchant):
        assert list(CarrierMapping.objects.values_list("carrier_key", "provider_id", "provider_name")) == [
            ("bobscourier", "gls-dk", "GLS")
        ]
        problem = Problem.objects.get()
    from connections.sync.problems import problem_retry

    with merchant_scope(world.merchant):
        problem_retry(merchant=world.merchant, problem=problem, by="owner")
    run(world, "shipments")
    assert [s["providerId"] for s in miinto_shipments(world)] == ["gls-dk"]


def test_the_carrier_pages_of_another_merchant_answer_404_and_viewers_cannot_map(world, client, other_merchant):
    with merchant_scope(world.merchant):
        from orders.shipments.carrier_mapping import carrier_mapping_set

        mapping = carrier_mapping_set(
            merchant=world.merchant, connection=world.connection, carrier="GLS", provider_id="gls-dk", provider_name="GLS"
        )
    client.force_login(MembershipFactory(merchant=other_merchant).user)
    assert client.get(f"/carriers/{world.connection.pk}/").status_code == 404
    assert client.post(f"/carriers/{world.connection.pk}/", {"carrier": "DAO", "provider_id": "dao-dk"}).status_code == 404
    assert client.post(f"/carriers/mappings/{mapping.pk}/delete/").status_code == 404
    client.force_login(MembershipFactory(merchant=world.merchant, role="viewer").user)
    assert client.get(f"/carriers/{world.connection.pk}/").status_code == 200
    assert client.post(f"/carriers/{world.connection.pk}/", {"carrier": "DAO", "provider_id": "dao-dk"}).status_code == 403
    assert client.post(f"/carriers/mappings/{mapping.pk}/delete/").status_code == 403
    with merchant_scope(world.merchant):
        assert list(CarrierMapping.objects.values_list("carrier", "provider_id")) == [("GLS", "gls-dk")]
        assert ShipmentPush.objects.count() == 0
