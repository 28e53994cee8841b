"""HTTP to one BigCommerce store: X-Auth-Token, the X-Rate-Limit-* quota shared with the store's other apps, errors, paging."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx

from koongo.http import ApiClient, AuthError, PermanentError, RateLimited, TransientError, parse_retry_after
from platforms.mechanics import paginate

NAME = "BigCommerce"
# Waits longer than this are the caller's scheduler's business, not a blocked worker's.
MAX_INLINE_WAIT = 5.0
# A 429 means BigCommerce did not process the request, so even a POST may be sent again after the wait.
THROTTLE_RETRIES = 2
PAGE_LIMIT = 250  # BigCommerce's maximum `limit`


def loads(text: str) -> Any:
    """JSON with decimals kept exact: money arrives as JSON numbers in v3."""
    return json.loads(text, parse_float=Decimal)


def _number(value):
    """Decimals as JSON numbers: cent amounts survive float's shortest repr exactly."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class BigCommerceClient(ApiClient):
    """One store's REST API under /stores/{hash}. Paces itself by the quota headers and waits out short 429s.

    The quota is per store and shared by every app the merchant installed, so our own count means little:
    the headers of the last answer decide. When they say the window is spent, the next call waits for
    `X-Rate-Limit-Time-Reset-Ms` (or raises RateLimited when that is long); a 429 is waited out the same way.
    """

    def __init__(self, api_url: str, store_hash: str, access_token: str, *, clock: Callable[[], float] = time.monotonic, **options):
        headers = {"X-Auth-Token": access_token, "Accept": "application/json", "Content-Type": "application/json"}
        super().__init__(f"{api_url}/stores/{store_hash}", headers=headers, **options)
        self.store_hash = store_hash
        self.clock = clock
        self.spent_until: float | None = None

    # --- calls ------------------------------------------------------------------------------------
    def get(self, path: str, params: dict | None = None) -> Any:
        """The decoded body, or None for 204 (v2 lists answer 204 when nothing matches)."""
        return self.send("GET", path, params=params, parse=self._body)

    def post(self, path: str, body: Any) -> Any:
        return self.send("POST", path, content=json.dumps(body, default=_number), parse=self._body)

    def put(self, path: str, body: Any) -> Any:
        return self.send("PUT", path, content=json.dumps(body, default=_number), parse=self._body)

    def send(self, method: str, url: str, *, idempotent: bool | None = None, **kwargs) -> Any:
        for attempt in range(THROTTLE_RETRIES + 1):
            try:
                return super().send(method, url, idempotent=idempotent, **kwargs)
            except RateLimited as error:
                if attempt == THROTTLE_RETRIES or error.retry_after is None or error.retry_after > MAX_INLINE_WAIT:
                    raise
                self.sleep(error.retry_after)
        raise AssertionError("unreachable")

    def pages_v3(self, path: str, params: dict | None = None, *, limit: int = PAGE_LIMIT) -> Iterator[Any]:
        """Every item of a v3 listing, page by page, until `meta.pagination.total_pages`."""

        def fetch(page):
            page = page or 1
            body = self.get(path, {**(params or {}), "page": page, "limit": min(limit, PAGE_LIMIT)}) or {}
            pagination = (body.get("meta") or {}).get("pagination") or {}
            more = page < int(pagination.get("total_pages") or 1)
            return body.get("data") or [], page + 1 if more else None

        return paginate(fetch)

    def pages_v2(self, path: str, params: dict | None = None, *, limit: int = PAGE_LIMIT) -> Iterator[Any]:
        """Every item of a v2 listing: v2 has no pagination meta, so a short page or a 204 ends it."""

        def fetch(page):
            page = page or 1
            items = self.get(path, {**(params or {}), "page": page, "limit": min(limit, PAGE_LIMIT)}) or []
            return items, page + 1 if len(items) >= min(limit, PAGE_LIMIT) else None

        return paginate(fetch)

    @staticmethod
    def _body(response: httpx.Response) -> Any:
        return None if response.status_code == 204 or not response.content else loads(response.text)

    # --- the quota --------------------------------------------------------------------------------
    def prepare(self, request: httpx.Request) -> httpx.Request:
        """Before each attempt: wait while the last answer said the window's quota is spent."""
        if self.spent_until is not None:
            wait = self.spent_until - self.clock()
            self.spent_until = None
            if wait > MAX_INLINE_WAIT:
                raise RateLimited(f"{NAME} quota of store {self.store_hash} is spent", retry_after=wait, code="quota")
            if wait > 0:
                self.sleep(wait)
        return request

    def _note_quota(self, response: httpx.Response) -> None:
        left, reset = response.headers.get("X-Rate-Limit-Requests-Left"), response.headers.get("X-Rate-Limit-Time-Reset-Ms")
        if left is not None and reset is not None and int(left) <= 0:
            self.spent_until = self.clock() + int(reset) / 1000

    # --- error mapping ----------------------------------------------------------------------------
    def check(self, response: httpx.Response) -> None:
        """Map statuses to our hierarchy with messages that name BigCommerce, the store and BigCommerce's reason."""
        status = response.status_code
        where = f"{response.request.method} {response.request.url.path.split(self.store_hash, 1)[-1]}"
        if status == 429:
            reset = response.headers.get("X-Rate-Limit-Time-Reset-Ms")
            # Without the quota headers a 429 means platform load, not our quota: honour Retry-After if any.
            wait = int(reset) / 1000 if reset is not None else parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimited(f"{NAME} throttled {where} on store {self.store_hash}", status=429, retry_after=wait, code="429")
        self._note_quota(response)
        if status < 400:
            return
        reason = _reason(response)
        if status == 401:
            raise AuthError(f"{NAME} refused the access token of store {self.store_hash} (401): {reason}", status=401, body=response.text)
        if status == 403:
            raise AuthError(f"{NAME} denied {where}: the API account lacks a scope (403): {reason}", status=403, body=response.text)
        if status >= 500:
            raise TransientError(f"{NAME} failed on {where} ({status}): {reason}", status=status, body=response.text)
        raise PermanentError(f"{NAME} refused {where} ({status}): {reason}", status=status, body=response.text)


def _reason(response: httpx.Response) -> str:
    """BigCommerce's own words: v3 answers {title}, v2 answers [{message}]."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("message") or body[0])
    if isinstance(body, dict):
        errors = body.get("errors")
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items()) if isinstance(errors, dict) and errors else ""
        return " ".join(part for part in (str(body.get("title") or body.get("message") or ""), detail) if part)
    return str(body)[:200]
