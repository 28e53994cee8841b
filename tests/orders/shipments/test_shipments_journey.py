"""A Stock only order in the browser: mark it shipped, find the label link on the Comment tab, and fetch it logged out."""

import pytest

from orders.models import LabelLink
from orders.shipments import labels
from tests.orders.shipments.shipping import accepted_order, miinto_shipments, run

pytestmark = pytest.mark.browser


@pytest.fixture
def transactional_world(transactional_db, world):
    return world


def test_mark_shipped_and_download_the_label_in_the_browser(
    transactional_world, owner, page, browser, live_server, screenshot, settings
):
    world = transactional_world
    world.configure(sync_level="stock_only")
    order = accepted_order(world)
    run(world, "labels")
    link = LabelLink.objects.get()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "owner@a.example")
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/orders/{order.transfer_id}/?tab=shipments")
    page.select_option("#id_provider_id", "postnord-dk")
    page.fill("#id_tracking_number", "PN-BROWSER-1")
    screenshot("mark-shipped")
    page.click("#mark-shipped button")
    page.wait_for_url(f"{live_server.url}/orders/{order.transfer_id}/?tab=shipments")
    assert (
        "PN-BROWSER-1" in page.locator("#shipments").inner_text() and "Sent to Miinto" in page.locator("#shipments").inner_text()
    )
    assert [(s["providerId"], s["trackAndTrace"]) for s in miinto_shipments(world)] == [("postnord-dk", "PN-BROWSER-1")]
    screenshot("shipped")
    page.click("text=Comment")
    url = labels.label_url(link)
    assert url.replace(settings.SITE_URL, "") in page.locator("#comments").inner_text()
    page.fill("#id_body", "Packed and handed to PostNord")
    page.click("#add-comment button")
    assert "Packed and handed to PostNord" in page.locator("#comments").inner_text()
    screenshot("comment")
    anonymous = browser.new_context()
    response = anonymous.request.get(f"{live_server.url}/labels/{link.token}.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
    anonymous.close()
