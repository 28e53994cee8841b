"""Tests for miinto/sandbox/: rules our client never provokes, determinism, the control API, the demo, and serving it."""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from koongo.http import PermanentError, TransientError
from koongo.sandbox_kit import serve, wsgi_transport
from miinto.client import MiintoClient, MiintoSession
from miinto.environments import MiintoEnvironment
from miinto.sandbox import MiintoSimulator
from miinto.sandbox.demo import DEMO_CATALOG, DEMO_PASSWORD, DEMO_SHOPS, DEMO_USERNAME, ean13
from tests.miinto.simulated import CN, DK, GTIN, Control

REPO = Path(__file__).resolve().parents[2]


def signed_call(client: MiintoClient, method: str, url: str, body=None) -> httpx.Response:
    """A request the client signs but would never send itself."""
    if client.session is None:
        client.login()
    content = None if body is None else json.dumps(body).encode()
    return client.http.send(client.prepare(client.http.build_request(method, url, content=content)))


def meta(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["meta"]["status"], body["meta"]["code"]


def test_more_than_500_stock_items_is_413(client):
    items = [{"stock": 1, "group": "G", "brand": "B", "color": "C", "size": str(i)} for i in range(501)]
    response = signed_call(client, "PATCH", f"https://api-stock.miinto.net/locations/{DK}/items", items)
    assert meta(response) == (413, "failure", "too_many_items")
    assert response.json()["data"] is None


def test_a_malformed_stock_item_is_422(client):
    response = signed_call(
        client,
        "PATCH",
        f"https://api-stock.miinto.net/locations/{DK}/items",
        [{"stock": -1, "group": "G", "brand": "B", "color": "C", "size": "M"}],
    )
    assert meta(response) == (422, "failure", "invalid_item")


def test_declining_a_return_needs_a_reason(client, control):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1))
    order_id = client.decide_transfer(DK, transfer["id"], accepted=[transfer["positions"][0]["id"]])
    created = control(
        "POST",
        "returns",
        {"shopId": DK, "orderId": order_id, "positions": [{"orderPositionId": transfer["positions"][0]["id"], "quantity": 1}]},
    )
    response = signed_call(
        client, "PATCH", f"https://api-order.miinto.net/shops/{DK}/returns/{created['id']}", {"status": "declined"}
    )
    assert meta(response) == (422, "failure", "reason_required")
    assert client.return_(DK, created["id"]).status == "pending"


def test_an_unknown_sort_is_400(client):
    response = signed_call(client, "GET", f"https://api-order.miinto.net/shops/{DK}/transfers?sort=price")
    assert meta(response) == (400, "failure", "invalid_sort")


def test_decisions_naming_unknown_or_no_positions_are_422(client, control):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1))
    with pytest.raises(PermanentError) as raised:
        client.decide_transfer(DK, transfer["id"], accepted=[1])
    assert (raised.value.status, raised.value.code) == (422, "unknown_position")
    response = signed_call(client, "PATCH", f"https://api-order.miinto.net/shops/{DK}/transfers/{transfer['id']}", {})
    assert meta(response) == (422, "failure", "no_positions")
    with pytest.raises(PermanentError) as raised:
        client.transfer(DK, 1)
    assert (raised.value.status, raised.value.code) == (404, "not_found")


def test_an_rma_request_for_another_order_is_422_not_404(client):
    # A 404 here would read as "RMA requests are not supported" (§11).
    with pytest.raises(PermanentError) as raised:
        client.create_rma_request(DK, 1, {1: 1})
    assert (raised.value.status, raised.value.code) == (422, "unknown_order")


def test_a_session_from_before_a_reset_logs_in_again(transport, control):
    client = MiintoClient(
        MiintoEnvironment.PRODUCTION,
        "merchant@example.com",
        "pw-1",
        session=MiintoSession("M!t!Ch!v1!gone", "0" * 40),
        transport=transport,
    )
    assert client.shop(DK).name == "Copenhagen"
    assert len(control("GET", "effects")["logins"]) == 1


def test_unknown_routes_are_404_in_miintos_envelope(client):
    assert meta(signed_call(client, "GET", "https://api-order.miinto.net/nothing/here")) == (404, "failure", "not_found")


def test_the_status_endpoint_needs_no_signature():
    response = httpx.Client(transport=wsgi_transport(MiintoSimulator())).get("https://api-auth.miinto.net/status")
    assert response.json() == {"meta": {"status": "success", "version": "1.0"}, "data": {"status": "ok"}}


def test_unsigned_calls_are_refused_as_signature_errors():
    response = httpx.Client(transport=wsgi_transport(MiintoSimulator())).get(f"https://api-order.miinto.net/shops/{DK}")
    assert meta(response) == (401, "failure", "signature")


# --- determinism, scenarios, control API ---------------------------------------------------------


def demo_snapshot(seed: int) -> list:
    sim = MiintoSimulator(seed, clock=lambda: 1_800_000_000, scenario="demo", transfers=30)
    return [
        (t.id, t.shop_id, t.created_at, [(p.id, p.gtin, p.price, p.quantity) for p in t.positions])
        for t in sim.state.transfers.values()
    ]


def test_a_seed_makes_the_simulator_deterministic():
    assert demo_snapshot(1) == demo_snapshot(1)
    assert demo_snapshot(1) != demo_snapshot(2)
    assert len(demo_snapshot(1)) == 30


def test_the_demo_scenario_is_believable():
    sim = MiintoSimulator(1, scenario="demo", transfers=200)
    markets = {sim.state.shops[t.shop_id].market.code for t in sim.state.transfers.values()}
    assert markets == {"DK", "SE", "NO", "DE", "NL", "PL", "CN"}
    prices = [
        (p.price, sim.state.shops[t.shop_id].market.currency, p.gtin) for t in sim.state.transfers.values() for p in t.positions
    ]
    catalog = {item["gtin"]: item for item in DEMO_CATALOG}
    below = [price for price, currency, gtin in prices if gtin in catalog and price < int(catalog[gtin]["price"][currency] * 100)]
    unknown = [gtin for _, _, gtin in prices if gtin not in catalog]
    assert 0.1 < len(below) / len(prices) < 0.3 and unknown


def test_the_demo_catalog_is_plain_reusable_data():
    gtins = [item["gtin"] for item in DEMO_CATALOG]
    assert len(gtins) == len(set(gtins)) == len({item["sku"] for item in DEMO_CATALOG}) == 44
    assert ean13(1) == "5790001000011" and all(len(g) == 13 for g in gtins)
    assert {item["stock"] for item in DEMO_CATALOG} >= {0, 1}
    assert all(set(item["price"]) == {"EUR", "DKK", "SEK", "NOK", "PLN", "CNY", "CHF", "GBP"} for item in DEMO_CATALOG)
    colours_per_group = {}
    for item in DEMO_CATALOG:
        colours_per_group.setdefault(item["group"], set()).add(item["color"])
    assert all(len(colours) == 1 for colours in colours_per_group.values())  # the feed's one colour per item group


def test_control_api_scenario_reset_and_summary():
    control = Control(MiintoSimulator(5))
    loaded = control("POST", "scenario", {"name": "demo", "transfers": 12, "seed": 9})
    assert (loaded["seed"], loaded["scenario"], loaded["counts"]["transfers"]) == (9, "demo", 12)
    assert [s["id"] for s in loaded["accounts"][0]["shops"]] == [
        f"1-m!i!s-{code}-{s['localId']}"
        for code, s in zip(("045", "046", "047", "049", "031", "048", "086"), DEMO_SHOPS, strict=True)
    ]
    control("POST", "transfers", {"shopId": "1-m!i!s-045-1101", "count": 3})
    assert control("GET", "summary")["counts"]["transfers"] == 15
    control("POST", "reset", {})
    assert control("GET", "summary")["counts"]["transfers"] == 12
    assert control("POST", "scenario", {"name": "nope"}, expect=(400,))


def test_control_refusals_are_clear(control):
    assert control("POST", "transfers", {"shopId": "1-m!i!s-045-9"}, expect=(404,))
    assert control("POST", "transfers/1/decide", {"accepted": [1]}, expect=(404,))
    assert (
        control("POST", "returns", {"shopId": CN, "orderId": 1, "positions": []}, expect=(422,))["meta"]["code"] == "cn_returns"
    )


def test_random_transfers_for_a_shop_use_its_currency(control, client):
    created = control("POST", "transfers", {"shopId": DK, "count": 5})["transfers"]
    assert len(created) == 5 and all(p["price"] > 0 for t in created for p in t["positions"])
    assert {p.price.currency for t in client.transfers(DK).items for p in t.pending_positions} == {"DKK"}


# --- serving -------------------------------------------------------------------------------------


def test_served_on_loopback_with_path_prefixes():
    server = serve(MiintoSimulator(1, scenario="demo", transfers=5))
    try:
        client = MiintoClient(MiintoEnvironment.simulator(f"http://127.0.0.1:{server.server_port}"), DEMO_USERNAME, DEMO_PASSWORD)
        shop_id = "1-m!i!s-045-1101"
        page = client.transfers(shop_id)
        transfer = page.items[0]
        assert client.decide_transfer(shop_id, transfer.id, accepted=[p.id for p in transfer.pending_positions]) is not None
        assert len(client.available_shops()) == 7
    finally:
        server.shutdown()
        server.server_close()


def test_a_hanging_answer_times_out_on_a_real_socket():
    sim = MiintoSimulator(1, scenario="demo", transfers=1)
    server = serve(sim)
    try:
        environment = MiintoEnvironment.simulator(f"http://127.0.0.1:{server.server_port}")
        client = MiintoClient(environment, DEMO_USERNAME, DEMO_PASSWORD, timeout=httpx.Timeout(0.2), sleep=lambda s: None)
        client.login()
        Control(sim)("POST", "faults", {"timeout_rate": 1.0, "timeout_seconds": 0.4})
        with pytest.raises(TransientError, match="timed out"):
            client.decide_transfer("1-m!i!s-045-1101", 1, accepted=[1])
    finally:
        server.shutdown()
        server.server_close()


def test_concurrent_decisions_are_serialised_by_the_lock(client, control):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1))
    position = transfer["positions"][0]["id"]
    client.login()

    def decide(_):
        try:
            return client.decide_transfer(DK, transfer["id"], accepted=[position])
        except PermanentError as error:
            return error.code

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(decide, range(8)))
    assert sorted(outcomes, key=str).count("decided") == 7
    assert len(control("GET", "effects")["decisions"]) == 1


def test_the_simulator_never_loads_the_clients_signing_code():
    # Its signature check is an independent reading of §2; sharing code would let one bug pass on both sides.
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, miinto.sandbox.__main__; print('miinto.auth' in sys.modules, 'miinto.client' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert loaded.stdout.split() == ["False", "False"]


def test_the_cli_serves_the_demo():
    process = subprocess.Popen(
        [sys.executable, "-m", "miinto.sandbox", "--port", "0", "--seed", "1", "--transfers", "20"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        banner = process.stdout.readline()
        assert banner.startswith("Miinto simulator on http://127.0.0.1:") and "20 transfers" in banner
        base = banner.split()[3]
        summary = httpx.get(f"{base}/_sandbox/summary").json()
        assert (summary["seed"], summary["counts"]["transfers"], summary["accounts"][0]["username"]) == (1, 20, DEMO_USERNAME)
    finally:
        process.terminate()
        process.wait(timeout=10)
