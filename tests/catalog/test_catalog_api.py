"""The catalog API: read-only products, listings and price exports with filters; per connection the feed and stock
settings, catalog-refresh, stock-sync and feed-credentials; viewers read only, other merchants get 404."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import CatalogSettings, Product
from connections.models import SyncRun
from koongo.accounts.tenancy import merchant_scope
from koongo.models import IdempotentResponse
from tests.catalog.conftest import make_miinto_connection, make_product, make_store, pull
from tests.conftest import make_api_client


@pytest.fixture
def catalog(client, store, connection, credentials):
    products = {
        "coat": make_product(store, title="Wool coat", sku="COAT-1", stock=4, final_price=Decimal("80.00"), original_price=Decimal("100.00")),
        "shirt": make_product(store, title="Linen shirt", stock=0),
        "scarf": make_product(store, title="Silk scarf", image_urls=[]),
        "hat": make_product(store, title="Old hat", removed_at=timezone.now() - timedelta(days=3)),
    }
    pull(client, credentials)
    products["jeans"] = make_product(store, title="New jeans")
    return products


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(item["title"] for item in response.json()["results"])


def test_products_with_filters(api_client, connection, catalog):
    url = "/api/v1/catalog/products/"
    assert _titles(api_client.get(url)) == ["Linen shirt", "New jeans", "Old hat", "Silk scarf", "Wool coat"]
    assert _titles(api_client.get(url, {"q": "COAT-1"})) == ["Wool coat"]
    assert _titles(api_client.get(url, {"connection": connection.pk, "mapping_problem": "true"})) == ["Silk scarf"]
    assert _titles(api_client.get(url, {"out_of_stock": "true"})) == ["Linen shirt"]
    assert _titles(api_client.get(url, {"connection": connection.pk, "never_exported": "true"})) == ["New jeans", "Old hat", "Silk scarf"]
    assert _titles(api_client.get(url, {"removed": "true"})) == ["Old hat"]
    assert _titles(api_client.get(url, {"removed": "false", "store_connection": connection.store_connection_id, "mapping_problem": "false"})) == [
        "Linen shirt", "New jeans", "Wool coat",
    ]  # fmt: skip
    coat = api_client.get(f"{url}{catalog['coat'].pk}/").json()
    assert coat["stock_key"] == {"group": catalog["coat"].item_group_id, "brand": "Nordic", "color": "Black", "size": "M"}
    [listing] = coat["listings"]
    assert (listing["connection"], listing["in_feed"], listing["exported_discount_price"], listing["exported_currency"]) == (
        connection.pk, True, "80.00", "DKK",
    )  # fmt: skip


def test_listings_and_price_exports(api_client, merchant, connection, credentials, catalog, client):
    with merchant_scope(merchant):
        Product.objects.filter(pk=catalog["coat"].pk).update(final_price=Decimal("75.00"))
    pull(client, credentials)
    listings = api_client.get("/api/v1/catalog/listings/", {"connection": connection.pk, "in_feed": "false"}).json()["results"]
    assert [(item["product"], item["mapping_problem"]) for item in listings] == [
        (catalog["scarf"].pk, "Left out of the feed: no HTTPS JPG or WEBP image"),
    ]  # fmt: skip
    assert len(api_client.get("/api/v1/catalog/listings/", {"mapping_problem": "true"}).json()["results"]) == 1
    exports = api_client.get("/api/v1/catalog/price-exports/", {"product": catalog["coat"].pk}).json()["results"]
    assert [(e["retail_price"], e["discount_price"], e["currency"]) for e in exports] == [
        ("100.00", "75.00", "DKK"), ("100.00", "80.00", "DKK"),
    ]  # fmt: skip


def test_connection_catalog_settings_read_and_patch(api_client, merchant, connection, credentials):
    url = f"/api/v1/catalog/connections/{connection.pk}/"
    data = api_client.get(url).json()
    assert data["feed_url"] == credentials.url and data["feed_username"] == credentials.username and data["credentials_issued"] is True
    assert "password" not in str(data).replace("credentials", "")
    changed = api_client.patch(url, {"stock_buffer": 3, "full_reassert_hours": 6, "feed_username": "mine"}, format="json")
    assert changed.status_code == 200 and (changed.json()["stock_buffer"], changed.json()["full_reassert_hours"]) == (3, 6)
    assert changed.json()["feed_username"] == credentials.username
    assert api_client.patch(url, {"full_reassert_hours": 0}, format="json").status_code == 400
    with merchant_scope(merchant):
        assert CatalogSettings.objects.get(connection=connection).full_reassert_hours == 6


@pytest.mark.parametrize("action,flow", [("catalog-refresh", "catalog"), ("stock-sync", "stock")])
def test_catalog_refresh_and_stock_sync_queue_runs(api_client, merchant, connection, action, flow):
    response = api_client.post(f"/api/v1/catalog/connections/{connection.pk}/{action}/")
    assert response.status_code == 202
    again = api_client.post(f"/api/v1/catalog/connections/{connection.pk}/{action}/")
    assert again.json()["id"] == response.json()["id"]  # the queued run, not a second one
    with merchant_scope(merchant):
        run = SyncRun.objects.get()
    assert (run.flow, run.trigger, response.json()["status"]) == (flow, "api", "queued")


def test_a_disabled_connection_answers_409(api_client, merchant, connection):
    with merchant_scope(merchant):
        connection.status = "disabled"
        connection.save(update_fields=["status"])
    response = api_client.post(f"/api/v1/catalog/connections/{connection.pk}/stock-sync/")
    assert response.status_code == 409 and "disabled" in response.json()["detail"]


def test_feed_credentials_are_answered_once_and_never_kept_for_replay(api_client, merchant, connection, client):
    url = f"/api/v1/catalog/connections/{connection.pk}/feed-credentials/"
    first = api_client.post(url, HTTP_IDEMPOTENCY_KEY="rotate-1")
    second = api_client.post(url, HTTP_IDEMPOTENCY_KEY="rotate-1")
    assert first.status_code == second.status_code == 201
    assert first.json()["password"] != second.json()["password"]
    with scopes_disabled():
        assert IdempotentResponse.objects.count() == 0
    from catalog.feed_access import FeedCredentials

    assert pull(client, FeedCredentials(**second.json())).status_code == 200
    assert pull(client, FeedCredentials(**first.json())).status_code == 401


def test_a_viewer_reads_and_cannot_write(viewer_api_client, merchant, connection, credentials, catalog):
    assert viewer_api_client.get("/api/v1/catalog/products/").status_code == 200
    assert viewer_api_client.get(f"/api/v1/catalog/connections/{connection.pk}/").status_code == 200
    with merchant_scope(merchant):
        before = CatalogSettings.objects.values_list("feed_password_hash", "stock_buffer").get(connection=connection)
    base = f"/api/v1/catalog/connections/{connection.pk}"
    assert viewer_api_client.patch(f"{base}/", {"stock_buffer": 9}, format="json").status_code == 403
    for action in ("catalog-refresh", "stock-sync", "feed-credentials"):
        assert viewer_api_client.post(f"{base}/{action}/").status_code == 403
    with merchant_scope(merchant):
        assert CatalogSettings.objects.values_list("feed_password_hash", "stock_buffer").get(connection=connection) == before
        assert SyncRun.objects.count() == 0


def test_another_merchant_gets_404_everywhere(merchant, other_merchant, connection, credentials, catalog):
    intruder = make_api_client(other_merchant, "staff")
    make_miinto_connection(other_merchant, make_store(other_merchant), shop_id="1-m!i!s-045-9001")
    with merchant_scope(merchant):
        listing = catalog["coat"].listings.get()
        export = listing.price_exports.get()
        before = CatalogSettings.objects.values_list("feed_password_hash", "stock_buffer").get(connection=connection)
    for url in ("/api/v1/catalog/products/", "/api/v1/catalog/listings/", "/api/v1/catalog/price-exports/"):
        assert intruder.get(url).json()["results"] == []
    for url in (f"/api/v1/catalog/products/{catalog['coat'].pk}/", f"/api/v1/catalog/listings/{listing.pk}/",
                f"/api/v1/catalog/price-exports/{export.pk}/", f"/api/v1/catalog/connections/{connection.pk}/"):  # fmt: skip
        assert intruder.get(url).status_code == 404
    base = f"/api/v1/catalog/connections/{connection.pk}"
    assert intruder.patch(f"{base}/", {"stock_buffer": 9}, format="json").status_code == 404
    for action in ("catalog-refresh", "stock-sync", "feed-credentials"):
        assert intruder.post(f"{base}/{action}/").status_code == 404
    assert intruder.get("/api/v1/catalog/products/", {"connection": connection.pk}).json()["results"] == []
    with merchant_scope(merchant):
        assert CatalogSettings.objects.values_list("feed_password_hash", "stock_buffer").get(connection=connection) == before
    with scopes_disabled():
        assert SyncRun.objects.count() == 0


def test_the_schema_documents_the_catalog_endpoints(api_client):
    paths = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert {"/api/v1/catalog/products/", "/api/v1/catalog/connections/{id}/catalog-refresh/",
            "/api/v1/catalog/connections/{id}/stock-sync/", "/api/v1/catalog/price-exports/"} <= set(paths)  # fmt: skip
