"""Which products get a feed row: invalid ones are left out as mapping problems, the uniqueness key and feed id are
enforced, frozen keys are respected, out-of-stock and just-removed products stay at 0, and the buffer applies."""

from datetime import timedelta

from django.utils import timezone

from catalog.feed_access import catalog_settings_get
from catalog.models import CatalogSettings, Product, ProductListing
from connections.models import ActivityEntry, Problem
from koongo.accounts.tenancy import merchant_scope
from tests.catalog.conftest import feed_rows, make_miinto_connection, make_product, pull, store_describes


def _listing(merchant, product):
    with merchant_scope(merchant):
        return ProductListing.objects.get(product=product)


def test_a_duplicate_key_and_missing_mandatory_fields_become_mapping_problems(client, merchant, store, connection, credentials):
    kept = make_product(store, item_group_id="g1", color="Black", size="M")
    duplicate = make_product(store, item_group_id="g1", color="Black", size="M")
    no_brand = make_product(store, brand="")
    no_image = make_product(store, image_urls=["http://cdn.example.com/a.jpg", "https://cdn.example.com/a.png"])
    no_size_or_stock = make_product(store, size="", stock=None)

    rows = feed_rows(pull(client, credentials).body)

    assert [row["id"] for row in rows] == [kept.store_variant_id]
    assert _listing(merchant, kept).in_feed is True
    expected = {
        duplicate: f"Left out of the feed: duplicate key: item group, brand, colour and size as product {kept.pk}",
        no_brand: "Left out of the feed: no brand",
        no_image: "Left out of the feed: no HTTPS JPG or WEBP image",
        no_size_or_stock: "Left out of the feed: no size; no stock level in the store",
    }
    for product, problem in expected.items():
        listing = _listing(merchant, product)
        assert (listing.in_feed, listing.mapping_problem, listing.exported_stock, listing.exported_price_at) == (False, problem, None, None)
    with merchant_scope(merchant):
        problem = Problem.objects.get(kind="feed_rows_left_out")
        served = CatalogSettings.objects.get(connection=connection)
        [activity] = ActivityEntry.objects.filter(subject_type="feed")
    assert problem.message.startswith("4 product(s) were left out of the Miinto feed of Nordic DK (DK): ")
    assert {"1 duplicate key", "1 no brand", "1 no HTTPS JPG or WEBP image", "1 no size", "1 no stock level in the store"} <= set(
        problem.message.split(": ", 1)[1].split(". Fix")[0].split(", ")
    )
    assert [e["product"] for e in problem.excerpt["examples"]] == [duplicate.pk, no_brand.pk, no_image.pk, no_size_or_stock.pk]
    assert (served.feed_rows, served.feed_left_out) == (1, 4)
    assert activity.payload == {"rows": 1, "left_out": 4, "price_changes": 1} and activity.direction == "from_miinto"


def test_a_frozen_key_keeps_its_product_and_its_values(client, merchant, store, connection, credentials):
    newer_first = make_product(store, item_group_id="g2", color="Navy", size="S")
    frozen = make_product(store, item_group_id="g2-old", color="Blue", size="S",
                          exported_key={"group": "g2", "brand": "Nordic", "color": "Navy", "size": "S"})  # fmt: skip

    rows = feed_rows(pull(client, credentials).body)

    # The store renamed the frozen product's colour; Miinto knows it as Navy, and the key stays its own.
    assert [(row["id"], row["item_group_id"], row["color"]) for row in rows] == [(frozen.store_variant_id, "g2", "Navy")]
    assert _listing(merchant, newer_first).mapping_problem.endswith(f"as product {frozen.pk}")


def test_a_served_key_is_frozen_only_when_the_store_changes_it(client, merchant, store, connection, credentials):
    product = make_product(store, store_product_id="p3", item_group_id="p3-red", color="Red", size="XL")
    pull(client, credentials)
    with merchant_scope(merchant):
        product.refresh_from_db()
        assert product.exported_key is None  # serving wrote no product row: the current columns are the key Miinto knows
    store_describes(store, product, color="Crimson")
    with merchant_scope(merchant):
        product.refresh_from_db()
        assert (product.color, product.item_group_id) == ("Crimson", "p3-crimson")
        assert product.exported_key == {"group": "p3-red", "brand": "Nordic", "color": "Red", "size": "XL"}
    [row] = feed_rows(pull(client, credentials).body)
    assert (row["item_group_id"], row["color"]) == ("p3-red", "Red")
    store_describes(store, product, color="Scarlet")  # a second change keeps the key Miinto knows
    with merchant_scope(merchant):
        product.refresh_from_db()
        assert product.exported_key == {"group": "p3-red", "brand": "Nordic", "color": "Red", "size": "XL"}


def test_a_key_never_exported_changes_freely(merchant, store):
    product = make_product(store, store_product_id="p4", item_group_id="p4-red", color="Red")
    store_describes(store, product, color="Crimson")
    with merchant_scope(merchant):
        product.refresh_from_db()
        assert (product.item_group_id, product.exported_key) == ("p4-crimson", None)


def test_an_exported_key_stays_with_its_product_when_an_older_one_takes_the_same_values(client, merchant, store, connection, credentials):
    older = make_product(store, item_group_id="g5", color="Navy", size="S", brand="")  # left out: no brand
    served = make_product(store, item_group_id="g5", color="Navy", size="S", brand="Nordic")
    pull(client, credentials)
    with merchant_scope(merchant):
        Product.objects.filter(pk=older.pk).update(brand="Nordic")  # now the same key as the served one, and older
    rows = feed_rows(pull(client, credentials).body)
    assert [row["id"] for row in rows] == [served.store_variant_id]
    assert _listing(merchant, older).mapping_problem.endswith(f"as product {served.pk}")


def test_the_feed_id_is_the_identification_attribute_and_must_be_unique(client, merchant, store, credentials):
    by_sku = make_miinto_connection(merchant, store, shop_id="1-m!i!s-031-4005", market="NL", currency="EUR", attribute="sku")
    first = make_product(store, sku="TEE-1")
    twin = make_product(store, sku="TEE-1")
    no_sku = make_product(store, sku="")
    custom = make_product(store, sku="TEE-9", identifiers={"sku": "TEE-9-X"})
    from catalog.feed_access import feed_credentials_rotate

    with merchant_scope(merchant):
        nl_credentials = feed_credentials_rotate(connection=by_sku)
    rows = feed_rows(pull(client, nl_credentials).body)
    assert [row["id"] for row in rows] == ["TEE-1", "TEE-9-X"]
    with merchant_scope(merchant):
        problems = dict(ProductListing.objects.filter(connection=by_sku, in_feed=False).values_list("product_id", "mapping_problem"))
    assert problems == {twin.pk: f"Left out of the feed: feed id TEE-1 is also used by product {first.pk}",
                        no_sku.pk: "Left out of the feed: no sku value to use as the feed id"}  # fmt: skip
    assert custom.pk not in problems


def test_a_repeated_or_malformed_gtin_is_left_empty_not_the_row(client, merchant, store, connection, credentials):
    first = make_product(store, gtin="5701234999990")
    second = make_product(store, gtin="5701234999990")
    malformed = make_product(store, gtin="12-34")
    rows = feed_rows(pull(client, credentials).body)
    assert [(row["id"], row["gtin"]) for row in rows] == [
        (first.store_variant_id, "5701234999990"), (second.store_variant_id, ""), (malformed.store_variant_id, ""),
    ]  # fmt: skip
    assert _listing(merchant, second).mapping_problem == "GTIN repeats another row's; sent without it"
    assert _listing(merchant, malformed).mapping_problem == "GTIN is not 9–13 digits; sent without it"


def test_out_of_stock_rows_stay_at_zero_and_a_removed_product_for_an_hour(client, merchant, store, connection, credentials):
    sold_out = make_product(store, stock=0)
    just_removed = make_product(store, stock=4, removed_at=timezone.now() - timedelta(minutes=30))
    long_gone = make_product(store, stock=4)
    pull(client, credentials)
    assert _listing(merchant, long_gone).in_feed is True
    with merchant_scope(merchant):
        Product.objects.filter(pk=long_gone.pk).update(removed_at=timezone.now() - timedelta(hours=2))

    rows = feed_rows(pull(client, credentials).body)

    assert [(row["id"], row["c:stock_level:integer"]) for row in rows] == [(sold_out.store_variant_id, "0"), (just_removed.store_variant_id, "0")]
    assert _listing(merchant, long_gone).in_feed is False


def test_the_stock_buffer_lowers_the_feed_stock(client, merchant, store, connection, credentials):
    make_product(store, stock=5)
    make_product(store, stock=1)
    with merchant_scope(merchant):
        CatalogSettings.objects.filter(pk=catalog_settings_get(connection).pk).update(stock_buffer=2)
    assert [row["c:stock_level:integer"] for row in feed_rows(pull(client, credentials).body)] == ["3", "0"]


def test_a_connection_without_a_store_serves_the_header_only(client, merchant, connection, credentials):
    with merchant_scope(merchant):
        connection.store_connection = None
        connection.save(update_fields=["store_connection"])
    body = pull(client, credentials).body
    assert body.count(b"\n") == 1 and body.startswith(b"id\titem_group_id\t")
