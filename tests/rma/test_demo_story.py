"""`make demo`'s story: after seeding, every screen has data: orders in the stores, a Stock only order whose stock was
lowered, a shipment with its label, a return waiting for a decision, a store refund that became an RMA request."""

from catalog.demo import seed_demo_catalog
from connections.demo import DEMO_SHOP_ID, seed_demo_connections
from connections.models import Problem
from koongo.accounts.tenancy import merchant_scope
from orders.models import Label, Order, Position, Shipment, StorePush
from rma.demo_story import demo_story_play
from rma.models import Rma, RmaRequestPush, StoreRefund
from tests.demo_world import demo_simulators


def test_the_demo_story_gives_every_screen_data(merchant, settings):
    with demo_simulators(settings):
        seed_demo_connections(merchant=merchant)
        seed_demo_catalog(merchant=merchant)
        told = demo_story_play(merchant)
        assert demo_story_play(merchant) == ["story: already played (returns exist)"]  # a second `make demo`
    with merchant_scope(merchant):
        dk_orders = Order.objects.filter(connection__shop_id=DEMO_SHOP_ID)
        assert dk_orders.filter(status__in=["in_store", "shipped"]).count() >= 3
        assert Position.objects.filter(connection__shop_id="1-m!i!s-046-1102", status="pending").exists()  # manual SE
        stock_only = StorePush.objects.filter(connection__shop_id="1-m!i!s-047-1103", kind="adjust_stock")
        assert stock_only.exists() and stock_only.filter(state="done").exists()
        assert Shipment.objects.filter(order__connection__shop_id=DEMO_SHOP_ID, status="sent").count() == 1
        courier = Problem.objects.get(kind="shipment_no_provider")
        assert "Copenhagen Bike Courier" in courier.message and courier.connection.shop_id == DEMO_SHOP_ID
        assert Label.objects.filter(order__connection__shop_id=DEMO_SHOP_ID).exists()
        assert Rma.objects.filter(status="pending", origin="customer").count() == 1
        refund = StoreRefund.objects.get()
        request = RmaRequestPush.objects.get(store_refund=refund)
        assert request.state == "done" and request.rma is not None
    assert any("waits for your decision" in line for line in told) and any("became an RMA request" in line for line in told)
