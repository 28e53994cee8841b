"""The client against the simulator, in process through wsgi_transport: every call end to end, and the failure paths."""

from decimal import Decimal

import httpx
import pytest

from koongo.http import AuthError, PermanentError, RateLimited, TransientError
from miinto import auth
from miinto.client import MiintoClient
from miinto.environments import MiintoEnvironment
from miinto.sandbox.demo import DEMO_CATALOG
from miinto.schemas import Money, StockItem
from tests.miinto.simulated import CN, DK, GTIN, PASSWORD, SE, USER


def accepted_order(client, control, shop_id=DK, lines=((GTIN[0], 49900, 2), (GTIN[1], 19900, 1))) -> tuple[int, list[int]]:
    transfer = control.transfer(shop_id, *lines)
    ids = [p["id"] for p in transfer["positions"]]
    return client.decide_transfer(shop_id, transfer["id"], accepted=ids), ids


# --- session and shops ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["both", "global", "market"])
def test_available_shops_from_each_privileges_shape(sim, control, transport, shape):
    control(
        "POST",
        "accounts",
        {
            "username": f"{shape}@x",
            "password": "p",
            "privileges": shape,
            "shops": [{"market": "NO", "localId": 1, "name": "Oslo"}, {"market": "CN", "localId": 2, "name": "Beijing"}],
        },
    )
    client = MiintoClient(MiintoEnvironment.PRODUCTION, f"{shape}@x", "p", transport=transport)
    shops = client.available_shops()
    assert [(s.id, s.name, s.market, s.currency) for s in shops] == [
        ("1-m!i!s-047-1", "Oslo", "NO", "NOK"),
        ("1-m!i!s-086-2", "Beijing", "CN", "CNY"),
    ]


def test_wrong_credentials_are_refused(transport):
    client = MiintoClient(MiintoEnvironment.PRODUCTION, USER, "wrong", transport=transport)
    with pytest.raises(AuthError) as raised:
        client.login()
    assert (raised.value.status, raised.value.code) == (401, "invalid_credentials")


def test_another_accounts_shop_is_forbidden(client, control):
    control("POST", "accounts", {"username": "other@x", "password": "p", "shops": [{"market": "DK", "localId": 9}]})
    with pytest.raises(AuthError) as raised:
        client.shop("1-m!i!s-045-9")
    assert (raised.value.status, raised.value.code) == (403, "forbidden")


def test_routing_by_path_prefix_verifies_the_prefixed_path(sim, transport, control):
    client = MiintoClient(MiintoEnvironment.simulator("http://127.0.0.1:8765"), USER, PASSWORD, transport=transport)
    assert client.shop(DK).name == "Copenhagen"
    assert [(r["host"], r["path"]) for r in sim.requests] == [
        ("127.0.0.1", "/auth/channels"),
        ("127.0.0.1", "/order/shops/1-m!i!s-045-1101"),
    ]
    assert control("GET", "effects")["logins"][0]["username"] == USER


# --- transfers -----------------------------------------------------------------------------------


def test_transfer_decisions_end_to_end(client, control):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1), (GTIN[1], 39920, 2), (GTIN[2], 19900, 1))
    first, second, third = (p["id"] for p in transfer["positions"])
    listed = client.transfers(DK).items[0]
    assert [(p.id, p.price, p.quantity, p.item.gtin, p.item.brand) for p in listed.pending_positions] == [
        (first, Money(Decimal("499.00"), "DKK"), 1, GTIN[0], "Nordlys"),
        (second, Money(Decimal("399.20"), "DKK"), 2, GTIN[1], "Nordlys"),
        (third, Money(Decimal("199.00"), "DKK"), 1, GTIN[2], "Nordlys"),
    ]
    order_id = client.decide_transfer(DK, transfer["id"], accepted=[first], declined=[second])
    # Declined positions disappear: Miinto offers them to other merchants.
    assert [p.id for p in client.transfers(DK).items[0].pending_positions] == [third]
    assert client.decide_transfer(DK, transfer["id"], accepted=[third]) == order_id
    detail = client.transfer(DK, transfer["id"])
    assert (detail.status, detail.new_order.id) == ("decided", order_id)
    assert [(p.id, p.status) for p in detail.positions] == [(first, "accepted"), (second, "declined"), (third, "accepted")]
    assert client.transfers(DK).items == []
    order = client.order(DK, order_id)
    assert [(p.id, p.price.amount) for p in order.accepted_positions] == [(first, Decimal("499.00")), (third, Decimal("199.00"))]
    assert [(d["accepted"], d["declined"], d["orderId"], d["source"]) for d in control("GET", "effects")["decisions"]] == [
        ([first], [second], order_id, "api"),
        ([third], [], order_id, "api"),
    ]


def test_a_second_decision_on_a_position_is_409_and_nothing_in_it_applies(client, control):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1), (GTIN[1], 19900, 1))
    first, second = (p["id"] for p in transfer["positions"])
    client.decide_transfer(DK, transfer["id"], accepted=[first])
    with pytest.raises(PermanentError) as raised:
        client.decide_transfer(DK, transfer["id"], accepted=[second], declined=[first])
    assert (raised.value.status, raised.value.code) == (409, "decided")
    assert [p.status for p in client.transfer(DK, transfer["id"]).positions] == ["accepted", "pending"]


def test_a_decision_made_in_miinto_shows_in_transfer(client, control):
    transfer = control.transfer(SE, (GTIN[3], 29900, 1))
    position = transfer["positions"][0]["id"]
    control("POST", f"transfers/{transfer['id']}/decide", {"accepted": [position]})
    detail = client.transfer(SE, transfer["id"])
    assert (detail.status, detail.positions[0].status, detail.positions[0].price.currency) == ("decided", "accepted", "SEK")
    assert client.order(SE, detail.new_order.id).currency == "SEK"
    assert control("GET", "effects")["decisions"][0]["source"] == "miinto"


def test_a_lost_patch_answer_is_reconciled_with_transfer(client, control, transport):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1))
    position = transfer["positions"][0]["id"]
    client.login()
    transport.timeout_after = 1
    with pytest.raises(TransientError, match="timed out"):
        client.decide_transfer(DK, transfer["id"], accepted=[position])
    detail = client.transfer(DK, transfer["id"])
    assert detail.status == "decided" and detail.new_order is not None
    assert len(control("GET", "effects")["decisions"]) == 1


def test_a_timeout_before_sending_retries_a_get_and_applies_no_patch(client, control, transport, sim):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1))
    client.login()
    transport.timeout_before = 1
    assert client.shop(DK).name == "Copenhagen"
    transport.timeout_before = 1
    with pytest.raises(TransientError):
        client.decide_transfer(DK, transfer["id"], accepted=[transfer["positions"][0]["id"]])
    assert client.transfer(DK, transfer["id"]).status == "pending"
    assert [r["method"] for r in sim.requests] == ["POST", "GET", "GET"]


# --- orders, shipping, labels --------------------------------------------------------------------


def test_orders_list_and_page_newest_first(client, control):
    order_ids = [accepted_order(client, control)[0] for _ in range(3)]
    assert client.orders(DK, "accepted").total == 3
    pages = list(client.order_pages(DK, "accepted", page_size=2))
    assert [[o.id for o in p.items] for p in pages] == [sorted(order_ids, reverse=True)[:2], sorted(order_ids, reverse=True)[2:]]
    order = client.order(DK, order_ids[0])
    assert order.billing_information.email.endswith("@example.com") and order.billing_information.address.country_code == "DK"
    assert order.shipping_information.delivery_address.type in ("HomeDelivery", "CompanyDelivery", "ParcelShopDelivery")
    assert order.parent_order.created_at is not None


def test_shipments_validate_the_provider_and_are_idempotent_on_tracking(client, control):
    order_id, (first, second) = accepted_order(client, control)
    providers = [p.id for p in client.shipping_providers(DK, order_id)]
    assert set(providers) <= {p.id for p in client.shop_shipping_providers(DK)}
    assert client.order(DK, order_id).shipping_information.delivery_options.provider_id in providers
    with pytest.raises(PermanentError) as raised:
        client.create_shipment(DK, order_id, provider_id="royalmail-uk", track_and_trace="TT1")
    assert (raised.value.status, raised.value.code) == (422, "unknown_provider")
    shipment = client.create_shipment(DK, order_id, provider_id=providers[0], track_and_trace="TT1", position_ids=[first])
    again = client.create_shipment(DK, order_id, provider_id=providers[0], track_and_trace="TT1", position_ids=[first])
    assert (shipment.id, shipment.status) == (again.id, "sent")
    with pytest.raises(PermanentError) as raised:
        client.create_shipment(DK, order_id, provider_id=providers[0], track_and_trace="TT2", position_ids=[first])
    assert raised.value.code == "already_sent"
    assert client.order(DK, order_id).status == "accepted"
    client.create_shipment(DK, order_id, provider_id=providers[0], track_and_trace="TT3", position_ids=[second])
    assert client.order(DK, order_id).status == "sent"
    assert [o.id for o in client.orders(DK, "sent").items] == [order_id]
    assert [(s["trackAndTrace"], s["created"]) for s in control("GET", "effects")["shipments"]] == [
        ("TT1", True),
        ("TT1", False),
        ("TT3", True),
    ]


def test_labels_appear_after_the_label_delay_as_a_real_pdf(client, control):
    control("POST", "settings", {"labelDelaySeconds": 3600})
    order_id, _ = accepted_order(client, control)
    assert client.label_pdf(DK, order_id) is None
    assert control("POST", "labels/ready", {"orderIds": [order_id]}) == {"ready": 1}
    pdf = client.label_pdf(DK, order_id)
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    xref_at = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    offsets = [int(line[:10]) for line in pdf[xref_at:].split(b"\n")[3:8]]
    assert [pdf[o : pdf.index(b"\n", o)] for o in offsets] == [b"%d 0 obj" % n for n in range(1, 6)]
    assert f"Merchant order {order_id}".encode() in pdf


# --- returns -------------------------------------------------------------------------------------


def test_customer_returns_are_decided_once(client, control):
    order_id, (first, _) = accepted_order(client, control)
    created = control(
        "POST",
        "returns",
        {
            "shopId": DK,
            "orderId": order_id,
            "positions": [{"orderPositionId": first, "quantity": 1}],
            "reason": "Too small",
            "customerComment": "Fits small",
        },
    )
    listed = client.returns(DK).items
    assert [(r.id, r.status, r.origin, r.customer_comment) for r in listed] == [
        (created["id"], "pending", "customer", "Fits small")
    ]
    assert listed[0].positions[0].price == Money(Decimal("499.00"), "DKK")
    assert client.decide_return(DK, created["id"], "accepted", "Received in good condition").status == "accepted"
    with pytest.raises(PermanentError) as raised:
        client.decide_return(DK, created["id"], "declined", "Changed my mind")
    assert (raised.value.status, raised.value.code) == (409, "not_pending")
    assert client.return_(DK, created["id"]).status == "accepted"
    assert client.returns(DK).items == [] and [r.id for r in client.returns(DK, "accepted").items] == [created["id"]]
    assert control("GET", "effects")["returnDecisions"] == [
        {"shopId": DK, "returnId": created["id"], "status": "accepted", "reason": "Received in good condition"}
    ]


def test_rma_requests_are_checked_against_what_is_left_to_return(client, control):
    order_id, (first, second) = accepted_order(client, control)  # first has quantity 2
    with pytest.raises(PermanentError) as raised:
        client.create_rma_request(DK, order_id, {first: 3})
    assert (raised.value.status, raised.value.code) == (422, "quantity_exceeded")
    made = client.create_rma_request(DK, order_id, {first: 1, second: 1}, "Damaged")
    assert (made.origin, made.status, [p.quantity for p in made.positions]) == ("merchant", "accepted", [1, 1])
    with pytest.raises(PermanentError) as raised:
        client.create_rma_request(DK, order_id, {second: 1})
    assert raised.value.code == "quantity_exceeded"
    assert client.create_rma_request(DK, order_id, {first: 1}).positions[0].order_position_id == first
    assert [r["positions"][0]["orderPositionId"] for r in control("GET", "effects")["rmaRequests"]] == [first, first]


def test_cn_returns_are_refused(client, control):
    order_id, (first, _) = accepted_order(client, control, CN, ((GTIN[0], 194900, 2), (GTIN[1], 99900, 1)))
    calls = [
        lambda: client.returns(CN),
        lambda: client.return_(CN, 1),
        lambda: client.create_rma_request(CN, order_id, {first: 1}),
        lambda: client.decide_return(CN, 1, "accepted"),
    ]
    for call in calls:
        with pytest.raises(PermanentError) as raised:
            call()
        assert (raised.value.status, raised.value.code) == (422, "cn_returns")
    assert client.order(CN, order_id).accepted_positions[0].price == Money(Decimal("1949.00"), "CNY")


# --- stock and product map -----------------------------------------------------------------------


def test_stock_batches_split_at_500_and_report_unknown_items(client, control):
    known = [
        StockItem(stock=i % 4, group=it["group"], brand=it["brand"], color=it["color"], size=it["size"])
        for i, it in enumerate(DEMO_CATALOG)
    ]
    unknown = [StockItem(stock=1, group=f"X-{i}", brand="Nobody", color="Grey", size="M") for i in range(1001 - len(known))]
    result = client.push_stock(DK, known + unknown)
    assert (result.updated, len(result.unknown), result.unknown[0].group) == (len(known), len(unknown), "X-0")
    assert [(p["items"], p["updated"]) for p in control("GET", "effects")["stockPushes"]] == [(500, len(known)), (500, 0), (1, 0)]
    levels = control("GET", f"stock?shopId={DK}")["items"]
    assert len(levels) == len(known) and {(lv["group"], lv["size"], lv["stock"]) for lv in levels} == {
        (k.group, k.size, k.stock) for k in known
    }


def test_product_map_lists_the_shops_feed_rows(client):
    page = client.product_map(DK)
    assert page.total == len(DEMO_CATALOG) and page.rejects == []
    assert [(r.style_id, r.feed_id, r.gtin) for r in page.items] == [(i["group"], i["sku"], i["gtin"]) for i in DEMO_CATALOG]
    assert len({r.miinto_item_id for r in page.items}) == len(DEMO_CATALOG)


# --- authentication failures ---------------------------------------------------------------------


def test_an_expired_token_means_one_new_login(client, control):
    client.login()
    assert control("POST", "tokens/expire", {}) == {"expired": 1}
    assert client.shop(DK).name == "Copenhagen"
    assert len(control("GET", "effects")["logins"]) == 2


def test_tokens_expire_after_their_ttl(client, control, clock):
    clock.now = 1_800_000_000
    control("POST", "settings", {"tokenTtlSeconds": 600})
    client.shop(DK)
    clock.now += 601
    client.shop(DK)
    assert len(control("GET", "effects")["logins"]) == 2


def test_an_injected_401_is_an_expired_token(client, control):
    client.login()
    control("POST", "faults", {"fail_next": 1, "fail_status": 401})
    assert client.shop(DK).name == "Copenhagen"
    assert len(control("GET", "effects")["logins"]) == 2


class CorruptSignatures(httpx.BaseTransport):
    """A signing bug: every signed request leaves with a wrong signature."""

    def __init__(self, inner):
        self.inner = inner

    def handle_request(self, request):
        if "Miinto-Api-Auth-Signature" in request.headers:
            request.headers["Miinto-Api-Auth-Signature"] = "0" * 64
        return self.inner.handle_request(request)


def test_a_signature_failure_is_never_fixed_by_logging_in_again(transport, control):
    client = MiintoClient(MiintoEnvironment.PRODUCTION, USER, PASSWORD, transport=CorruptSignatures(transport))
    with pytest.raises(AuthError) as raised:
        client.shop(DK)
    assert (raised.value.status, raised.value.code) == (401, "signature")
    assert len(control("GET", "effects")["logins"]) == 1


def test_a_replayed_seed_is_rejected(client, control, clock, monkeypatch):
    monkeypatch.setattr(auth, "new_seed", lambda: "42")
    clock.now = 1_800_000_000
    assert client.shop(DK).name == "Copenhagen"
    with pytest.raises(AuthError) as raised:
        client.shop(DK)
    assert (raised.value.code, "already used" in str(raised.value)) == ("signature", True)
    assert len(control("GET", "effects")["logins"]) == 1


@pytest.mark.parametrize("skew,accepted", [(299, True), (-299, True), (301, False), (-301, False)])
def test_clock_skew_beyond_300_seconds_is_rejected(client, clock, skew, accepted):
    clock.now = 1_800_000_000
    client.clock = lambda: clock.now + skew
    if accepted:
        assert client.shop(DK).name == "Copenhagen"
        return
    with pytest.raises(AuthError) as raised:
        client.shop(DK)
    assert (raised.value.code, "away from the server clock" in str(raised.value)) == ("signature", True)


def test_a_missing_control_version_is_refused(client):
    client.login()
    request = client.prepare(client.http.build_request("GET", f"https://api-order.miinto.net/shops/{DK}"))
    del request.headers["Miinto-Api-Control-Version"]
    response = client.http.send(request)
    assert (response.status_code, response.json()["meta"]["code"]) == (400, "unsupported_version")


def test_form_encoded_login_is_accepted_as_one_public_client_sends_it(transport):
    response = httpx.Client(transport=transport).post(
        "https://api-auth.miinto.net/channels", data={"identifier": USER, "secret": PASSWORD}
    )
    assert response.status_code == 200 and response.json()["data"]["privileges"]["__GLOBAL__"]["Store"][DK]


# --- injected faults -----------------------------------------------------------------------------


def test_429_with_retry_after_then_success(client, control, sleeps):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1))
    client.login()
    control("POST", "faults", {"fail_next": 1, "fail_status": 429, "retry_after": 1})
    assert client.decide_transfer(DK, transfer["id"], accepted=[transfer["positions"][0]["id"]]) is not None
    assert sleeps == [1.0] and len(control("GET", "effects")["decisions"]) == 1


def test_a_long_429_is_left_to_the_scheduler(client, control):
    client.login()
    control("POST", "faults", {"rate_limit_rate": 1.0, "retry_after": 60})
    with pytest.raises(RateLimited) as raised:
        client.shop(DK)
    assert raised.value.retry_after == 60.0


def test_500_is_retried_for_gets_and_surfaced_for_patch(client, control, sim):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1))
    client.login()
    control("POST", "faults", {"fail_next": 1, "fail_status": 500})
    assert client.shop(DK).name == "Copenhagen"
    control("POST", "faults", {"fail_next": 1, "fail_status": 500})
    with pytest.raises(TransientError) as raised:
        client.decide_transfer(DK, transfer["id"], accepted=[transfer["positions"][0]["id"]])
    assert (raised.value.status, raised.value.code) == (500, "server_error")
    assert client.transfer(DK, transfer["id"]).status == "pending"
    assert [r["method"] for r in sim.requests] == ["POST", "GET", "GET", "PATCH", "GET"]


def test_malformed_bodies_are_transient(client, control):
    client.login()
    control("POST", "faults", {"malformed_rate": 1.0})
    with pytest.raises(TransientError, match="not valid JSON"):
        client.shop(DK)
