"""The shipments flow: store shipments reach Miinto once each, with the mapped, matched or default provider."""

from connections.models import OrderConfiguration, OutboxState, Problem, ProblemState
from connections.sync.problems import problem_retry
from koongo.accounts.tenancy import merchant_scope
from orders.models import Order, Shipment, ShipmentPoll, ShipmentPush
from orders.shipments.carrier_mapping import carrier_mapping_set
from tests.orders.shipments.shipping import (
    accepted_order,
    make_due,
    miinto_shipments,
    position_of,
    run,
    ship_in_store,
    two_line_order,
)


def _shipment(world) -> Shipment:
    with merchant_scope(world.merchant):
        return Shipment.objects.select_related("push").get()


def test_a_mapped_carrier_sends_the_mapped_provider(world):
    order = accepted_order(world)
    with merchant_scope(world.merchant):
        carrier_mapping_set(
            merchant=world.merchant,
            connection=world.connection,
            carrier="Nordic Express",
            provider_id="postnord-dk",
            provider_name="PostNord",
        )
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="Nordic Express", tracking="NE-1001", url="https://track.example/NE-1001")
    finished = run(world, "shipments")
    assert finished.status == "succeeded", finished.error_summary
    [sent] = miinto_shipments(world)
    assert (sent["orderId"], sent["providerId"], sent["trackAndTrace"], sent["positions"], sent["created"]) == (
        order.miinto_id,
        "postnord-dk",
        "NE-1001",
        [position_of(world, order, "TEE-BLK-M")],
        True,
    )
    shipment = _shipment(world)
    assert (shipment.status, shipment.provider_source, shipment.provider_name) == ("sent", "mapping", "PostNord")
    assert shipment.tracking_url == "https://track.example/NE-1001" and shipment.miinto_shipment_id == sent["shipmentId"]
    assert world.miinto.state.orders[order.miinto_id].status == "sent"
    with merchant_scope(world.merchant):
        assert Order.objects.get(pk=order.pk).status == "shipped"


def test_a_carrier_without_a_mapping_is_matched_by_its_name(world):
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="General Logistics Systems", tracking="GLS-1")
    run(world, "shipments")
    assert [s["providerId"] for s in miinto_shipments(world)] == ["gls-dk"]
    assert _shipment(world).provider_source == "carrier_name"


def test_an_unmapped_carrier_uses_the_default_shipping_service(world):
    world.configure(default_shipping_provider_id="postnord-dk", default_shipping_provider_name="PostNord")
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="Bob's Courier", tracking="BOB-7")
    run(world, "shipments")
    assert [(s["providerId"], s["trackAndTrace"]) for s in miinto_shipments(world)] == [("postnord-dk", "BOB-7")]
    assert _shipment(world).provider_source == "default"


def test_no_provider_and_no_default_raises_a_problem_and_sends_nothing(world):
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="Bob's Courier", tracking="BOB-7")
    run(world, "shipments")
    run(world, "shipments")
    assert miinto_shipments(world) == []
    with merchant_scope(world.merchant):
        problem = Problem.objects.get()
        assert problem.kind == "shipment_no_provider" and problem.state == ProblemState.OPEN
        assert problem.message == 'Carrier "Bob\'s Courier" has no Miinto provider; set a mapping or a default.'
        assert problem.occurrences == 1  # raised when the shipment got stuck, not again on every run
        assert ShipmentPush.objects.count() == 0
    assert _shipment(world).status == "needs_provider"


def test_a_default_the_order_does_not_allow_is_named_in_the_problem(world):
    # A default Miinto stopped offering after it was saved: the configuration rules refuse to save an unknown one now.
    with merchant_scope(world.merchant):
        OrderConfiguration.objects.filter(connection=world.connection).update(
            default_shipping_provider_id="ghost-dk", default_shipping_provider_name="Ghost Parcels"
        )
        world.connection.order_configuration.refresh_from_db()
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="Bob's Courier", tracking="BOB-7")
    run(world, "shipments")
    with merchant_scope(world.merchant):
        problem = Problem.objects.get()
    assert problem.message == (
        'Carrier "Bob\'s Courier" has no Miinto provider; set a mapping or a default. '
        f"The Default Shipping Service (Ghost Parcels) is not one of Miinto's providers for order {order.parent_order_id}."
    )
    assert miinto_shipments(world) == []


def test_a_mapping_set_after_the_problem_sends_the_shipment_on_retry(world):
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="Bob's Courier", tracking="BOB-7")
    run(world, "shipments")
    with merchant_scope(world.merchant):
        problem = Problem.objects.get()
        carrier_mapping_set(
            merchant=world.merchant,
            connection=world.connection,
            carrier="bobs courier",
            provider_id="gls-dk",
            provider_name="GLS",
        )
        problem_retry(merchant=world.merchant, problem=problem, by="owner")
        assert ShipmentPush.objects.get().state == OutboxState.PENDING  # queued by the retry; a worker sends it
    run(world, "shipments")
    assert [(s["providerId"], s["trackAndTrace"]) for s in miinto_shipments(world)] == [("gls-dk", "BOB-7")]
    with merchant_scope(world.merchant):
        assert Problem.objects.get().state == ProblemState.RETRIED
    assert _shipment(world).status == "sent"


def test_a_default_set_later_sends_the_shipment_and_closes_the_problem(world):
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="Bob's Courier", tracking="BOB-7")
    run(world, "shipments")
    world.configure(default_shipping_provider_id="gls-dk", default_shipping_provider_name="GLS")
    run(world, "shipments")
    assert [s["providerId"] for s in miinto_shipments(world)] == ["gls-dk"]
    with merchant_scope(world.merchant):
        problem = Problem.objects.get()
    assert (problem.state, problem.resolved_by) == (ProblemState.HANDLED, "Koongo: a provider now applies to this carrier")


def test_a_retry_of_a_problem_still_without_a_provider_is_refused(world):
    from connections.sync.problems import ProblemActionRefused

    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="Bob's Courier", tracking="BOB-7")
    run(world, "shipments")
    with merchant_scope(world.merchant):
        problem = Problem.objects.get()
        try:
            problem_retry(merchant=world.merchant, problem=problem, by="owner")
        except ProblemActionRefused as refused:
            assert str(refused) == 'Carrier "Bob\'s Courier" still has no Miinto provider; set a mapping or a default first.'
        else:
            raise AssertionError("the retry should have been refused")
        assert Problem.objects.get().state == ProblemState.OPEN
    assert miinto_shipments(world) == []


def test_a_shipment_is_sent_once_when_the_sync_runs_twice(world):
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="GLS", tracking="GLS-1")
    run(world, "shipments")
    with merchant_scope(world.merchant):
        ShipmentPoll.objects.update(watermark=None, swept_at=None)  # the second run re-reads everything
    second = run(world, "shipments")
    assert second.seen == 1
    assert [s["created"] for s in miinto_shipments(world)] == [True]
    assert len(world.miinto.state.orders[order.miinto_id].shipments) == 1
    with merchant_scope(world.merchant):
        assert (Shipment.objects.count(), ShipmentPush.objects.count()) == (1, 1)


def test_a_shipment_is_sent_once_when_a_retry_follows_a_timeout(world):
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="GLS", tracking="GLS-1")
    world.miinto_transport.match = lambda request: request.method == "POST" and request.url.path.endswith("/shipments")
    world.miinto_transport.timeout_after = 1  # Miinto applies it, and the answer is lost
    run(world, "shipments")
    with merchant_scope(world.merchant):
        push = ShipmentPush.objects.get()
    assert push.state == OutboxState.FAILED and push.last_error.startswith("TransientError:"), push.last_error
    assert _shipment(world).status == "queued"
    make_due(ShipmentPush)
    run(world, "shipments")
    assert [s["created"] for s in miinto_shipments(world)] == [True, False]  # the retry found the first shipment
    assert len(world.miinto.state.orders[order.miinto_id].shipments) == 1
    shipment = _shipment(world)
    assert shipment.status == "sent" and shipment.push.state == OutboxState.DONE


def test_a_partial_shipment_sends_its_lines_only(world):
    order = two_line_order(world)
    tee_m, tee_l = position_of(world, order, "TEE-BLK-M"), position_of(world, order, "TEE-BLK-L")
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="GLS", tracking="GLS-1")
    run(world, "shipments")
    assert [(s["trackAndTrace"], s["positions"]) for s in miinto_shipments(world)] == [("GLS-1", [tee_m])]
    with merchant_scope(world.merchant):
        assert Order.objects.get(pk=order.pk).status == "in_store"
    ship_in_store(world, order, ["TEE-BLK-L"], carrier="GLS", tracking="GLS-2")
    run(world, "shipments")
    assert [(s["trackAndTrace"], s["positions"]) for s in miinto_shipments(world)] == [("GLS-1", [tee_m]), ("GLS-2", [tee_l])]
    with merchant_scope(world.merchant):
        assert Order.objects.get(pk=order.pk).status == "shipped"


def test_a_shipment_without_tracking_waits_for_it(world):
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="GLS", tracking="")
    run(world, "shipments")
    assert miinto_shipments(world) == []
    assert _shipment(world).status == "awaiting_tracking"
    shop = world.shopify.shop()
    fulfillment = shop.order(order.store_order_id).fulfillments[-1]
    fulfillment.tracking = [{"company": "GLS", "number": "GLS-LATE", "url": None}]
    fulfillment.updated_at = shop.now()
    run(world, "shipments")
    assert [s["trackAndTrace"] for s in miinto_shipments(world)] == ["GLS-LATE"]
    assert _shipment(world).status == "sent"


def test_shipments_of_orders_that_are_not_ours_are_skipped(world):
    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="GLS", tracking="GLS-1")
    with merchant_scope(world.merchant):
        Order.objects.filter(pk=order.pk).update(store_order_id="gid://shopify/Order/999999")
    world.shopify.shop().order(order.store_order_id).source_identifier = "someone-else-1"
    finished = run(world, "shipments")
    assert (finished.seen, finished.skipped) == (0, 1)
    assert miinto_shipments(world) == []


def test_the_watermark_moves_to_the_start_of_the_run(world):
    accepted_order(world)
    finished = run(world, "shipments")
    with merchant_scope(world.merchant):
        poll = ShipmentPoll.objects.get()
    assert finished.started_at <= poll.watermark <= finished.finished_at
    assert poll.swept_at == poll.watermark  # the first run is the day's wide sweep


def _deliver(client, world, delivery):
    store = world.connection.store_connection
    headers = {k: v for k, v in delivery["headers"].items() if k != "Content-Type"}
    return client.post(f"/webhooks/shopify/{store.pk}/", data=delivery["body"], content_type="application/json", headers=headers)


def test_the_fulfillment_webhook_brings_the_shipments_run_forward(world, client, django_capture_on_commit_callbacks):
    from connections.models import SyncRun

    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="GLS", tracking="GLS-HOOK")
    [delivery] = [d for d in world.shopify.webhook_deliveries() if d["kind"] == "order_updated"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _deliver(client, world, delivery)
    assert response.status_code == 200
    with merchant_scope(world.merchant):
        [hooked] = SyncRun.objects.filter(flow="shipments")
    assert (hooked.trigger, hooked.status) == ("schedule", "succeeded")
    assert [s["trackAndTrace"] for s in miinto_shipments(world)] == ["GLS-HOOK"]


def test_an_order_update_without_fulfillments_starts_no_run(world, client, django_capture_on_commit_callbacks):
    from connections.models import SyncRun

    order = accepted_order(world)
    world.shopify.make_refund(order.store_order_id, [{"sku": "TEE-BLK-M", "quantity": 1}])
    [delivery] = [d for d in world.shopify.webhook_deliveries() if d["kind"] == "order_updated"]
    with django_capture_on_commit_callbacks(execute=True):
        assert _deliver(client, world, delivery).status_code == 200
    with merchant_scope(world.merchant):
        assert not SyncRun.objects.filter(flow="shipments").exists()


def test_a_stock_only_connection_reads_no_store_shipments(world):
    world.configure(sync_level="stock_only")
    accepted_order(world)
    sent_before = len(world.shopify_transport.sent)
    finished = run(world, "shipments")
    assert finished.status == "succeeded" and finished.seen == 0
    assert len(world.shopify_transport.sent) == sent_before


def test_the_poll_window_reads_from_the_watermark_and_sweeps_daily():
    from datetime import UTC, datetime, timedelta

    from orders.shipments.services import poll_window

    now = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
    poll = ShipmentPoll(watermark=now - timedelta(minutes=5), swept_at=now - timedelta(hours=1))
    assert poll_window(poll, now) == (now - timedelta(minutes=5), False)
    poll.swept_at = now - timedelta(hours=24)
    assert poll_window(poll, now) == (now - timedelta(days=3), True)
    assert poll_window(ShipmentPoll(), now) == (now - timedelta(days=14), True)


def test_a_shipment_is_queued_once_even_when_two_resolutions_race(world):
    from connections.models import IllegalTransition
    from orders.shipments.services import shipment_queue

    order = accepted_order(world)
    ship_in_store(world, order, ["TEE-BLK-M"], carrier="Bob's Courier", tracking="BOB-7")
    run(world, "shipments")
    stale = _shipment(world)  # loaded while it still needs a provider
    with merchant_scope(world.merchant):
        shipment_queue(_shipment(world), positions=[1], provider_id="gls-dk", provider_name="GLS", provider_source="mapping")
        try:
            shipment_queue(stale, positions=[1], provider_id="gls-dk", provider_name="GLS", provider_source="mapping")
        except IllegalTransition:
            pass
        else:
            raise AssertionError("the second queueing should have been refused")
        assert ShipmentPush.objects.count() == 1
