"""Contract: signed webhooks (or their absence), rate limits honoured, and the injected limiter consulted."""

import pytest

from koongo.http import RateLimited
from platforms.base import Capability, Unsupported, WebhookKind, WebhookRejected
from tests.platforms.contract.catalog import make_draft


def test_a_signed_refund_delivery_verifies_and_a_tampered_one_is_rejected(seeded):
    adapter = seeded.adapter()
    if not seeded.supports(Capability.WEBHOOKS):
        with pytest.raises(Unsupported):
            adapter.verify_webhook({}, b"{}")
        return
    ref = adapter.create_order(make_draft("hook-1", seeded.currency))
    refund_id = seeded.app.make_refund(ref.id, [{"sku": "TEE-WHITE-M", "quantity": 1}])
    delivery = [d for d in seeded.app.webhook_deliveries() if d["kind"] == WebhookKind.REFUND_CREATED][-1]
    event = adapter.verify_webhook(delivery["headers"], delivery["body"].encode())
    assert (event.platform, event.kind, event.order_id, event.object_id) == (
        seeded.code,
        WebhookKind.REFUND_CREATED,
        ref.id,
        refund_id,
    )
    assert event.delivery_id
    tampered = delivery["body"].replace(refund_id.rsplit("/", 1)[-1], "999999", 1).encode()
    assert tampered != delivery["body"].encode()
    with pytest.raises(WebhookRejected):
        adapter.verify_webhook(delivery["headers"], tampered)


def test_a_short_throttle_is_waited_out(harness):
    harness.faults(fail_next=1, fail_status=429, retry_after=1)
    info = harness.adapter().test_connection()
    assert info.name == harness.app.shop_facts()["name"]
    assert len(harness.sleeps) == 1 and 0 < harness.sleeps[0] <= 5


def test_a_long_throttle_surfaces_as_rate_limited_without_blocking(harness):
    harness.faults(fail_next=10, fail_status=429, retry_after=120)
    with pytest.raises(RateLimited) as raised:
        harness.adapter().test_connection()
    assert raised.value.retry_after and raised.value.retry_after > 0
    assert all(seconds <= 5 for seconds in harness.sleeps)


def test_the_injected_limiter_is_consulted_per_store(harness):
    keys = []

    class Recorder:
        def wait(self, key, *, rate, burst, max_wait):
            keys.append(key)

    adapter = harness.adapter(limiter=Recorder())
    adapter.test_connection()
    assert keys and set(keys) == {f"{harness.code}:{adapter.scope}"}


def test_a_cut_off_answer_to_a_read_is_asked_again(harness):
    """A 200 with a cut-off body is a transport fault: every adapter reads again instead of failing its run."""
    harness.faults(malformed_next=1)
    info = harness.adapter().test_connection()
    assert info.name == harness.app.shop_facts()["name"]
    assert harness.app.faults.injected == {"malformed": 1}
