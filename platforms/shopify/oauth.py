"""The Shopify app install (OAuth authorization code grant): authorize URL, callback checks, code exchange, credentials.

The connections views call these; the app's client id and secret come from settings (SHOPIFY_CLIENT_ID/SECRET).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as random_tokens
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode

import httpx
from pydantic import SecretStr, ValidationError

from koongo.http import ApiClient, PermanentError
from platforms.errors import MissingScope
from platforms.shopify.credentials import API_VERSION, REQUIRED_SCOPES, SHOP_DOMAIN, ShopifyCredentials
from platforms.shopify.schemas import AccessTokenResponse

# What we ask for: the required scopes, plus orders older than Shopify's default 60-day window.
REQUESTED_SCOPES = (*REQUIRED_SCOPES, "read_all_orders")
MAX_CLOCK_SKEW = 90  # seconds, as Shopify's own app library allows


class InstallRefused(PermanentError):
    """The install callback or the code exchange did not check out; nothing was stored."""


@dataclass(frozen=True)
class ShopifyApp:
    """Our app as Shopify knows it. `previous_secret` keeps old signatures valid during a secret rotation."""

    client_id: str
    client_secret: SecretStr
    redirect_uri: str
    scopes: tuple[str, ...] = REQUESTED_SCOPES
    previous_secret: SecretStr | None = None

    @classmethod
    def from_settings(cls, settings, redirect_uri: str) -> ShopifyApp:
        """Build from an object with SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET (Django's settings)."""
        previous = getattr(settings, "SHOPIFY_PREVIOUS_CLIENT_SECRET", "") or None
        return cls(
            settings.SHOPIFY_CLIENT_ID,
            SecretStr(settings.SHOPIFY_CLIENT_SECRET),
            redirect_uri,
            previous_secret=SecretStr(previous) if previous else None,
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        found = [self.client_secret.get_secret_value()]
        if self.previous_secret:
            found.append(self.previous_secret.get_secret_value())
        return tuple(found)


def shop_url(shop: str, simulator_url: str | None = None) -> str:
    """Where a shop's admin lives: https://{shop}, or under the store simulator's /shopify/ prefix."""
    return f"{simulator_url.rstrip('/')}/shopify/{shop}" if simulator_url else f"https://{shop}"


def new_state() -> str:
    """A fresh nonce for `state`; store it in the merchant's session and pass it to `verify_callback`."""
    return random_tokens.token_urlsafe(32)


def authorize_url(app: ShopifyApp, shop: str, state: str, *, base_url: str | None = None) -> str:
    """Where to send the merchant to approve the install; no `grant_options[]`, so the token is an offline one."""
    _check_shop(shop)
    query = urlencode(
        {"client_id": app.client_id, "scope": ",".join(app.scopes), "redirect_uri": app.redirect_uri, "state": state}
    )
    return f"{(base_url or shop_url(shop)).rstrip('/')}/admin/oauth/authorize?{query}"


def query_hmac(params: Mapping[str, str], secret: str) -> str:
    """The hex HMAC-SHA256 Shopify puts in `hmac`: the other parameters sorted and form-encoded as k=v&k=v."""
    message = "&".join(
        f"{_form_encoded(key)}={_form_encoded(params[key])}" for key in sorted(params) if key not in ("hmac", "signature")
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _form_encoded(value: str) -> str:
    """Encode as the WHATWG URLSearchParams Shopify's app library signs with: `*` kept, `~` escaped, space as `+`.

    So `host` values with `+`, `/` or `=` are signed as %2B, %2F, %3D, the way Shopify sends them.
    """
    return quote_plus(value, safe="*").replace("~", "%7E")


def verify_launch(app: ShopifyApp, params: Mapping[str, str], *, now: Callable[[], float] = time.time) -> str:
    """Check Shopify's request to our App URL (shop, timestamp, hmac); returns the shop domain."""
    shop = _check_shop(params.get("shop", ""))
    _check_signed(app, params, now)
    return shop


def verify_callback(
    app: ShopifyApp, params: Mapping[str, str], *, expected_state: str, now: Callable[[], float] = time.time
) -> str:
    """Check the redirect back from Shopify: shop host, our state, the hmac and its timestamp; returns the shop domain."""
    shop = _check_shop(params.get("shop", ""))
    if not expected_state or not hmac.compare_digest(params.get("state", ""), expected_state):
        raise InstallRefused("the install callback's state does not match this session", code="bad_state")
    _check_signed(app, params, now)
    if not params.get("code"):
        raise InstallRefused("the install callback carries no code", code="no_code")
    return shop


def exchange_code(
    app: ShopifyApp,
    shop: str,
    code: str,
    *,
    base_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
    on_call: Callable | None = None,
) -> AccessTokenResponse:
    """Trade the callback's code for the shop's offline token; MissingScope if the merchant granted less than we need."""
    _check_shop(shop)
    body = {"client_id": app.client_id, "client_secret": app.client_secret.get_secret_value(), "code": code}
    with ApiClient(base_url or shop_url(shop), transport=transport, on_call=on_call) as client:
        try:
            response = client.send("POST", "/admin/oauth/access_token", json=body, headers={"Accept": "application/json"})
        except PermanentError as error:
            raise InstallRefused(f"Shopify refused the install code for {shop} ({error.status})", status=error.status) from error
    try:
        grant = AccessTokenResponse.model_validate(response.json())
    except (ValueError, ValidationError) as error:
        raise InstallRefused(f"Shopify answered the code exchange for {shop} with an unexpected body") from error
    granted = set(filter(None, grant.scope.split(",")))
    granted |= {"read_" + scope.removeprefix("write_") for scope in granted if scope.startswith("write_")}
    missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
    if missing:
        raise MissingScope("Shopify", missing)
    return grant


def install_credentials(
    app: ShopifyApp, shop: str, grant: AccessTokenResponse, *, base_url: str | None = None
) -> ShopifyCredentials:
    """The connection's credentials after a successful install."""
    return ShopifyCredentials(
        shop_domain=shop,
        access_token=grant.access_token,
        scopes=tuple(sorted(filter(None, grant.scope.split(",")))),
        api_version=API_VERSION,
        base_url=base_url,
        app_client_secrets=tuple(SecretStr(secret) for secret in app.secrets),
    )


def _check_shop(shop: str) -> str:
    if not SHOP_DOMAIN.match(shop or ""):
        raise InstallRefused(f"{shop!r} is not a myshopify.com shop host", code="bad_shop")
    return shop


def _check_signed(app: ShopifyApp, params: Mapping[str, str], now: Callable[[], float]) -> None:
    given = params.get("hmac", "")
    if not given or not any(hmac.compare_digest(query_hmac(params, secret), given) for secret in app.secrets):
        raise InstallRefused("the request's hmac does not match", code="bad_hmac")
    try:
        skew = abs(now() - int(params.get("timestamp", "")))
    except ValueError as error:
        raise InstallRefused("the request carries no valid timestamp", code="bad_timestamp") from error
    if skew > MAX_CLOCK_SKEW:
        raise InstallRefused("the request's timestamp is too old", code="bad_timestamp")
