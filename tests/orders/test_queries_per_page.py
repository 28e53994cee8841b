"""DB queries of the whole orders pipeline (run, decision batch, store pushes) stay within a bound per transfer, the
same for 10 and 30 transfers: nothing is read once per order that could be read once per page."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from koongo.accounts.tenancy import merchant_scope
from orders.decision_batches import decision_batch_run
from orders.models import DecisionPush, Order, StorePush
from orders.store_batches import store_batch_run
from tests.orders.conftest import GTIN_JEANS, GTIN_TEE_M

PER_TRANSFER = 15  # the target for queries per order
# What one more accepted order costs across the pipeline (3 measured; bench/sync_orders.py measures 5.6 per order with
# its run's share): the order's own inserts (order, lines, store push, label fetch). Its decision push and store push
# go a chunk at a time: claims, loads, the sent marks and store ids, the order.pushed events, completions, activity.
PER_ORDER = 4
FIXED = 60  # a run's own bookkeeping (request, lock, heartbeat, counters, finish), whatever its size


def _pipeline(world, accepted: int, declined: int) -> int:
    """Offer the transfers, run the orders flow, then its decision batch and store batch as the workers would."""
    for _ in range(accepted):
        world.offer((GTIN_TEE_M, 10000, 1))
    for _ in range(declined):
        world.offer((GTIN_JEANS, 10000, 1))  # out of stock: declined by the rule
    with CaptureQueriesContext(connection) as queries:
        world.sync(pushes=False)
        with merchant_scope(world.merchant):
            pending = list(DecisionPush.objects.filter(state="pending").values_list("pk", flat=True))
        assert decision_batch_run(pending) == {"done": accepted + declined}
        with merchant_scope(world.merchant):
            stores = list(StorePush.objects.filter(state="pending").values_list("pk", flat=True))
        assert store_batch_run(stores) == ({"done": accepted} if accepted else {})
    return len(queries)


def test_queries_per_transfer_are_bounded_and_the_same_for_10_and_30(world):
    world.configure(auto_accept=True)
    small = _pipeline(world, accepted=2, declined=8)
    large = _pipeline(world, accepted=2, declined=28)
    with merchant_scope(world.merchant):
        assert Order.objects.count() == 4 and len(world.store_orders()) == 4
    assert small <= FIXED + PER_TRANSFER * 10
    assert large <= FIXED + PER_TRANSFER * 30
    # 20 more transfers cost at most 15 queries each more: the cost per transfer does not grow with the page.
    assert large - small <= PER_TRANSFER * 20, (small, large)


def test_each_more_order_costs_the_same_few_queries(world):
    world.configure(auto_accept=True)
    small = _pipeline(world, accepted=1, declined=0)
    large = _pipeline(world, accepted=4, declined=0)  # the catalog has 5 of this product
    assert (large - small) / 3 <= PER_ORDER, (small, large, (large - small) / 3)
