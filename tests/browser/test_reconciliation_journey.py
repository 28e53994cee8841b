"""In the browser: reconcile a connection, see the finding counted and charted, apply its fix, download the CSV, and
reconcile again to a period that says it is clean."""

import pytest

from reconciliation.models import ReconciliationRun
from tests.reconciliation.conftest import seed_store_with_images
from tests.rma import conftest as rma_conftest
from tests.rma.conftest import GTIN_TEE_M, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def transactional_world(transactional_db, merchant, monkeypatch):
    monkeypatch.setattr(rma_conftest, "seed_store", seed_store_with_images)
    yield from build_world(merchant, "shopify")


def test_reconcile_fix_and_see_the_period_clean(transactional_world, owner, page, live_server, screenshot):
    world = transactional_world
    # The merchant accepted a transfer in Miinto's own back office: Miinto has an order the store never got.
    transfer = world.miinto.state.create_transfer(world.connection.shop_id, [{"gtin": GTIN_TEE_M, "price": 10000, "quantity": 1}])
    world.control("POST", f"transfers/{transfer.id}/decide", {"accepted": [transfer.positions[0].id]})
    violations = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "owner@a.example")
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click('#nav a:text-is("Reconciliation")')
    page.wait_for_url(f"{live_server.url}/reconciliation/")
    page.click("#reconcile-now")  # the task runs eagerly in the test settings, so the run has finished on arrival
    first = ReconciliationRun.objects.get()
    page.wait_for_url(f"{live_server.url}/reconciliation/runs/{first.pk}/")
    assert page.locator("[data-kind=accepted_no_store_order] td.text-end").inner_text() == "1"
    finding = page.locator("#findings-table tr[data-kind=accepted_no_store_order]")
    assert f"Miinto order {transfer.order_id} was accepted but the store has no order" in finding.inner_text()
    screenshot("findings")
    with page.expect_download() as download:
        page.click("#csv-download")
    assert f"accepted_no_store_order,Miinto order {transfer.order_id}" in download.value.path().read_text()
    finding.locator("button").click()  # "Fetch the order and push it to the store", through the outbox
    page.wait_for_url(f"{live_server.url}/reconciliation/runs/{first.pk}/")
    assert "queued" in page.locator("#findings-table tr[data-kind=accepted_no_store_order]").inner_text()
    assert len(world.store.orders_summary(reference=f"miinto-{world.connection.shop_id}-{transfer.order_id}")) == 1
    page.click("text=All runs")
    page.click("#reconcile-now")
    second = ReconciliationRun.objects.order_by("-pk").first()
    page.wait_for_url(f"{live_server.url}/reconciliation/runs/{second.pk}/")
    assert page.locator("#run-clean").inner_text() == "Clean: Miinto, our records and the store agree for this period."
    page.click("text=All runs")
    # The chart is drawn on DOMContentLoaded, after every deferred script (the JS catalogue among them) has run.
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas.js-bar-chart'))")
    assert page.evaluate("Chart.getChart(document.querySelector('canvas.js-bar-chart')).data.datasets[0].data") == [1, 0]
    screenshot("clean")
    assert violations == []
