"""Journey: an owner registers a webhook endpoint, copies the secret, sends a test event that a loopback receiver
verifies with the Standard Webhooks library, reads the delivery log, resends, pauses, resumes and rotates the secret."""

import re

import pytest
from standardwebhooks.webhooks import Webhook

from webhooks.receiver import Receiver, start

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver():
    recorded = Receiver()
    server = start(recorded)
    yield recorded
    server.shutdown()
    server.server_close()


def test_register_test_resend_pause_and_rotate(logged_in_page, live_server, receiver, screenshot):
    page = logged_in_page
    page.goto(f"{live_server.url}/settings/webhooks/")
    assert "No endpoints yet." in page.locator("#webhook-endpoints").inner_text()
    page.fill("#id_url", receiver.url)
    page.fill("#id_description", "ERP integration")
    page.check("input[name=event_types][value='order.pushed']")
    page.check("input[name=event_types][value='connection.stale']")
    page.click("#new-endpoint button")
    secret = page.locator("#webhook-secret").inner_text()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]+", secret)
    screenshot("secret")
    page.click("text=Continue to the endpoint")
    assert page.locator("#endpoint-status").inner_text() == "active"
    assert secret not in page.content()

    page.click("text=Send test event")
    row = page.locator("#delivery-log tbody tr").first
    assert "webhook.test" in row.inner_text() and row.locator(".attempt-status").first.inner_text() == "200"
    [request] = receiver.requests
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.test"

    row.locator("text=Resend").click()
    assert page.locator("#delivery-log tbody tr").first.locator(".attempt").count() == 2
    assert [r.headers["webhook-id"] for r in receiver.requests] == [request.headers["webhook-id"]] * 2
    screenshot("delivery-log")

    page.click("#endpoint-actions >> text=Pause")
    assert page.locator("#endpoint-status").inner_text() == "paused"
    page.click("#endpoint-actions >> text=Resume")
    assert page.locator("#endpoint-status").inner_text() == "active"

    page.fill("#id_overlap_hours", "2")
    page.click("text=Rotate secret")
    rotated = page.locator("#webhook-secret").inner_text()
    assert rotated != secret and "keeps signing too" in page.content()
    page.click("text=Continue to the endpoint")
    page.click("text=Send test event")
    latest = receiver.requests[-1]
    Webhook(secret).verify(latest.body, latest.headers)  # the overlap: both secrets sign
    Webhook(rotated).verify(latest.body, latest.headers)
    page.goto(f"{live_server.url}/settings/webhooks/")
    assert "ERP integration" in page.locator("#webhook-endpoints").inner_text()
    assert page.csp_violations == []
