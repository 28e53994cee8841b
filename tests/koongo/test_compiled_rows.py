"""CompiledRows: the ORM's rows from SQL compiled once per shape, with the tenant as an argument, never compiled in."""

from __future__ import annotations

import random

import pytest
from django.db.models import F

from bench.data_scale import load_orders
from connections.models import SyncRun
from koongo.accounts.tenancy import merchant_scope
from koongo.compiled_rows import CompiledRows
from orders.models import Order, OrderLine
from tests.catalog.conftest import make_miinto_connection, make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(merchant, other_merchant) -> dict:
    """Five orders of merchant A and two of B, with lines and decisions, by the bench's loader."""
    connections, runs = [], []
    for tenant in (merchant, other_merchant):
        connection = make_miinto_connection(tenant, make_store(tenant), shop_id=f"shop-of-{tenant.pk}")
        with merchant_scope(tenant):
            runs.append(SyncRun.objects.create(merchant=tenant, connection=connection, flow="orders", trigger="schedule", status="succeeded"))
        connections.append(connection)
    load_orders([merchant, other_merchant], connections, runs, [0] * 5 + [1] * 2, random.Random(1))
    ids = {}
    for tenant in (merchant, other_merchant):
        with merchant_scope(tenant):
            ids[tenant.pk] = list(Order.objects.order_by("pk").values_list("pk", flat=True))
    return ids


def _lines(merchant_id: int, order_ids: list[int]):
    return (
        OrderLine._base_manager.filter(merchant_id=merchant_id, order_id__in=order_ids)
        .order_by("pk")
        .values("order_id", "sku", "unit_price", decided_at=F("position__decision__created_at"))
    )


def test_rows_are_the_orms_for_every_length_and_each_length_is_compiled_once(orders, merchant, other_merchant):
    ids, theirs = orders[merchant.pk], orders[other_merchant.pk]
    rows = CompiledRows(_lines)
    for length in (1, 3, 5, 3, 1):
        expected = list(_lines(merchant.pk, ids[:length]))
        assert expected and rows(merchant_id=merchant.pk, order_ids=ids[:length]) == expected
    assert len(rows._shapes) == 3  # lengths 1, 3 and 5
    # The same compiled shape with another tenant's values: the tenant is a parameter, not part of the SQL.
    assert rows(merchant_id=merchant.pk, order_ids=theirs + ids[:1]) == list(_lines(merchant.pk, ids[:1]))
    assert rows(merchant_id=other_merchant.pk, order_ids=theirs) == list(_lines(other_merchant.pk, theirs))


def test_a_scoped_manager_or_a_constant_is_refused_when_the_shape_is_compiled(orders, merchant):
    ids = orders[merchant.pk][:1]
    scoped = CompiledRows(lambda order_ids: OrderLine.objects.filter(order_id__in=order_ids).values("sku"))
    with merchant_scope(merchant), pytest.raises(ValueError, match="do not come from the arguments"):
        scoped(order_ids=ids)  # the scope's merchant id would be compiled in and served to every tenant
    constant = CompiledRows(lambda order_ids: OrderLine._base_manager.filter(order_id__in=order_ids, quantity__gte=1).values("sku"))
    with pytest.raises(ValueError, match="do not come from the arguments"):
        constant(order_ids=ids)
