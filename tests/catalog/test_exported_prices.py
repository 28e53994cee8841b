"""Serving the feed records exported prices per listing: a PriceExport only when the price changed; the rule's reference."""

from decimal import Decimal

from catalog.models import PriceExport, Product, ProductListing
from catalog.selectors import LAST_EXPORTED, REFERENCE_ATTRIBUTE, ReferencePriceValue, reference_price
from connections.models import ReferencePrice
from koongo.accounts.tenancy import merchant_scope
from tests.catalog.conftest import make_product, make_store, pull


def _exports(merchant):
    with merchant_scope(merchant):
        return list(PriceExport.objects.order_by("pk").values_list("retail_price", "discount_price", "currency"))


def test_a_changed_price_is_recorded_once_and_an_unchanged_one_writes_nothing(client, merchant, store, connection, credentials):
    product = make_product(store, final_price=Decimal("100.00"), original_price=Decimal("120.00"))
    pull(client, credentials)
    pull(client, credentials)
    assert _exports(merchant) == [(Decimal("120.00"), Decimal("100.00"), "DKK")]

    with merchant_scope(merchant):
        Product.objects.filter(pk=product.pk).update(final_price=Decimal("90.00"))
    pull(client, credentials)
    pull(client, credentials)
    assert _exports(merchant) == [(Decimal("120.00"), Decimal("100.00"), "DKK"), (Decimal("120.00"), Decimal("90.00"), "DKK")]
    with merchant_scope(merchant):
        listing = ProductListing.objects.get()
    assert (listing.exported_retail_price, listing.exported_discount_price, listing.exported_currency) == (
        Decimal("120.00"), Decimal("90.00"), "DKK",
    )  # fmt: skip
    assert listing.in_feed and listing.exported_stock == 5 and listing.exported_price_at is not None


def test_reference_price_falls_back_to_the_attribute_until_a_price_is_exported(client, merchant, store, connection, credentials):
    product = make_product(store, final_price=Decimal("80.00"), original_price=Decimal("100.00"))
    with merchant_scope(merchant):
        assert reference_price(product, connection) == ReferencePriceValue(Decimal("80.00"), "DKK", REFERENCE_ATTRIBUTE)
        assert reference_price(product, connection, ReferencePrice.ORIGINAL) == ReferencePriceValue(Decimal("100.00"), "DKK", REFERENCE_ATTRIBUTE)
    pull(client, credentials)
    with merchant_scope(merchant):
        Product.objects.filter(pk=product.pk).update(final_price=Decimal("70.00"))  # the store changed; Miinto has not pulled yet
        assert reference_price(product, connection) == ReferencePriceValue(Decimal("80.00"), "DKK", LAST_EXPORTED)


def test_exported_prices_are_per_connection(client, merchant, store, connection, credentials):
    from catalog.feed_access import feed_credentials_rotate
    from tests.catalog.conftest import SE_SHOP, make_miinto_connection

    product = make_product(store)
    sweden = make_miinto_connection(merchant, store, shop_id=SE_SHOP, market="SE", currency="SEK")
    with merchant_scope(merchant):
        swedish_credentials = feed_credentials_rotate(connection=sweden)
    pull(client, credentials)
    pull(client, swedish_credentials)  # a DKK store has no SEK price: the SEK feed's price cells stay empty
    with merchant_scope(merchant):
        assert reference_price(product, connection).source == LAST_EXPORTED
        assert reference_price(product, sweden) == ReferencePriceValue(Decimal("100.00"), "DKK", REFERENCE_ATTRIBUTE)
        assert ProductListing.objects.get(connection=sweden).in_feed is True
    assert _exports(merchant) == [(Decimal("100.00"), Decimal("100.00"), "DKK")]


def test_no_price_export_when_the_store_currency_differs(client, merchant, connection, credentials):
    euro_store = make_store(merchant, name="Euro shop", currency="EUR")
    with merchant_scope(merchant):
        connection.store_connection = euro_store
        connection.save(update_fields=["store_connection"])
    make_product(euro_store, price_currency="EUR")
    assert len(pull(client, credentials).body.decode().splitlines()) == 2
    assert _exports(merchant) == []
