"""Tests for the Shopify app install: authorize URL, callback checks (hmac, state, shop host), code exchange, end to end."""

import hashlib
import hmac
import json
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
import respx
from pydantic import SecretStr

from koongo.sandbox_kit import wsgi_transport
from platforms.errors import MissingScope
from platforms.shopify.adapter import ShopifyAdapter
from platforms.shopify.oauth import (
    InstallRefused,
    ShopifyApp,
    authorize_url,
    exchange_code,
    install_credentials,
    new_state,
    verify_callback,
    verify_launch,
)
from platforms.shopify.sandbox import ShopifySandbox
from tests.platforms.shopify.conftest import fixture

NOW = 1772445600
APP = ShopifyApp("koongo-dev-app", SecretStr("koongo-dev-app-secret"), "https://koongo.example/shopify/callback")


def _signed(params: dict, secret: str = "koongo-dev-app-secret") -> dict:
    """Sign as Shopify does (the sorted query string as sent, form-encoded), written out independently of the code under test."""
    message = urlencode(sorted(params.items()))
    return {**params, "hmac": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


def _callback(**overrides) -> dict:
    params = {
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ",
        "shop": "acme.myshopify.com",
        "state": "nonce-1",
        "timestamp": str(NOW),
    }
    return _signed({**params, **overrides})


def test_the_authorize_url_asks_for_our_scopes_offline_with_the_state():
    url = authorize_url(APP, "acme.myshopify.com", "nonce-1")
    assert url == (
        "https://acme.myshopify.com/admin/oauth/authorize?client_id=koongo-dev-app"
        "&scope=write_orders%2Cread_products%2Cwrite_inventory%2Cread_locations%2Cread_all_orders"
        "&redirect_uri=https%3A%2F%2Fkoongo.example%2Fshopify%2Fcallback&state=nonce-1"
    )
    assert "grant_options" not in url


def test_states_are_fresh_and_long():
    first, second = new_state(), new_state()
    assert first != second and len(first) >= 40


def test_a_genuine_callback_yields_the_shop():
    assert verify_callback(APP, _callback(), expected_state="nonce-1", now=lambda: NOW + 5) == "acme.myshopify.com"


def test_values_with_plus_slash_and_equals_are_signed_url_encoded():
    # A padded base64 host and a state with reserved characters, as Shopify sends and signs them.
    params = _callback(host="YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZS1zaG9w+/==", state="a b/c=d+e")
    assert verify_callback(APP, params, expected_state="a b/c=d+e", now=lambda: NOW + 5) == "acme.myshopify.com"


def test_a_signature_over_the_raw_unencoded_values_is_refused():
    params = {"code": "c0de", "host": "YWRt+aW4/=", "shop": "acme.myshopify.com", "state": "nonce-1", "timestamp": str(NOW)}
    raw = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
    forged = {**params, "hmac": hmac.new(b"koongo-dev-app-secret", raw.encode(), hashlib.sha256).hexdigest()}
    with pytest.raises(InstallRefused) as refused:
        verify_callback(APP, forged, expected_state="nonce-1", now=lambda: NOW)
    assert refused.value.code == "bad_hmac"


def test_a_bad_hmac_is_refused():
    params = {**_callback(), "code": "a-different-code"}
    with pytest.raises(InstallRefused) as raised:
        verify_callback(APP, params, expected_state="nonce-1", now=lambda: NOW)
    assert raised.value.code == "bad_hmac"


def test_a_wrong_state_is_refused_even_when_signed():
    with pytest.raises(InstallRefused) as raised:
        verify_callback(APP, _callback(state="someone-elses-nonce"), expected_state="nonce-1", now=lambda: NOW)
    assert raised.value.code == "bad_state"


@pytest.mark.parametrize(
    "shop", ["acme.myshopify.com.evil.example", "evil.example", "-acme.myshopify.com", "acme.myshopify.com/x"]
)
def test_a_foreign_shop_host_is_refused_even_when_signed(shop):
    with pytest.raises(InstallRefused) as raised:
        verify_callback(APP, _callback(shop=shop), expected_state="nonce-1", now=lambda: NOW)
    assert raised.value.code == "bad_shop"


def test_a_stale_timestamp_is_refused():
    with pytest.raises(InstallRefused) as raised:
        verify_callback(APP, _callback(), expected_state="nonce-1", now=lambda: NOW + 91)
    assert raised.value.code == "bad_timestamp"


def test_the_previous_secret_still_verifies_during_a_rotation():
    rotating = ShopifyApp(
        APP.client_id, SecretStr("new-secret"), APP.redirect_uri, previous_secret=SecretStr("koongo-dev-app-secret")
    )
    assert verify_callback(rotating, _callback(), expected_state="nonce-1", now=lambda: NOW) == "acme.myshopify.com"


def test_the_app_url_launch_is_checked_the_same_way():
    launch = _signed({"shop": "acme.myshopify.com", "timestamp": str(NOW)})
    assert verify_launch(APP, launch, now=lambda: NOW) == "acme.myshopify.com"
    with pytest.raises(InstallRefused):
        verify_launch(APP, {**launch, "shop": "other.myshopify.com"}, now=lambda: NOW)


@respx.mock
def test_the_code_is_exchanged_for_an_offline_token():
    route = respx.post("https://acme.myshopify.com/admin/oauth/access_token").respond(200, json=fixture("access_token"))
    grant = exchange_code(APP, "acme.myshopify.com", "0907a61c0c8d55e99db179b68161bc00")
    assert json.loads(route.calls.last.request.content) == {
        "client_id": "koongo-dev-app",
        "client_secret": "koongo-dev-app-secret",
        "code": "0907a61c0c8d55e99db179b68161bc00",
    }
    assert grant.access_token.get_secret_value() == "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"
    credentials = install_credentials(APP, "acme.myshopify.com", grant)
    assert credentials.scopes == ("read_all_orders", "read_locations", "read_products", "write_inventory", "write_orders")
    assert [secret.get_secret_value() for secret in credentials.app_client_secrets] == ["koongo-dev-app-secret"]


@respx.mock
def test_a_grant_short_of_our_scopes_is_refused():
    respx.post("https://acme.myshopify.com/admin/oauth/access_token").respond(
        200, json={"access_token": "shpat_x", "scope": "read_products"}
    )
    with pytest.raises(MissingScope) as raised:
        exchange_code(APP, "acme.myshopify.com", "code")
    assert raised.value.missing == ("read_locations", "write_inventory", "write_orders")


@respx.mock
def test_a_refused_code_becomes_install_refused():
    respx.post("https://acme.myshopify.com/admin/oauth/access_token").respond(400, json={"error": "invalid_request"})
    with pytest.raises(InstallRefused, match="refused the install code for acme.myshopify.com"):
        exchange_code(APP, "acme.myshopify.com", "used-code")


def test_the_install_works_end_to_end_against_the_simulator():
    sandbox = ShopifySandbox(1)
    transport = wsgi_transport(sandbox)
    browser = httpx.Client(transport=transport)
    state = new_state()
    redirect = browser.get(authorize_url(APP, "newshop.myshopify.com", state))
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == APP.redirect_uri
    params = dict(parse_qsl(location.query))
    shop = verify_callback(APP, params, expected_state=state)
    grant = exchange_code(APP, shop, params["code"], transport=transport)
    adapter = ShopifyAdapter(install_credentials(APP, shop, grant), transport=transport)
    assert adapter.test_connection().name == "Newshop"
    with pytest.raises(InstallRefused):
        exchange_code(APP, shop, params["code"], transport=transport)  # a code is good for one exchange
