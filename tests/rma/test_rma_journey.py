"""In the browser: accept an RMA with a reason, and see the refund appear on the order's Refunds tab."""

import pytest

from rma.models import Rma
from tests.rma.conftest import GTIN_TEE_M, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def transactional_world(transactional_db, merchant):
    yield from build_world(merchant, "shopify")


def test_accept_an_rma_and_see_the_refund_on_the_refunds_tab(transactional_world, owner, page, live_server, screenshot):
    world = transactional_world
    order = world.sell((GTIN_TEE_M, 10000, 1))
    world.customer_return(order, {"TEE-BLK-M": 1}, reason="Too small")
    world.sync_rmas()
    rma = Rma.objects.get()
    violations = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "owner@a.example")
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("#nav a:text-is(\"RMA\")")
    page.click(f"[data-rma='{rma.miinto_id}'] a")
    page.wait_for_url(f"{live_server.url}/rmas/{rma.pk}/")
    page.click("#accept-form button[data-action=accept]")  # no reason yet: refused with a field error
    assert page.locator("#accept-form [data-field=reason]").inner_text() == "A reason is required to accept or decline an RMA."
    page.fill("#accept_reason", "Received unworn")
    page.click("#accept-form button[data-action=accept]")
    page.wait_for_url(f"{live_server.url}/rmas/{rma.pk}/")
    assert "Received unworn" in page.locator(".rma-decision").inner_text()
    screenshot("accepted")
    page.goto(f"{live_server.url}/orders/{order.transfer_id}/")
    page.click("text=Refunds")
    refunds = page.locator("#store-refunds").inner_text()
    assert "Pushed by us" in refunds and "DKK100.00" in refunds and str(rma.miinto_id) in refunds
    assert "create_refund for RMA" in page.locator("#activity-table").inner_text()
    screenshot("refunds-tab")
    assert violations == []
    assert len(world.store_refunds(order)) == 1
