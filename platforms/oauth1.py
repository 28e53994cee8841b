"""OAuth 1.0a request signing (RFC 5849) with the standard library: base string, HMAC signature, Authorization header.

Generic: Magento 2 integrations sign with it, and its simulator verifies with the same functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx

DIGESTS = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}
DEFAULT_PORTS = {"http": 80, "https": 443}


def pct(value: str) -> str:
    """RFC 5849 §3.6 percent-encoding: everything but ALPHA, DIGIT and `-._~`, as upper-case %XX of its UTF-8 bytes."""
    return quote(value, safe="-._~")


def base_uri(url: str) -> str:
    """RFC 5849 §3.4.1.2: scheme and host in lower case, the port only when not the scheme's default, no query."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port and parts.port != DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{port}{parts.path or '/'}"


def normalized_parameters(params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1.3.2: every parameter encoded, sorted by name then value, joined with `&`."""
    encoded = sorted((pct(name), pct(value)) for name, value in params if name not in ("oauth_signature", "realm"))
    return "&".join(f"{name}={value}" for name, value in encoded)


def base_string(method: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The signature base string of a request; `params` are the query, form-body and oauth_* parameters, decoded."""
    return "&".join((method.upper(), pct(base_uri(url)), pct(normalized_parameters(params))))


def sign(base: str, consumer_secret: str, token_secret: str, method: str = "HMAC-SHA256") -> str:
    """The base64 HMAC of `base`, keyed `consumer_secret&token_secret` (each percent-encoded)."""
    key = f"{pct(consumer_secret)}&{pct(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), DIGESTS[method]).digest()).decode()


def oauth_parameters(consumer_key: str, token: str, *, method: str, nonce: str, timestamp: int) -> dict[str, str]:
    return {
        "oauth_consumer_key": consumer_key, "oauth_nonce": nonce, "oauth_signature_method": method,
        "oauth_timestamp": str(timestamp), "oauth_token": token, "oauth_version": "1.0",
    }


def authorization_header(oauth: dict[str, str]) -> str:
    """The `Authorization: OAuth ...` value of signed oauth_* parameters (§3.5.1)."""
    return "OAuth " + ", ".join(f'{pct(name)}="{pct(value)}"' for name, value in oauth.items())


def parse_authorization(header: str) -> dict[str, str]:
    """The oauth_* parameters of an `Authorization: OAuth ...` header, decoded; empty when it is not OAuth."""
    if not header.startswith("OAuth "):
        return {}
    found = {}
    for part in header[len("OAuth "):].split(","):
        name, _, value = part.strip().partition("=")
        found[unquote(name)] = unquote(value.strip('"'))
    return found


def request_parameters(request: httpx.Request) -> list[tuple[str, str]]:
    """The query parameters of a request, plus its body's when it is form-encoded (JSON bodies are not signed)."""
    params = parse_qsl(request.url.query.decode(), keep_blank_values=True)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        params += parse_qsl(request.content.decode(), keep_blank_values=True)
    return params


class OAuth1Auth(httpx.Auth):
    """Signs every request with the four values of an OAuth 1.0a grant, a fresh nonce and the current time."""

    def __init__(self, consumer_key: str, consumer_secret: str, token: str, token_secret: str, *, method: str = "HMAC-SHA256",
                 clock: Callable[[], float] = time.time, nonce: Callable[[], str] = lambda: secrets.token_hex(16)):
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.token, self.token_secret = token, token_secret
        self.method, self.clock, self.nonce = method, clock, nonce

    def auth_flow(self, request: httpx.Request):
        oauth = oauth_parameters(self.consumer_key, self.token, method=self.method, nonce=self.nonce(), timestamp=int(self.clock()))
        base = base_string(request.method, str(request.url), [*request_parameters(request), *oauth.items()])
        oauth["oauth_signature"] = sign(base, self.consumer_secret, self.token_secret, self.method)
        request.headers["Authorization"] = authorization_header(oauth)
        yield request
