"""HTTP to one Shopware 5 REST API: Digest or Basic auth, `{success, data, total}` envelopes, filters, paging, errors."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from koongo.http import ApiClient, AuthError, PermanentError, RateLimited, TransientError, parse_retry_after
from platforms.errors import MissingScope
from platforms.mechanics import paginate

NAME = "Shopware 5"
# Shopware's PrivilegeException: Role "api" is not allowed to "read" on resource "order"
_PRIVILEGE = re.compile(r'not allowed to "(?P<privilege>\w+)" on resource "(?P<resource>\w+)"')

Condition = tuple[str, str | None, Any]  # (property, expression or None for "=" / "IN", value or list of values)


def filters(*conditions: Condition) -> list[tuple[str, str]]:
    """Query parameters for Shopware's list filter: `filter[0][property]=number&filter[0][value][]=A&...`.

    A list value becomes an SQL IN; an expression such as `>=` is sent as `filter[i][expression]`.
    """
    params: list[tuple[str, str]] = []
    for index, (prop, expression, value) in enumerate(conditions):
        params.append((f"filter[{index}][property]", prop))
        if expression:
            params.append((f"filter[{index}][expression]", expression))
        if isinstance(value, list | tuple):
            params += [(f"filter[{index}][value][]", str(item)) for item in value]
        else:
            params.append((f"filter[{index}][value]", str(value)))
    return params


class Shopware5Client(ApiClient):
    """One shop's `/api`. Reads are retried briefly; every write goes out once, because Shopware has no idempotency keys."""

    def __init__(self, shop_url: str, username: str, api_key: str, scheme: str, **options):
        super().__init__(f"{shop_url}/api", headers={"Accept": "application/json"}, **options)
        # Shopware's REST plugin accepts "basic digest"; httpx keeps Digest's challenge, so later calls take one round trip.
        self.http.auth = httpx.DigestAuth(username, api_key) if scheme == "digest" else httpx.BasicAuth(username, api_key)
        self.shop = urlsplit(shop_url).netloc or shop_url

    def get(self, path: str, params: Sequence[tuple[str, str]] | dict | None = None) -> Any:
        """The `data` of a read."""
        return self.send("GET", path, params=params, parse=self._data)

    def listing(self, path: str, params: Sequence[tuple[str, str]] = (), *, start: int = 0, limit: int = 100) -> tuple[list, int]:
        """One page of a list: its items and the total the list would have without paging."""
        payload = self.send("GET", path, params=[*params, ("start", str(start)), ("limit", str(limit))], parse=self._payload)
        return payload.get("data") or [], int(payload.get("total") or 0)

    def pages(self, path: str, params: Sequence[tuple[str, str]] = (), page_size: int = 100) -> Iterator[dict]:
        """Every item of a list, `page_size` at a time (sort by id in `params` so pages neither skip nor repeat)."""

        def fetch(start):
            start = start or 0
            items, total = self.listing(path, params, start=start, limit=page_size)
            following = start + len(items)
            return items, following if items and following < total else None

        return paginate(fetch)

    def write(self, method: str, path: str, body: Any) -> Any:
        """A POST or PUT, sent once (idempotent=False): PUT bodies are absolute, so a blind resend could undo a change."""
        return self.send(method, path, json=body, idempotent=False, parse=self._data)

    def _data(self, response: httpx.Response) -> Any:
        return self._payload(response).get("data")

    def _payload(self, response: httpx.Response) -> dict:
        """The answer's JSON (one that does not parse is the base's TransientError), refused when it reports a failure."""
        payload = response.json()
        if not isinstance(payload, dict) or payload.get("success") is False:
            raise PermanentError(f"{NAME} {self.shop} reported a failure: {_message(response)}", status=response.status_code)
        return payload

    def check(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        message = _message(response)
        detail = f": {message}" if message else ""
        request = response.request
        privilege = _PRIVILEGE.search(message)
        if privilege:
            raise MissingScope(NAME, [f"{privilege['resource']} ({privilege['privilege']})"])
        if status in (401, 403):
            raise AuthError(
                f"{NAME} {self.shop} refused the API user or key ({status}){detail}", status=status, body=response.text
            )
        if status == 429:
            raise RateLimited(
                f"{NAME} {self.shop} throttled a call (429)",
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        what = f"{NAME} {self.shop} refused {request.method} {request.url.path} ({status}){detail}"
        if status >= 500:
            raise TransientError(what, status=status, body=response.text)
        raise PermanentError(what, status=status, body=response.text)


def _message(response: httpx.Response) -> str:
    """Shopware's `message`, with validation `errors` appended when it sends them."""
    try:
        payload = response.json()
    except ValueError:
        return ""
    if not isinstance(payload, dict):
        return ""
    errors = payload.get("errors")
    extra = f" ({'; '.join(map(str, errors))})" if isinstance(errors, list) and errors else ""
    return f"{payload.get('message', '')}{extra}".strip()
