"""The catalog in the dashboard: products page with search and filters, product detail with listings and price history,
the connection page's catalog panel, Refresh catalog / Push stock now, feed credentials shown once, stock settings;
viewers are refused and another merchant gets 404, with nothing changed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import CatalogSettings, Product
from connections.models import SyncRun
from koongo.accounts.tenancy import merchant_scope
from tests.catalog.conftest import make_miinto_connection, make_product, make_store, pull, store_describes
from tests.factories import MembershipFactory


@pytest.fixture
def viewer_client(client, merchant):
    client.force_login(MembershipFactory(merchant=merchant, role="viewer", user__username="viewer@a.example").user)
    return client


@pytest.fixture
def intruder_client(client, other_merchant):
    client.force_login(MembershipFactory(merchant=other_merchant, user__username="owner@b.example").user)
    return client


@pytest.fixture
def catalog(store, connection, credentials, client):
    """Four products in four states, after one feed pull."""
    products = {
        "fine": make_product(store, title="Wool coat", sku="COAT-1", stock=4, final_price=Decimal("80.00"), original_price=Decimal("100.00")),
        "sold_out": make_product(store, title="Linen shirt", stock=0),
        "no_image": make_product(store, title="Silk scarf", image_urls=[]),
        "gone": make_product(store, title="Old hat", removed_at=timezone.now() - timedelta(days=3)),
    }
    pull(client, credentials)
    products["new"] = make_product(store, title="New jeans")  # arrived after the pull: never exported
    return products


def _titles(response) -> list[str]:
    return [p.title for p in response.context["page"]]


def test_the_products_page_searches_and_filters(owner_client, connection, catalog):
    url = reverse("catalog:products", args=[connection.pk])
    assert _titles(owner_client.get(url)) == ["Linen shirt", "New jeans", "Silk scarf", "Wool coat"]
    assert _titles(owner_client.get(url, {"q": "coat-1"})) == ["Wool coat"]
    assert _titles(owner_client.get(url, {"q": "linen"})) == ["Linen shirt"]
    assert _titles(owner_client.get(url, {"show": "problems"})) == ["Silk scarf"]
    assert _titles(owner_client.get(url, {"show": "out_of_stock"})) == ["Linen shirt"]
    assert _titles(owner_client.get(url, {"show": "never_exported"})) == ["New jeans", "Silk scarf"]
    assert _titles(owner_client.get(url, {"show": "removed"})) == ["Old hat"]
    body = owner_client.get(url).content.decode()
    assert "DKK80.00" in body and "Left out of the feed: no HTTPS JPG or WEBP image" in body and 'id="catalog-panel"' in body


def test_the_product_page_shows_listings_price_history_and_stock(owner_client, merchant, connection, credentials, catalog, client):
    coat = catalog["fine"]
    with merchant_scope(merchant):
        Product.objects.filter(pk=coat.pk).update(final_price=Decimal("70.00"))
    pull(client, credentials)
    response = owner_client.get(reverse("catalog:product", args=[coat.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    [listing] = response.context["listings"]
    assert [(e.retail_price, e.discount_price) for e in listing.price_exports.all()] == [
        (Decimal("100.00"), Decimal("70.00")), (Decimal("100.00"), Decimal("80.00")),
    ]  # fmt: skip
    assert 'Last exported price: <strong><span translate="no">DKK70.00</span></strong>' in body
    assert 'id="product-stock">4 · seen' in body


def test_the_connection_page_shows_the_catalog_panel(owner_client, connection, catalog):
    body = owner_client.get(reverse("connections:detail", args=[connection.pk])).content.decode()
    with merchant_scope(connection.merchant):
        catalog_settings = CatalogSettings.objects.get(connection=connection)
    assert f"/feeds/miinto/{catalog_settings.feed_token}.tsv" in body and catalog_settings.feed_username in body
    assert "we never convert currencies" in body and "Your store sells in DKK: the feed carries its prices" in body
    assert 'id="refresh-catalog"' in body and 'id="push-stock"' in body and 'id="rotate-feed-credentials"' in body
    assert "2 product(s) in the store" not in body and "4 product(s) in the store" in body


def test_the_panel_says_plainly_when_the_feed_carries_no_prices(owner_client, merchant, connection):
    with merchant_scope(merchant):
        connection.store_connection = make_store(merchant, name="Euro shop", currency="EUR")
        connection.save(update_fields=["store_connection"])
    body = owner_client.get(reverse("connections:detail", args=[connection.pk])).content.decode()
    assert "Your store sells in EUR: the price cells stay empty (Miinto permits this)" in body
    assert "The feed is not set up yet" in body


@pytest.mark.parametrize("flow,label", [("catalog", "Catalog refresh queued."), ("stock", "Stock push queued.")])
def test_the_buttons_queue_a_run(owner_client, merchant, connection, flow, label):
    response = owner_client.post(reverse("catalog:sync", args=[connection.pk, flow]), follow=True)
    with merchant_scope(merchant):
        run = SyncRun.objects.get()
    assert (run.flow, run.trigger, run.status) == (flow, "button", "queued")
    assert response.redirect_chain[-1][0] == reverse("connections:run-detail", args=[run.pk])
    assert label in response.content.decode()


def test_a_disabled_connection_refuses_the_buttons(owner_client, merchant, connection):
    with merchant_scope(merchant):
        connection.status = "disabled"
        connection.save(update_fields=["status"])
    response = owner_client.post(reverse("catalog:sync", args=[connection.pk, "stock"]), follow=True)
    assert "This connection is disabled." in response.content.decode()
    with scopes_disabled():
        assert SyncRun.objects.count() == 0


def test_feed_credentials_are_shown_once(owner_client, merchant, connection):
    response = owner_client.post(reverse("catalog:feed-credentials", args=[connection.pk]))
    credentials = response.context["credentials"]
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert f'id="feed-password">{credentials.password}<' in response.content.decode()
    page = owner_client.get(reverse("connections:detail", args=[connection.pk])).content.decode()
    assert credentials.password not in page and credentials.url in page and "Rotate feed credentials" in page


def test_stock_settings_are_saved_and_validated(owner_client, merchant, connection):
    url = reverse("catalog:stock-settings", args=[connection.pk])
    owner_client.post(url, {"stock_buffer": "2", "full_reassert_hours": "12"})
    bad = owner_client.post(url, {"stock_buffer": "-1", "full_reassert_hours": "0"}, follow=True)
    assert "Stock settings not saved." in bad.content.decode()
    with merchant_scope(merchant):
        saved = CatalogSettings.objects.get(connection=connection)
    assert (saved.stock_buffer, saved.full_reassert_hours) == (2, 12)


def test_a_viewer_reads_but_cannot_act(viewer_client, merchant, connection, catalog):
    assert viewer_client.get(reverse("catalog:products", args=[connection.pk])).status_code == 200
    body = viewer_client.get(reverse("connections:detail", args=[connection.pk])).content.decode()
    assert 'id="refresh-catalog"' not in body and 'id="rotate-feed-credentials"' not in body
    with merchant_scope(merchant):
        before = CatalogSettings.objects.values_list("feed_password_hash", "stock_buffer").get(connection=connection)
    for url, data in (
        (reverse("catalog:sync", args=[connection.pk, "catalog"]), {}),
        (reverse("catalog:sync", args=[connection.pk, "stock"]), {}),
        (reverse("catalog:feed-credentials", args=[connection.pk]), {}),
        (reverse("catalog:stock-settings", args=[connection.pk]), {"stock_buffer": "9", "full_reassert_hours": "2"}),
    ):
        assert viewer_client.post(url, data).status_code == 403
    with merchant_scope(merchant):
        assert CatalogSettings.objects.values_list("feed_password_hash", "stock_buffer").get(connection=connection) == before
        assert SyncRun.objects.count() == 0


def test_another_merchant_gets_404_and_changes_nothing(intruder_client, merchant, connection, catalog):
    make_miinto_connection(merchant, make_store(merchant, name="Second"), shop_id="1-m!i!s-047-4009", market="NO", currency="NOK")
    with merchant_scope(merchant):
        before = CatalogSettings.objects.values_list("feed_password_hash", "stock_buffer").get(connection=connection)
    assert intruder_client.get(reverse("catalog:products", args=[connection.pk])).status_code == 404
    assert intruder_client.get(reverse("catalog:product", args=[catalog["fine"].pk])).status_code == 404
    for url, data in (
        (reverse("catalog:sync", args=[connection.pk, "catalog"]), {}),
        (reverse("catalog:feed-credentials", args=[connection.pk]), {}),
        (reverse("catalog:stock-settings", args=[connection.pk]), {"stock_buffer": "9", "full_reassert_hours": "2"}),
    ):
        assert intruder_client.post(url, data).status_code == 404
    assert intruder_client.get(reverse("catalog:index")).context["rows"] == []
    with merchant_scope(merchant):
        assert CatalogSettings.objects.values_list("feed_password_hash", "stock_buffer").get(connection=connection) == before
        assert SyncRun.objects.count() == 0


def test_pages_cost_the_same_queries_for_more_products(owner_client, store, connection, credentials, client):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    def queries(url) -> int:
        with CaptureQueriesContext(db) as captured:
            assert owner_client.get(url).status_code == 200
        return len(captured)

    products_url, api_url = reverse("catalog:products", args=[connection.pk]), "/api/v1/catalog/products/"
    for _ in range(3):
        make_product(store)
    pull(client, credentials)
    few = queries(products_url), queries(api_url), queries(reverse("catalog:index"))
    for _ in range(20):
        make_product(store)
    pull(client, credentials)
    assert (queries(products_url), queries(api_url), queries(reverse("catalog:index"))) == few


def test_the_product_page_warns_when_the_store_changed_a_frozen_key(owner_client, merchant, store, connection, credentials, client):
    product = make_product(store, store_product_id="g9", item_group_id="g9-navy", color="Navy")
    assert "frozen" not in owner_client.get(reverse("catalog:product", args=[product.pk])).content.decode()  # not exported yet
    pull(client, credentials)
    body = owner_client.get(reverse("catalog:product", args=[product.pk])).content.decode()
    assert 'id="frozen-key-warning"' not in body and '<span class="badge text-bg-info">frozen</span>' in body
    store_describes(store, product, color="Midnight")
    body = owner_client.get(reverse("catalog:product", args=[product.pk])).content.decode()
    assert 'id="frozen-key-warning"' in body and 'The store now says <span translate="no">g9-midnight · Nordic · Midnight · M</span>.' in body
    assert 'id="stock-key"><span translate="no">g9-navy · Nordic · Navy · M</span> <span class="badge text-bg-info">frozen</span>' in body
