"""The simulator refuses what Miinto's conventions rule out (§2, §4, §11), so a client regression cannot pass unseen."""

import json

import httpx
import pytest

from miinto import auth
from miinto.client import MiintoClient
from tests.miinto.simulated import DK, GTIN

ORDER_HOST = "https://api-order.miinto.net"


def signed(client: MiintoClient, method: str, url: str, body=None, *, timestamp=None, content_type="application/json"):
    """A request signed over exactly what is sent, with the timestamp and content type given."""
    if client.session is None:
        client.login()
    content = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = client.http.build_request(method, url, content=content or None)
    path, _, query = request.url.raw_path.decode().partition("?")
    request.headers.update(
        auth.signed_headers(
            client.session.token,
            channel_id=client.session.channel_id,
            timestamp=timestamp if timestamp is not None else int(client.clock()),
            seed=auth.new_seed(),
            method=method,
            host=request.url.host,
            path=path,
            query=query,
            body=content,
            version=auth.AUTH_CONTROL_VERSION if request.url.host.startswith("api-auth") else auth.CONTROL_VERSION,
        )
    )
    request.headers["Content-Type"] = content_type
    return request


def send(client: MiintoClient, request: httpx.Request) -> tuple[int, str, object]:
    response = client.http.send(request)
    body = response.json()
    return response.status_code, body["meta"].get("code"), body["data"]


def decision(client, control, accepted, declined=None):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1), (GTIN[1], 19900, 1))
    body = {"acceptedPositions": accepted(transfer)} | ({"declinedPositions": declined(transfer)} if declined else {})
    url = f"{ORDER_HOST}/shops/{DK}/transfers/{transfer['id']}"
    return transfer, send(client, signed(client, "PATCH", url, body))


# --- signatures and headers ----------------------------------------------------------------------


def test_a_signature_in_upper_case_hex_is_refused(client):
    request = signed(client, "GET", f"{ORDER_HOST}/shops/{DK}")
    request.headers["Miinto-Api-Auth-Signature"] = request.headers["Miinto-Api-Auth-Signature"].upper()
    assert send(client, request) == (401, "signature", None)


@pytest.mark.parametrize("form", ["+{now}", "1_{rest}", " {now}", "{now}.0"])
def test_a_timestamp_that_is_not_plain_digits_is_refused_even_when_signed_as_sent(client, form):
    now = str(int(client.clock()))
    timestamp = form.format(now=now, rest=now[1:])
    assert int(float(timestamp.replace("_", ""))) == int(now)  # each is the right moment in Python's eyes
    assert send(client, signed(client, "GET", f"{ORDER_HOST}/shops/{DK}", timestamp=timestamp)) == (401, "signature", None)


@pytest.mark.parametrize("flavour", [None, "Miinto-Special", "miinto-generic"])
def test_a_missing_or_unknown_control_flavour_is_refused(client, flavour):
    request = signed(client, "GET", f"{ORDER_HOST}/shops/{DK}")
    del request.headers["Miinto-Api-Control-Flavour"]
    if flavour:
        request.headers["Miinto-Api-Control-Flavour"] = flavour
    assert send(client, request) == (400, "unsupported_flavour", None)


@pytest.mark.parametrize("version", [None, "2.6", "2.2", "1"])
def test_the_auth_host_takes_only_control_version_1_0(client, version):
    client.login()
    request = signed(client, "GET", f"https://api-auth.miinto.net/channels/{client.session.channel_id}")
    del request.headers["Miinto-Api-Control-Version"]
    if version:
        request.headers["Miinto-Api-Control-Version"] = version
    assert send(client, request) == (400, "unsupported_version", None)


def test_a_login_naming_another_control_version_is_refused(transport):
    response = httpx.Client(transport=transport).post(
        "https://api-auth.miinto.net/channels",
        json={"identifier": "merchant@example.com", "secret": "pw-1"},
        headers={"Miinto-Api-Control-Version": "2.6"},
    )
    assert (response.status_code, response.json()["meta"]["code"]) == (400, "unsupported_version")


def test_the_order_host_refuses_the_auth_version(client):
    request = signed(client, "GET", f"{ORDER_HOST}/shops/{DK}")
    request.headers["Miinto-Api-Control-Version"] = "1.0"
    assert send(client, request) == (400, "unsupported_version", None)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""])
def test_a_signed_json_call_with_another_content_type_is_415_and_changes_nothing(client, control, content_type):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1))
    body = {"acceptedPositions": [{"id": transfer["positions"][0]["id"]}]}
    url = f"{ORDER_HOST}/shops/{DK}/transfers/{transfer['id']}"
    request = signed(client, "PATCH", url, body, content_type=content_type)
    if not content_type:
        del request.headers["Content-Type"]
    assert send(client, request) == (415, "unsupported_media_type", None)
    assert client.transfer(DK, transfer["id"]).positions[0].status == "pending"


def test_json_with_a_charset_is_json(client, control):
    transfer = control.transfer(DK, (GTIN[0], 49900, 1))
    body = {"acceptedPositions": [{"id": transfer["positions"][0]["id"]}]}
    url = f"{ORDER_HOST}/shops/{DK}/transfers/{transfer['id']}"
    status, _, data = send(client, signed(client, "PATCH", url, body, content_type="application/json; charset=utf-8"))
    assert (status, data["positions"][0]["status"]) == (200, "accepted")


def test_our_client_speaks_1_0_to_the_auth_host_and_2_6_elsewhere(client):
    assert client.channel().id == client.session.channel_id
    assert client.shop(DK).name == "Copenhagen"


# --- transfer decisions --------------------------------------------------------------------------


def test_bare_integer_ids_of_the_old_2_2_format_are_refused_and_nothing_is_decided(client, control):
    transfer, answer = decision(
        client, control, lambda t: [t["positions"][0]["id"]], lambda t: [t["positions"][1]["id"]]
    )
    assert answer[:2] == (422, "invalid_positions")
    assert [p.status for p in client.transfer(DK, transfer["id"]).positions] == ["pending", "pending"]


@pytest.mark.parametrize("id_of", [lambda p: p["id"] + 0.7, lambda p: float(p["id"]), lambda p: str(p["id"]), lambda p: True])
def test_position_ids_that_are_not_integers_are_refused(client, control, id_of):
    transfer, answer = decision(client, control, lambda t: [{"id": id_of(t["positions"][0])}])
    assert answer[:2] == (422, "invalid_positions")
    assert [p.status for p in client.transfer(DK, transfer["id"]).positions] == ["pending", "pending"]


# --- query strings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,query",
    [
        ("transfers", "status%5B%5D=pending&since=2026-01-01"),
        ("orders", "query=shoes"),
        ("returns", "status=pending"),
        ("", "limit=10"),
    ],
)
def test_unknown_query_parameters_are_400(client, path, query):
    url = f"{ORDER_HOST}/shops/{DK}{'/' + path if path else ''}?{query}"
    assert send(client, signed(client, "GET", url)) == (400, "unknown_parameter", None)


@pytest.mark.parametrize(
    "path,status", [("transfers", "bogus"), ("transfers", "accepted"), ("orders", "decided"), ("returns", "sent")]
)
def test_a_status_the_list_does_not_have_is_400(client, path, status):
    url = f"{ORDER_HOST}/shops/{DK}/{path}?status%5B%5D={status}"
    assert send(client, signed(client, "GET", url)) == (400, "invalid_status", None)


@pytest.mark.parametrize("limit", ["101", "500", "-1", "+5", "1_0", "ten", ""])
def test_a_limit_over_the_cap_or_not_plain_digits_is_400(client, limit):
    url = f"{ORDER_HOST}/shops/{DK}/transfers?limit={limit}"
    assert send(client, signed(client, "GET", url)) == (400, "invalid_paging", None)


def test_the_cap_itself_and_zero_are_answered(client, control):
    control("POST", "transfers", {"shopId": DK, "count": 3})
    full = send(client, signed(client, "GET", f"{ORDER_HOST}/shops/{DK}/transfers?limit=100"))
    counted = client.http.send(signed(client, "GET", f"{ORDER_HOST}/shops/{DK}/transfers?limit=0")).json()
    assert (full[0], len(full[2])) == (200, 3)
    assert (counted["data"], counted["meta"]["totalItemCount"]) == ([], 3)
