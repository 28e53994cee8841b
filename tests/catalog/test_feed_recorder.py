"""The feed's recorder: on PostgreSQL, outside a transaction, a second thread writes each served chunk while the next one
renders; its records are the same as the inline path's, a write failure surfaces, and its connection is closed."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection as db

from catalog import feed
from catalog.feed_access import feed_credentials_rotate
from catalog.feed_recorder import ChunkRecorder
from catalog.models import PriceExport, Product, ProductListing
from koongo.accounts.plans import seed_plans
from koongo.accounts.tenancy import merchant_scope
from tests.catalog.conftest import make_miinto_connection, make_product, make_store, pull


@pytest.fixture
def committed(transactional_db):
    """Committed rows, which the recorder's own connection can see (a transactional test's flush removed the plans)."""
    from koongo.accounts.models import Plan

    seed_plans(Plan)


@pytest.mark.postgres
def test_a_pull_outside_a_transaction_records_on_a_second_thread(committed, client, monkeypatch):
    from tests.factories import MerchantFactory

    merchant = MerchantFactory(name="Threaded")
    store = make_store(merchant)
    connection = make_miinto_connection(merchant, store)
    monkeypatch.setattr(feed, "CHUNK", 5)
    products = [make_product(store, final_price=Decimal("50.00") + n) for n in range(12)]
    make_product(store, image_urls=[])
    with merchant_scope(merchant):
        credentials = feed_credentials_rotate(connection=connection)
    writers = set()
    real = feed.feed_chunk_record

    def spy(*args):
        writers.add(threading.current_thread().name)
        real(*args)

    monkeypatch.setattr(feed, "feed_chunk_record", spy)
    assert ChunkRecorder(merchant).threaded is True

    assert pull(client, credentials).body.count(b"\n") == 13

    assert len(writers) == 1 and next(iter(writers)).startswith("feed-recorder")
    with merchant_scope(merchant):
        assert ProductListing.objects.filter(in_feed=True).count() == 12 and ProductListing.objects.filter(in_feed=False).count() == 1
        assert sorted(PriceExport.objects.values_list("discount_price", flat=True)) == [Decimal("50.00") + n for n in range(12)]
        assert Product.objects.filter(exported_key__isnull=False).count() == 0  # serving rewrites no product (key_freeze)
        assert {p.pk for p in products} == set(ProductListing.objects.filter(in_feed=True).values_list("product_id", flat=True))


def test_inside_a_transaction_the_recorder_writes_inline(db):
    recorder = ChunkRecorder(merchant=None)
    calls = []
    recorder.record(lambda value: calls.append((value, threading.current_thread() is threading.main_thread())), 1)
    recorder.close()
    assert recorder.threaded is False and calls == [(1, True)]


@pytest.mark.postgres
def test_a_failed_write_on_the_thread_surfaces_and_the_thread_is_released(committed):
    from tests.factories import MerchantFactory

    assert not db.in_atomic_block
    recorder = ChunkRecorder(MerchantFactory(name="Failing"))
    assert recorder.threaded

    def broken():
        raise RuntimeError("disk full")

    recorder.record(broken)
    with pytest.raises(RuntimeError, match="disk full"):
        recorder.close()
    assert recorder._executor is None
