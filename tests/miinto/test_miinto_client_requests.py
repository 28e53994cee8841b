"""Tests for miinto/client.py against respx: the exact method, path, query, body and headers of every call,
and how answers map to errors, retries and re-logins."""

import httpx
import pytest
import respx
import structlog

from koongo.http import AuthError, PermanentError, RateLimited, TransientError
from miinto import auth
from miinto.client import MiintoClient, MiintoSession
from miinto.environments import MiintoEnvironment
from miinto.schemas import StockItem

SHOP = "1-m!i!s-045-1234"
CHANNEL = "M!t!Ch!v1!0000000001-0000000000000-1"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
NOW = 1700000000
ORDER_HOST, AUTH_HOST = "api-order.miinto.net", "api-auth.miinto.net"


def ok(data, status=200, **meta):
    return httpx.Response(status, json={"meta": {"status": "success", **meta}, "data": data})


def fail(status, code, message="no", headers=None):
    return httpx.Response(
        status, json={"meta": {"status": "failure", "message": message, "code": code}, "data": None}, headers=headers
    )


@pytest.fixture(autouse=True)
def fixed_seed(monkeypatch):
    monkeypatch.setattr(auth, "new_seed", lambda: "42")


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(sleeps):
    return MiintoClient(
        MiintoEnvironment.PRODUCTION,
        "merchant@example.com",
        "pw-secret",
        session=MiintoSession(CHANNEL, TOKEN),
        clock=lambda: NOW,
        sleep=sleeps.append,
    )


def assert_signed(request: httpx.Request, method: str, host: str, target: str, body: bytes = b"") -> None:
    """The request went out exactly as `target` (raw path and query) with `body`, and the signature covers those bytes."""
    path, _, query = target.partition("?")
    assert (request.method, request.url.host, request.url.raw_path, request.content) == (method, host, target.encode(), body)
    assert request.headers["Content-Type"] == "application/json"
    expected = auth.signature(
        TOKEN, channel_id=CHANNEL, timestamp=NOW, seed="42", method=method, host=host, path=path, query=query, body=body
    )
    assert request.headers["Miinto-Api-Auth-Signature"] == expected


# --- session -------------------------------------------------------------------------------------


def test_login_is_an_unsigned_json_post_and_hands_the_session_over(api, sleeps):
    route = api.post(f"https://{AUTH_HOST}/channels").mock(
        return_value=ok({"id": CHANNEL, "token": TOKEN, "accessorId": 1, "privileges": []})
    )
    sessions = []
    client = MiintoClient(MiintoEnvironment.PRODUCTION, "merchant@example.com", "pw-secret", on_session=sessions.append)
    assert client.login() == MiintoSession(CHANNEL, TOKEN)
    request = route.calls.last.request
    assert request.content == b'{"identifier":"merchant@example.com","secret":"pw-secret"}'
    assert request.headers["Content-Type"] == "application/json"
    assert not [name for name in request.headers if name.lower().startswith("miinto-api-auth")]
    assert sessions == [MiintoSession(CHANNEL, TOKEN)] and client.session == sessions[0]
    assert TOKEN not in repr(client.session)


def test_available_shops_reads_privileges_and_names_each_shop(api):
    privileges = {"__GLOBAL__": {"Store": {SHOP: [], "1-m!i!s-086-77": []}}}
    api.post(f"https://{AUTH_HOST}/channels").mock(return_value=ok({"id": CHANNEL, "token": TOKEN, "privileges": privileges}))
    shops = api.get(f"https://{ORDER_HOST}/shops/{SHOP}").mock(return_value=ok({"id": SHOP, "name": "Copenhagen"}))
    api.get(f"https://{ORDER_HOST}/shops/1-m!i!s-086-77").mock(return_value=ok({"id": "1-m!i!s-086-77", "name": "Shanghai"}))
    client = MiintoClient(MiintoEnvironment.PRODUCTION, "u", "p", clock=lambda: NOW)
    found = client.available_shops()
    assert [(s.id, s.name, s.market, s.market_name, s.currency) for s in found] == [
        (SHOP, "Copenhagen", "DK", "Denmark", "DKK"),
        ("1-m!i!s-086-77", "Shanghai", "CN", "China", "CNY"),
    ]
    assert_signed(shops.calls.last.request, "GET", ORDER_HOST, f"/shops/{SHOP}")


def test_a_stored_session_reads_privileges_from_the_channel(api, client):
    route = api.get(f"https://{AUTH_HOST}/channels/{CHANNEL}").mock(
        return_value=ok({"id": CHANNEL, "privileges": {"Miinto-DK": {"ShopAdmin": {SHOP: {}}}}})
    )
    api.get(f"https://{ORDER_HOST}/shops/{SHOP}").mock(return_value=ok({"id": SHOP, "name": "Copenhagen"}))
    assert [s.id for s in client.available_shops()] == [SHOP]
    assert_signed(route.calls.last.request, "GET", AUTH_HOST, f"/channels/{CHANNEL}")


def test_the_auth_host_is_called_with_control_version_1_0_and_the_order_host_with_2_6(api, client):
    login = api.post(f"https://{AUTH_HOST}/channels").mock(
        return_value=ok({"id": CHANNEL, "token": TOKEN, "accessorId": 1, "privileges": []})
    )
    channel = api.get(f"https://{AUTH_HOST}/channels/{CHANNEL}").mock(return_value=ok({"id": CHANNEL, "privileges": []}))
    shop = api.get(f"https://{ORDER_HOST}/shops/{SHOP}").mock(return_value=ok({"id": SHOP, "name": "Copenhagen"}))
    client.session = None
    client.login()
    client.channel()
    client.shop(SHOP)
    versions = [route.calls.last.request.headers.get("Miinto-Api-Control-Version") for route in (login, channel, shop)]
    assert versions == ["1.0", "1.0", "2.6"]
    assert channel.calls.last.request.headers["Miinto-Api-Control-Flavour"] == "Miinto-Generic"


# --- the two documented vectors, end to end through the client -----------------------------------


def test_orders_call_signs_exactly_like_the_docs_vector(api, client):
    route = api.get(f"https://{ORDER_HOST}/shops/{SHOP}/orders").mock(return_value=ok([], totalItemCount=0))
    page = client.orders(SHOP, "pending", sort=None)
    request = route.calls.last.request
    assert request.url.raw_path == b"/shops/1-m!i!s-045-1234/orders?status%5B%5D=pending&limit=50&offset=0"
    assert {k: v for k, v in request.headers.items() if k.startswith("miinto-")} == {
        "miinto-api-auth-id": CHANNEL,
        "miinto-api-auth-signature": "9dbd6702a635a4e47f4d1f861fa1a74c6e3d85cacb708a629ca5f0804bb1668b",
        "miinto-api-auth-timestamp": "1700000000",
        "miinto-api-auth-seed": "42",
        "miinto-api-auth-type": "MNT-HMAC-SHA256-1-0",
        "miinto-api-control-flavour": "Miinto-Generic",
        "miinto-api-control-version": "2.6",
    }
    assert (page.items, page.total) == ([], 0)


def test_decide_transfer_signs_exactly_like_the_docs_vector(api, client):
    route = api.patch(f"https://{ORDER_HOST}/shops/{SHOP}/transfers/987654").mock(
        return_value=ok({"id": 987654, "newOrder": {"id": 555}})
    )
    assert client.decide_transfer(SHOP, 987654, accepted=[111], declined=[112]) == 555
    request = route.calls.last.request
    assert request.content == b'{"acceptedPositions":[{"id":111}],"declinedPositions":[{"id":112}]}'
    assert request.headers["Miinto-Api-Auth-Signature"] == "9bcc285804511d547e48b43079ecaa4053f6cf30b8acf04778725a09cd77a4bb"


def test_declining_everything_returns_no_order_and_an_empty_decision_is_refused_locally(api, client):
    route = api.patch(f"https://{ORDER_HOST}/shops/{SHOP}/transfers/1").mock(return_value=ok({"id": 1, "newOrder": None}))
    assert client.decide_transfer(SHOP, 1, declined=[7]) is None
    assert route.calls.last.request.content == b'{"declinedPositions":[{"id":7}]}'
    with pytest.raises(ValueError):
        client.decide_transfer(SHOP, 1)
    assert route.call_count == 1


# --- every other call ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,target",
    [
        (lambda c: c.transfers(SHOP), f"/shops/{SHOP}/transfers?status%5B%5D=pending&limit=50&offset=0&sort=-createdAt"),
        (
            lambda c: c.transfers(SHOP, None, limit=10, offset=20, sort="+createdAt"),
            f"/shops/{SHOP}/transfers?limit=10&offset=20&sort=%2BcreatedAt",
        ),
        (
            lambda c: c.orders(SHOP, ["accepted", "sent"]),
            f"/shops/{SHOP}/orders?status%5B%5D=accepted&status%5B%5D=sent&limit=50&offset=0&sort=-createdAt",
        ),
        (lambda c: c.returns(SHOP), f"/shops/{SHOP}/returns?status%5B%5D=pending&limit=50&offset=0&sort=-createdAt"),
    ],
)
def test_list_calls(api, client, call, target):
    route = api.get(host=ORDER_HOST).mock(return_value=ok([], totalItemCount=0))
    call(client)
    assert_signed(route.calls.last.request, "GET", ORDER_HOST, target)


ORDER = {"id": 555, "currency": "DKK", "acceptedPositions": [{"id": 111, "quantity": 1, "price": 49900, "item": {"gtin": "1"}}]}
RETURN = {"id": 50, "orderId": 555, "status": "pending", "origin": "customer", "positions": []}


@pytest.mark.parametrize(
    "call,target,data,check",
    [
        (lambda c: c.shop(SHOP), f"/shops/{SHOP}", {"id": SHOP, "name": "Copenhagen"}, lambda r: r.name == "Copenhagen"),
        (
            lambda c: c.transfer(SHOP, 987654),
            f"/shops/{SHOP}/transfers/987654",
            {"id": 987654, "status": "decided", "positions": [], "newOrder": {"id": 555}},
            lambda r: r.new_order.id == 555,
        ),
        (
            lambda c: c.order(SHOP, 555),
            f"/shops/{SHOP}/orders/555",
            ORDER,
            lambda r: str(r.accepted_positions[0].price.amount) == "499.00",
        ),
        (
            lambda c: c.shipping_providers(SHOP, 555),
            f"/shops/{SHOP}/shipping-providers/orders/555",
            [{"id": "gls-dk"}],
            lambda r: r[0].id == "gls-dk",
        ),
        (
            lambda c: c.shop_shipping_providers(SHOP),
            f"/shops/{SHOP}/shipping-providers",
            [{"id": "gls-dk", "name": "GLS"}],
            lambda r: r[0].name == "GLS",
        ),
        (lambda c: c.return_(SHOP, 50), f"/shops/{SHOP}/returns/50", RETURN, lambda r: r.order_id == 555),
    ],
)
def test_single_reads(api, client, call, target, data, check):
    route = api.get(host=ORDER_HOST).mock(return_value=ok(data))
    assert check(call(client))
    assert_signed(route.calls.last.request, "GET", ORDER_HOST, target)


def test_the_signature_covers_the_raw_percent_encoded_path(api, client):
    route = api.get(host=ORDER_HOST).mock(return_value=ok({"id": "x", "name": "X"}))
    client.shop("shop ø/1")
    assert_signed(route.calls.last.request, "GET", ORDER_HOST, "/shops/shop%20%C3%B8%2F1")


def test_product_map_on_the_product_centre_host(api, client):
    route = api.get(host="api-pc.miinto.net").mock(return_value=ok([["G-1", "G-1-S", "5790001000011", "uuid-1"]]))
    page = client.product_map(SHOP)
    assert [(r.style_id, r.feed_id, r.gtin, r.miinto_item_id) for r in page.items] == [
        ("G-1", "G-1-S", "5790001000011", "uuid-1")
    ]
    assert_signed(route.calls.last.request, "GET", "api-pc.miinto.net", "/productmaps?unifiedLocationId=1-m%21i%21s-045-1234")


def test_create_shipment_bodies(api, client):
    route = api.post(f"https://{ORDER_HOST}/shops/{SHOP}/orders/555/shipments").mock(
        return_value=ok({"id": 8001, "status": "sent"}, 201)
    )
    shipment = client.create_shipment(SHOP, 555, provider_id="gls-dk", track_and_trace="TT123", position_ids=[111])
    assert (shipment.id, shipment.status) == (8001, "sent")
    target = f"/shops/{SHOP}/orders/555/shipments"
    assert_signed(
        route.calls.last.request,
        "POST",
        ORDER_HOST,
        target,
        b'{"shippingProviderId":"gls-dk","trackAndTrace":"TT123","positions":[{"id":111}]}',
    )
    client.create_shipment(SHOP, 555, provider_id="gls-dk", track_and_trace="TT124")
    assert_signed(
        route.calls.last.request, "POST", ORDER_HOST, target, b'{"shippingProviderId":"gls-dk","trackAndTrace":"TT124"}'
    )


def test_label_pdf_or_none_while_there_is_no_label(api, client):
    route = api.get(f"https://{ORDER_HOST}/shops/{SHOP}/orders/555/labels")
    route.side_effect = [
        fail(404, "label_not_ready"),
        httpx.Response(200, content=b"%PDF-1.4 ...", headers={"Content-Type": "application/pdf"}),
    ]
    assert client.label_pdf(SHOP, 555) is None
    assert client.label_pdf(SHOP, 555) == b"%PDF-1.4 ..."
    assert_signed(route.calls.last.request, "GET", ORDER_HOST, f"/shops/{SHOP}/orders/555/labels")


def test_decide_return_bodies(api, client):
    route = api.patch(f"https://{ORDER_HOST}/shops/{SHOP}/returns/50").mock(return_value=ok({**RETURN, "status": "declined"}))
    assert client.decide_return(SHOP, 50, "declined", "Item was worn").status == "declined"
    assert_signed(
        route.calls.last.request,
        "PATCH",
        ORDER_HOST,
        f"/shops/{SHOP}/returns/50",
        b'{"status":"declined","reason":"Item was worn"}',
    )
    client.decide_return(SHOP, 50, "accepted")
    assert route.calls.last.request.content == b'{"status":"accepted"}'
    with pytest.raises(ValueError, match="reason"):
        client.decide_return(SHOP, 50, "declined", " ")
    assert route.call_count == 2


def test_create_rma_request_body(api, client):
    route = api.post(f"https://{ORDER_HOST}/shops/{SHOP}/returns").mock(
        return_value=ok({**RETURN, "origin": "merchant", "status": "accepted"}, 201)
    )
    assert client.create_rma_request(SHOP, 555, {111: 1, 112: 2}, "Damaged in transit").origin == "merchant"
    body = b'{"orderId":555,"positions":[{"orderPositionId":111,"quantity":1},{"orderPositionId":112,"quantity":2}],"reason":"Damaged in transit"}'
    assert_signed(route.calls.last.request, "POST", ORDER_HOST, f"/shops/{SHOP}/returns", body)


def test_push_stock_splits_into_batches_of_500_and_sums_the_answers(api, client):
    route = api.patch(f"https://api-stock.miinto.net/locations/{SHOP}/items")
    route.side_effect = [
        ok({"updated": 500, "unknown": []}),
        ok({"updated": 499, "unknown": [{"group": "G499", "brand": "B", "color": "C", "size": "M"}]}),
        ok({"updated": 1, "unknown": []}),
    ]
    items = [StockItem(stock=i % 5, group=f"G{i}", brand="B", color="C", size="M") for i in range(1001)]
    result = client.push_stock(SHOP, items)
    assert (result.updated, [k.group for k in result.unknown]) == (1000, ["G499"])
    assert [len(httpx.Response(200, content=c.request.content).json()) for c in route.calls] == [500, 500, 1]
    assert_signed(
        route.calls.last.request,
        "PATCH",
        "api-stock.miinto.net",
        f"/locations/{SHOP}/items",
        b'[{"stock":0,"group":"G1000","brand":"B","color":"C","size":"M"}]',
    )
    assert client.push_stock(SHOP, []).updated == 0 and route.call_count == 3


def test_a_broken_transfer_comes_back_as_a_reject_next_to_the_good_ones(api, client):
    broken = {"id": 2, "pendingPositions": [{"id": 20, "quantity": 1, "price": None, "item": {}}]}
    good = {"id": 1, "pendingPositions": [{"id": 10, "quantity": 1, "price": 12345, "item": {"gtin": "5790001000011"}}]}
    api.get(f"https://{ORDER_HOST}/shops/{SHOP}/transfers").mock(return_value=ok([good, broken], totalItemCount=2))
    page = client.transfers(SHOP)
    assert [(t.id, str(t.pending_positions[0].price.amount)) for t in page.items] == [(1, "123.45")]
    assert [r.raw for r in page.rejects] == [broken] and "minor units" in page.rejects[0].error


def test_transfer_pages_walk_limit_and_offset_until_the_total(api, client):
    def transfer(i):
        return {"id": i, "pendingPositions": [{"id": i * 10, "quantity": 1, "price": 100, "item": {}}]}

    route = api.get(f"https://{ORDER_HOST}/shops/{SHOP}/transfers")
    route.side_effect = [ok([transfer(1), transfer(2)], totalItemCount=3), ok([transfer(3)], totalItemCount=3)]
    pages = list(client.transfer_pages(SHOP, page_size=2))
    assert [[t.id for t in p.items] for p in pages] == [[1, 2], [3]]
    assert [c.request.url.params["offset"] for c in route.calls] == ["0", "2"]


# --- errors, retries, re-login -------------------------------------------------------------------


def login_route(api):
    return api.post(f"https://{AUTH_HOST}/channels").mock(
        return_value=ok({"id": "M!t!Ch!v1!2", "token": "f" * 40, "privileges": {}})
    )


def test_token_expired_logs_in_once_and_repeats_the_call(api, client):
    login = login_route(api)
    route = api.get(f"https://{ORDER_HOST}/shops/{SHOP}").mock(
        side_effect=[fail(401, "token_expired"), ok({"id": SHOP, "name": "X"})]
    )
    assert client.shop(SHOP).name == "X"
    assert login.call_count == 1 and route.call_count == 2
    assert route.calls.last.request.headers["Miinto-Api-Auth-ID"] == "M!t!Ch!v1!2"


def test_token_expired_twice_is_raised_after_one_login(api, client):
    login = login_route(api)
    api.get(f"https://{ORDER_HOST}/shops/{SHOP}").mock(return_value=fail(401, "token_expired"))
    with pytest.raises(AuthError) as raised:
        client.shop(SHOP)
    assert raised.value.code == "token_expired" and login.call_count == 1


def test_a_signature_error_is_raised_without_logging_in(api, client):
    login = login_route(api)
    api.get(f"https://{ORDER_HOST}/shops/{SHOP}").mock(return_value=fail(401, "signature", "Invalid signature"))
    with pytest.raises(AuthError) as raised:
        client.shop(SHOP)
    assert (raised.value.status, raised.value.code, login.call_count) == (401, "signature", 0)
    assert "Invalid signature" in str(raised.value)


def test_a_2xx_whose_meta_says_failure_is_an_error(api, client):
    api.get(f"https://{ORDER_HOST}/shops/{SHOP}").mock(return_value=fail(200, "shop_inactive", "Shop not active"))
    with pytest.raises(PermanentError) as raised:
        client.shop(SHOP)
    assert raised.value.code == "shop_inactive"


def test_5xx_is_retried_for_gets_but_surfaced_for_patch(api, client, sleeps):
    get = api.get(f"https://{ORDER_HOST}/shops/{SHOP}").mock(
        side_effect=[fail(503, "server_error"), ok({"id": SHOP, "name": "X"})]
    )
    assert client.shop(SHOP).name == "X" and get.call_count == 2
    patch = api.patch(f"https://{ORDER_HOST}/shops/{SHOP}/transfers/1").mock(return_value=fail(500, "server_error"))
    with pytest.raises(TransientError):
        client.decide_transfer(SHOP, 1, accepted=[2])
    assert patch.call_count == 1 and sleeps == [0.2]


def test_429_waits_retry_after_even_for_a_patch(api, client, sleeps):
    route = api.patch(f"https://{ORDER_HOST}/shops/{SHOP}/transfers/1")
    route.side_effect = [fail(429, "rate_limited", headers={"Retry-After": "2"}), ok({"newOrder": {"id": 9}})]
    assert client.decide_transfer(SHOP, 1, accepted=[2]) == 9
    assert sleeps == [2.0] and route.call_count == 2


def test_a_long_retry_after_goes_back_to_the_caller(api, client, sleeps):
    route = api.patch(f"https://{ORDER_HOST}/shops/{SHOP}/transfers/1").mock(
        return_value=fail(429, "rate_limited", headers={"Retry-After": "30"})
    )
    with pytest.raises(RateLimited) as raised:
        client.decide_transfer(SHOP, 1, accepted=[2])
    assert (raised.value.retry_after, route.call_count, sleeps) == (30.0, 1, [])


def test_a_cut_off_json_answer_is_transient_and_a_get_retries_it(api, client):
    route = api.get(f"https://{ORDER_HOST}/shops/{SHOP}")
    route.side_effect = [
        httpx.Response(200, content=b'{"meta": {"status": "success"}, "data": [', headers={"Content-Type": "application/json"}),
        ok({"id": SHOP, "name": "X"}),
    ]
    assert client.shop(SHOP).name == "X" and route.call_count == 2


def test_an_invalid_record_in_a_single_read_is_permanent(api, client):
    api.get(f"https://{ORDER_HOST}/shops/{SHOP}/orders/1").mock(return_value=ok({"id": "not a number", "currency": "DKK"}))
    with pytest.raises(PermanentError, match="invalid Order"):
        client.order(SHOP, 1)


def test_every_call_takes_a_token_from_the_shared_limiter(api):
    api.get(host=ORDER_HOST).mock(return_value=ok({"id": SHOP, "name": "X"}))
    taken = []

    class Recorder:
        def wait(self, key, *, rate, burst, max_wait):
            taken.append((key, rate, burst))

    client = MiintoClient(
        MiintoEnvironment.PRODUCTION,
        "merchant@example.com",
        "pw",
        session=MiintoSession(CHANNEL, TOKEN),
        rate_limit_limiter=Recorder(),
    )
    client.shop(SHOP)
    client.shop(SHOP)
    assert taken == [("miinto:production:merchant@example.com", 10, 10)] * 2


def test_tokens_and_passwords_never_reach_the_log(api):
    login_route(api)
    api.get(host=ORDER_HOST).mock(return_value=ok({"id": SHOP, "name": "X"}))
    records = []
    client = MiintoClient(MiintoEnvironment.PRODUCTION, "merchant@example.com", "pw-SECRET", on_call=records.append)
    with structlog.testing.capture_logs() as logs:
        client.shop(SHOP)
    text = repr(logs) + repr(records)
    assert "pw-SECRET" not in text and "f" * 40 not in text
    assert [r.url for r in records] == [f"https://{AUTH_HOST}/channels", f"https://{ORDER_HOST}/shops/{SHOP}"]


def test_the_channel_id_never_reaches_the_log_or_the_call_records(api):
    """The channel id names the signed session, so it is redacted like the token: in headers, paths, bodies, errors."""
    api.post(f"https://{AUTH_HOST}/channels").mock(return_value=ok({"id": CHANNEL, "token": "f" * 40, "privileges": {}}))
    api.get(f"https://{AUTH_HOST}/channels/{CHANNEL}").mock(return_value=fail(404, "not_found", f"channel {CHANNEL} unknown"))
    api.get(host=ORDER_HOST).mock(return_value=ok({"id": SHOP, "name": "X"}))
    records = []
    client = MiintoClient(MiintoEnvironment.PRODUCTION, "merchant@example.com", "pw-SECRET", on_call=records.append)
    with structlog.testing.capture_logs() as logs:
        client.shop(SHOP)
        with pytest.raises(PermanentError):
            client.channel()
    text = repr(logs) + repr(records)
    assert CHANNEL not in text
    assert [r.url for r in records] == [
        f"https://{AUTH_HOST}/channels",
        f"https://{ORDER_HOST}/shops/{SHOP}",
        f"https://{AUTH_HOST}/channels/***",
    ]
    assert records[0].response_body["data"]["id"] == "***"
    assert logs[1]["request_headers"]["miinto-api-auth-id"] == "***"
