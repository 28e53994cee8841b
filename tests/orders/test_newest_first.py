"""Every list sorts newest first: the dashboard's orders and needs-attention lists, and every API list endpoint."""

import re
import time

from koongo.registry import api_routes
from orders.models import Position, Transfer
from tests.conftest import make_api_client
from tests.orders.conftest import GTIN_TEE_M


def _offer_three(world):
    now = time.time()
    ids = [world.offer((GTIN_TEE_M, 10000, 1), created_at=now - hours * 3600) for hours in (5, 3, 1)]
    world.sync()
    return ids  # oldest first


def test_orders_and_needs_attention_list_the_newest_first(world, owner_client):
    oldest, middle, newest = _offer_three(world)
    orders = owner_client.get("/orders/").content.decode()
    listed = [int(i) for i in re.findall(r'<a href="/orders/\d+/">(\d+)</a>', orders)]
    assert listed == [newest, middle, oldest]
    attention = owner_client.get("/orders/needs-attention/").content.decode()
    by_transfer = {p.miinto_id: p.transfer.miinto_id for p in Position.objects.select_related("transfer")}
    rows = [by_transfer[int(i)] for i in re.findall(r'id="attention-(\d+)"', attention)]
    assert rows == [newest, middle, oldest]


def test_the_api_lists_transfers_and_positions_newest_first(world, merchant):
    oldest, middle, newest = _offer_three(world)
    api = make_api_client(merchant)
    transfers = [row["miinto_id"] for row in api.get("/api/v1/transfers/").json()["results"]]
    assert transfers == [newest, middle, oldest]
    positions = [row["id"] for row in api.get("/api/v1/positions/").json()["results"]]
    assert positions == sorted(positions, reverse=True) and len(positions) == 3
    assert Transfer.objects.count() == 3


def test_every_api_list_pages_newest_first():
    """Every list endpoint keeps the default cursor pages (`-pk`: ids only grow) or another newest-first ordering."""
    orderings = {prefix: viewset.pagination_class.ordering for prefix, viewset, _ in api_routes() if viewset.pagination_class}
    assert orderings and all(str(ordering).startswith("-") for ordering in orderings.values()), orderings
