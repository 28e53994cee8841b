"""Catalog test fixtures: a store with products written directly, a DK connection, the Miinto simulator, and helpers that
pull the feed as Miinto does (Basic Auth) and teach the simulator the feed's rows."""

from __future__ import annotations

import base64
import csv
import io
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from catalog.feed_access import feed_credentials_rotate
from catalog.models import Product
from connections import clients
from connections.models import ConnectionStatus, MiintoConnection, OrderConfiguration, StoreConnection
from koongo.accounts.tenancy import merchant_scope
from koongo.sandbox_kit import wsgi_transport
from miinto.sandbox import MiintoSimulator

MIINTO_USER, MIINTO_PASSWORD = "catalog@nordic.example", "miinto-catalog-pw"
DK_SHOP, SE_SHOP = "1-m!i!s-045-4001", "1-m!i!s-046-4002"
IMAGE = "https://cdn.example.com/p/tee-black.jpg"


def make_store(merchant, *, name: str = "Webshop", currency: str = "DKK") -> StoreConnection:
    with merchant_scope(merchant):
        return StoreConnection.objects.create(
            merchant=merchant, platform="shopify", name=name, credentials={"shop_domain": "x.myshopify.com"}, currency=currency,
            prices_include_tax=True, last_test_ok=True,
        )  # fmt: skip


def make_miinto_connection(merchant, store, *, shop_id: str = DK_SHOP, market: str = "DK", currency: str = "DKK",
                           attribute: str = "id") -> MiintoConnection:  # fmt: skip
    """An active connection whose client logs in to the simulator on first use (no cached token)."""
    with merchant_scope(merchant):
        connection = MiintoConnection.objects.create(
            merchant=merchant, environment="simulator", username=MIINTO_USER, password=MIINTO_PASSWORD, channel_id="",
            channel_token="", shop_id=shop_id, market=market, shop_name=f"Nordic {market}", currency=currency,
            store_connection=store, status=ConnectionStatus.ACTIVE,
        )  # fmt: skip
        OrderConfiguration.objects.create(merchant=merchant, connection=connection, product_identification_attribute=attribute)
        return connection


_serial = iter(range(1, 10**9))


def make_product(store, **fields) -> Product:
    """A valid, in-stock DKK product unless `fields` say otherwise."""
    n = next(_serial)
    values = {
        "store_product_id": f"p{n}", "store_variant_id": f"v{n}", "sku": f"SKU-{n}", "gtin": f"57012340{n:05d}",
        "title": f"Tee {n}", "brand": "Nordic", "color": "Black", "size": "M", "image_urls": [IMAGE], "stock": 5,
        "final_price": Decimal("100.00"), "original_price": Decimal("100.00"), "price_currency": "DKK", "prices_include_tax": True,
        "item_group_id": f"p{n}-black",
    }  # fmt: skip
    values.update(fields)
    with merchant_scope(store.merchant):
        return Product.objects.create(merchant_id=store.merchant_id, store_connection=store, **values)


def store_describes(store, product: Product, **changes) -> None:
    """The store now describes `product` with `changes` (colour, size, brand): a catalog refresh upserts that page."""
    from catalog.services import products_upsert
    from platforms.values import StorePrice, StoreProduct

    price = StorePrice(amount=product.final_price, currency=product.price_currency, tax_included=True)
    values = {"color": product.color, "size": product.size, "brand": product.brand, **changes}
    item = StoreProduct(product_id=product.store_product_id, variant_id=product.store_variant_id, sku=product.sku, gtin=product.gtin,
                        title=product.title, category=product.category, image_urls=tuple(product.image_urls), stock=product.stock,
                        final_price=price, original_price=price, **values)  # fmt: skip
    with merchant_scope(store.merchant):
        products_upsert(store, [item])


@pytest.fixture
def store(merchant):
    return make_store(merchant)


@pytest.fixture
def connection(merchant, store):
    return make_miinto_connection(merchant, store)


@pytest.fixture
def credentials(connection):
    with merchant_scope(connection.merchant):
        return feed_credentials_rotate(connection=connection)


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def pull(client, credentials, *, url: str | None = None, username: str | None = None, password: str | None = None):
    """GET the feed as Miinto does; returns the response with its whole body read (as `.body`)."""
    path = urlsplit(url or credentials.url).path
    response = client.get(path, HTTP_AUTHORIZATION=basic(username or credentials.username, password or credentials.password))
    response.body = b"".join(response.streaming_content) if response.streaming else response.content
    return response


def feed_rows(body: bytes) -> list[dict]:
    """The feed parsed as Miinto would: TSV with REF's quoting (doubled quotes inside quoted values)."""
    return list(csv.DictReader(io.StringIO(body.decode()), delimiter="\t", quotechar='"'))


@pytest.fixture
def miinto_sim():
    """The Miinto simulator with DK and SE shops, wired into every Miinto client."""
    sim = MiintoSimulator(seed=11)
    sim.state.add_account(
        MIINTO_USER,
        MIINTO_PASSWORD,
        [{"market": "DK", "name": "Nordic DK", "localId": 4001}, {"market": "SE", "name": "Nordic SE", "localId": 4002}],
    )
    with clients.use_transport("miinto", wsgi_transport(sim)):
        yield sim


def miinto_reads_feed(sim: MiintoSimulator, shop_id: str, body: bytes) -> None:
    """What Miinto does with a pulled feed: its rows become the shop's items (by GTIN), known to the stock API."""
    sim.state.load_catalog(
        shop_id,
        [
            {"gtin": row["gtin"], "sku": row["id"], "group": row["item_group_id"], "brand": row["brand"], "color": row["color"],
             "size": row["size"], "title": row["title"]}
            for row in feed_rows(body)
        ],
    )  # fmt: skip
