"""Stock push to the Miinto simulator: deltas of in-feed items only, the daily full reassert, the buffer, batches of
500, unknown items recorded, and a failed batch that loses nothing already pushed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from catalog.feed_access import catalog_settings_get
from catalog.models import CatalogSettings, Product, ProductListing
from catalog.stock import UNKNOWN_MESSAGE, stock_push
from connections import clients
from connections.models import ActivityEntry, Problem, SyncRun
from connections.sync.runs import sync_request, sync_run_execute
from koongo.accounts.tenancy import merchant_scope
from koongo.http import TransientError
from tests.catalog.conftest import DK_SHOP, IMAGE, make_product, miinto_reads_feed, pull


def _stock_run(connection) -> SyncRun:
    with merchant_scope(connection.merchant):
        run = sync_request(connection=connection, flow="stock", trigger="button")
        sync_run_execute(run)
        return SyncRun.objects.get(pk=run.pk)


def _live(sim, product_key) -> int:
    return sim.state.shops[DK_SHOP].stock.get(tuple(product_key[k] for k in ("group", "brand", "color", "size")))


def _pushes(sim) -> list[tuple[int, int, int]]:
    return [(p["items"], p["updated"], len(p["unknown"])) for p in sim.state.effects["stockPushes"]]


def _settings(connection, **changes):
    with merchant_scope(connection.merchant):
        catalog_settings = catalog_settings_get(connection)
        CatalogSettings.objects.filter(pk=catalog_settings.pk).update(**changes)


def _in_feed_and_known(client, miinto_sim, credentials):
    """Miinto pulled the feed and knows its items; Miinto's stock is what the feed said."""
    miinto_reads_feed(miinto_sim, DK_SHOP, pull(client, credentials).body)


@pytest.fixture
def three(store):
    return [make_product(store, stock=5) for _ in range(3)]


def test_deltas_push_only_what_changed(client, merchant, miinto_sim, connection, credentials, three):
    _in_feed_and_known(client, miinto_sim, credentials)
    _settings(connection, last_full_reassert_at=timezone.now())
    with merchant_scope(merchant):
        Product.objects.filter(pk=three[1].pk).update(stock=1)

    run = _stock_run(connection)

    assert _pushes(miinto_sim) == [(1, 1, 0)]
    with merchant_scope(merchant):
        key = Product.objects.get(pk=three[1].pk).stock_key()
        listing = ProductListing.objects.get(product=three[1])
    assert _live(miinto_sim, key) == 1 and listing.exported_stock == 1 and listing.stock_problem == ""
    assert (run.status, run.seen, run.pushed, run.skipped, run.failed, run.total) == ("succeeded", 1, 1, 2, 0, 1)
    with merchant_scope(merchant):
        assert ActivityEntry.objects.get(run=run, operation="stock deltas").payload["updated"] == 1
    again = _stock_run(connection)
    assert _pushes(miinto_sim) == [(1, 1, 0)] and (again.seen, again.skipped) == (0, 3)
    with merchant_scope(merchant):
        assert ActivityEntry.objects.filter(run=again).count() == 0  # nothing sent, nothing logged


def test_the_full_reassert_pushes_every_in_feed_item_daily(client, merchant, store, miinto_sim, connection, credentials, three):
    left_out = make_product(store, stock=7, image_urls=[])
    _in_feed_and_known(client, miinto_sim, credentials)
    _settings(connection, last_full_reassert_at=timezone.now() - timedelta(hours=25))

    run = _stock_run(connection)

    assert _pushes(miinto_sim) == [(3, 3, 0)]  # the left-out product is not in the feed, so never pushed
    assert (run.seen, run.pushed, run.skipped) == (3, 3, 0)
    with merchant_scope(merchant):
        reasserted = catalog_settings_get(connection).last_full_reassert_at
        assert ActivityEntry.objects.filter(run=run, operation="stock full reassert").count() == 1
        assert ProductListing.objects.get(product=left_out).exported_stock is None
    assert timezone.now() - reasserted < timedelta(minutes=1)
    _stock_run(connection)
    assert _pushes(miinto_sim) == [(3, 3, 0)]  # not due again for a day, and nothing changed

    _settings(connection, full_reassert_hours=1, last_full_reassert_at=timezone.now() - timedelta(hours=2))
    _stock_run(connection)
    assert _pushes(miinto_sim) == [(3, 3, 0), (3, 3, 0)]


def test_the_first_run_is_a_full_reassert(client, merchant, miinto_sim, connection, credentials, three):
    _in_feed_and_known(client, miinto_sim, credentials)
    _stock_run(connection)
    assert _pushes(miinto_sim) == [(3, 3, 0)]


def test_the_buffer_is_applied(client, merchant, store, miinto_sim, connection, credentials):
    plenty, last_one = make_product(store, stock=5), make_product(store, stock=1)
    _in_feed_and_known(client, miinto_sim, credentials)
    _settings(connection, stock_buffer=2)

    _stock_run(connection)

    with merchant_scope(merchant):
        keys = {p.pk: p.stock_key() for p in Product.objects.all()}
    assert (_live(miinto_sim, keys[plenty.pk]), _live(miinto_sim, keys[last_one.pk])) == (3, 0)


def test_1201_items_go_in_batches_of_500_500_and_201(client, merchant, store, miinto_sim, connection, credentials):
    with merchant_scope(merchant):
        Product.objects.bulk_create([
            Product(merchant=merchant, store_connection=store, store_product_id=f"bulk{n}", store_variant_id=f"bulk{n}", sku=f"B-{n}",
                    gtin=f"57099{n:08d}", title=f"Item {n}", brand="Nordic", color="Grey", size=str(n), image_urls=[IMAGE], stock=n % 4,
                    final_price=Decimal("10.00"), price_currency="DKK", prices_include_tax=True, item_group_id=f"bulk{n}-grey")
            for n in range(1201)
        ])  # fmt: skip
    _in_feed_and_known(client, miinto_sim, credentials)

    run = _stock_run(connection)

    assert _pushes(miinto_sim) == [(500, 500, 0), (500, 500, 0), (201, 201, 0)]
    assert (run.status, run.total, run.seen, run.pushed) == ("succeeded", 1201, 1201, 1201)


def test_unknown_items_are_recorded_and_cleared_once_miinto_knows_them(
    client, merchant, miinto_sim, connection, credentials, three
):
    body = pull(client, credentials).body  # served, but Miinto has not processed the feed yet

    run = _stock_run(connection)

    assert _pushes(miinto_sim) == [(3, 0, 3)]
    assert (run.status, run.seen, run.pushed, run.failed) == ("partial", 3, 0, 3)
    with merchant_scope(merchant):
        assert set(ProductListing.objects.values_list("stock_problem", flat=True)) == {UNKNOWN_MESSAGE}
        problem = Problem.objects.get(kind="stock_unknown_items")
    assert problem.message.startswith("3 item(s) in the feed of Nordic DK (DK) are unknown to Miinto's stock API.")
    assert [e["product"] for e in problem.excerpt["examples"]] == [p.pk for p in three]

    # Miinto takes their stock from the feed it now reads; a later change is pushed and then taken.
    miinto_reads_feed(miinto_sim, DK_SHOP, body)
    with merchant_scope(merchant):
        Product.objects.filter(pk=three[0].pk).update(stock=2)
    _stock_run(connection)
    assert _pushes(miinto_sim) == [(3, 0, 3), (1, 1, 0)]
    with merchant_scope(merchant):
        problems = dict(ProductListing.objects.values_list("product_id", "stock_problem"))
    assert problems == {three[0].pk: "", three[1].pk: UNKNOWN_MESSAGE, three[2].pk: UNKNOWN_MESSAGE}


def test_a_failed_batch_keeps_what_was_pushed_before_it(client, merchant, store, miinto_sim, connection, credentials):
    with merchant_scope(merchant):
        Product.objects.bulk_create([
            Product(merchant=merchant, store_connection=store, store_product_id=f"f{n}", store_variant_id=f"f{n}", gtin=f"57088{n:08d}", title=f"Item {n}",
                    brand="Nordic", color="Grey", size=str(n), image_urls=[IMAGE], stock=3, final_price=Decimal("10.00"),
                    price_currency="DKK", prices_include_tax=True, item_group_id=f"f{n}-grey")
            for n in range(600)
        ])  # fmt: skip
    _in_feed_and_known(client, miinto_sim, credentials)
    with merchant_scope(merchant):
        Product.objects.update(stock=F("stock") + 1)

        def fail_the_next_call(updated, unknown):
            miinto_sim.faults.fail_next, miinto_sim.faults.fail_status = 1, 503

        with clients.miinto_client(connection) as miinto, pytest.raises(TransientError):
            stock_push(connection=connection, client=miinto, on_batch=fail_the_next_call)
        assert ProductListing.objects.filter(exported_stock=4).count() == 500

        with clients.miinto_client(connection) as miinto:
            outcome = stock_push(connection=connection, client=miinto)
    assert (outcome.sent, outcome.updated, outcome.unchanged) == (100, 100, 500)
    assert [items for items, _, _ in _pushes(miinto_sim)] == [500, 100]


def test_a_connection_without_a_store_has_no_stock_to_push(merchant, miinto_sim, connection):
    with merchant_scope(merchant):
        connection.store_connection = None
        connection.save(update_fields=["store_connection"])
    run = _stock_run(connection)
    assert run.status == "partial" and "No store connection is linked" in run.error_summary
    assert _pushes(miinto_sim) == []
