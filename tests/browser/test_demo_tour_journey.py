"""The README's tour, walked in Chromium on the demo's data (seeded and played as `make demo` does): every page renders
with data, fits a 1366 px screen, logs no console error, shows no raw ISO time or database-length amount, and is saved
as a screenshot in test-artifacts/."""

import re

import pytest

from connections.demo import DEMO_SHOP_ID
from koongo.accounts.tenancy import merchant_scope
from orders.models import Order, Position, Transfer
from rma.models import Rma, StoreRefund
from tests.demo_world import demo_world_seeded

pytestmark = pytest.mark.browser

RAW_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
DATABASE_AMOUNT = re.compile(r"\d+\.\d{2}0{2,}\b")  # "222.13000"


@pytest.fixture
def demo_world(transactional_db, settings):
    """The demo's simulators in-process, wired for the test and for the live server's thread alike."""
    with demo_world_seeded(settings) as merchant:
        yield merchant


def _sign_in(page, live_server):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "owner@tour.example")
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_the_demo_tour(demo_world, page, live_server, screenshot):
    merchant = demo_world
    with merchant_scope(merchant):
        shipped = Order.objects.get(connection__shop_id=DEMO_SHOP_ID, status="shipped")
        stock_only = Order.objects.get(connection__shop_id="1-m!i!s-047-1103")
        rma = Rma.objects.get(status="pending")
        refund = StoreRefund.objects.get()
        waiting = Position.objects.filter(status="pending").count()
        dk = shipped.connection
        newest = Transfer.objects.order_by("-pk").first()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(f"{page.url}: {msg.text}"))
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    _sign_in(page, live_server)

    def visit(name: str, path: str, *, shows: str):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        text = page.locator("body").inner_text()
        assert shows in text, f"{name}: {shows!r} not on {path}"
        assert not RAW_ISO.search(text), f"{name}: a raw ISO time on {path}"
        assert not DATABASE_AMOUNT.search(text), f"{name}: an amount with the database's zeros on {path}"
        assert "declineed" not in text
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1366, f"{name}: {width} px wide"
        screenshot(name)
        return text

    visit("overview", "/", shows="1 waiting for your decision")
    text = visit("connections", "/connections/", shows="Nordic Threads Oslo")
    assert "CET" in text  # last syncs in the merchant's zone, labelled
    visit("connection", f"/connections/{dk.pk}/", shows="Synchronize Orders")
    with merchant_scope(merchant):
        run = dk.sync_runs.filter(flow="orders").first()
    text = visit("sync-run", f"/runs/{run.pk}/", shows="Transfers read")
    assert "Positions accepted" in text
    orders = visit("orders", "/orders/", shows="Older orders")
    listed = [int(i) for i in re.findall(r"^(\d+)(?:\s|$)", orders, re.M)]
    assert listed[0] == newest.miinto_id  # newest first
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} CET", orders)  # in the merchant's zone, labelled
    visit("order-search", f"/orders/?q={shipped.transfer.miinto_id}", shows=str(shipped.transfer.miinto_id))
    text = visit("order-detail", f"/orders/{shipped.transfer_id}/", shows="Positions & decisions")
    assert re.search(r"DKK\d[\d,]*\.\d{2}", text)  # money in the currency's decimals
    visit("shipments", f"/orders/{shipped.transfer_id}/?tab=shipments", shows="GLS")
    visit("label-comment", f"/orders/{shipped.transfer_id}/?tab=comment", shows="label")
    visit("stock-only-order", f"/orders/{stock_only.transfer_id}/", shows="Stock lowered in the store for")
    text = visit("needs-attention", "/orders/needs-attention/", shows="Accept")
    assert text.count("Accept") >= min(waiting, 50)
    visit("returns", "/rmas/", shows=str(rma.miinto_id))
    visit("return-detail", f"/rmas/{rma.pk}/", shows="Accept")
    visit("store-refund", f"/refunds/{refund.pk}/", shows=refund.store_refund_id)
    visit("problems", "/problems/", shows="Copenhagen Bike Courier")
    visit("activity", "/activity/", shows="To Miinto")
    visit("catalog", "/catalog/", shows="Nordic Threads")
    text = visit("api-keys", "/settings/", shows="API keys")
    assert "Members" in text
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-tag", timeout=15000)
    screenshot("api-docs")
    assert errors == []
