"""HTTP to one shop's GraphQL Admin endpoint: token auth, cost-based pacing, THROTTLED (as 200 or 429), errors, paging."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from koongo.http import ApiClient, AuthError, PermanentError, RateLimited, TransientError, parse_retry_after
from platforms.errors import MissingScope
from platforms.mechanics import paginate
from platforms.shopify.schemas import QueryCost, UserError

NAME = "Shopify"
# Waits longer than this are the caller's scheduler's business, not a blocked worker's.
MAX_INLINE_WAIT = 5.0
_SCOPE_IN_MESSAGE = re.compile(r"`(\w+)` access scope")


class ShopifyClient(ApiClient):
    """One shop's GraphQL endpoint. Queries are retried briefly on throttles and timeouts; mutations only on throttles.

    Before each call it waits until the cost bucket, as Shopify last reported it, can pay for the previous
    call's cost again, so a busy sync slows down instead of collecting THROTTLED answers.
    """

    def __init__(
        self,
        shop_url: str,
        api_version: str,
        access_token: str,
        shop: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        **options,
    ):
        headers = {"X-Shopify-Access-Token": access_token, "Content-Type": "application/json", "Accept": "application/json"}
        super().__init__(shop_url, headers=headers, **options)
        self.path = f"/admin/api/{api_version}/graphql.json"
        self.shop = shop
        self.clock = clock
        self.cost: QueryCost | None = None
        self.cost_at = 0.0

    # --- the two entry points ---------------------------------------------------------------------
    def query(self, document: str, variables: dict | None = None, *, name: str) -> dict[str, Any]:
        """Run a read; throttles and transient failures are retried briefly because reads are safe to repeat."""
        return self._post(document, variables, name, idempotent=True)

    def mutate(self, document: str, variables: dict | None = None, *, name: str) -> dict[str, Any]:
        """Run a write once; a THROTTLED answer means it did not run, so only that is retried."""
        for attempt in range(3):
            try:
                return self._post(document, variables, name, idempotent=False)
            except RateLimited as error:
                if attempt == 2 or error.retry_after is None or error.retry_after > MAX_INLINE_WAIT:
                    raise
                self.sleep(error.retry_after)
                self.cost = None  # that wait paid the shortfall; pacing on the stale status would pay it twice
        raise AssertionError("unreachable")

    def pages(self, document: str, variables: dict, *, name: str, root: str, parse: Callable[[dict], Any]) -> Iterator[Any]:
        """Every node of a cursor-paged connection at `data[root]`; `parse` turns each page's data into a Page model."""

        def fetch(cursor):
            page = parse(self.query(document, {**variables, "after": cursor}, name=name))
            connection = getattr(page, root)
            return connection.nodes, connection.page_info.end_cursor if connection.page_info.has_next_page else None

        return paginate(fetch)

    def _post(self, document: str, variables: dict | None, name: str, *, idempotent: bool) -> dict[str, Any]:
        self._pace()
        body = {"query": document, "variables": variables or {}, "operationName": name}
        response = self.send("POST", self.path, json=body, idempotent=idempotent)
        return response.json()["data"]

    # --- cost-based pacing ------------------------------------------------------------------------
    def _pace(self) -> None:
        if self.cost is None or self.cost.requested_query_cost is None:
            return
        status = self.cost.throttle_status
        available = min(
            status.maximum_available, status.currently_available + (self.clock() - self.cost_at) * status.restore_rate
        )
        shortfall = self.cost.requested_query_cost - available
        if shortfall <= 0:
            return
        wait = shortfall / status.restore_rate
        if wait > MAX_INLINE_WAIT:
            raise RateLimited(f"{NAME} cost budget of {self.shop} is spent", retry_after=wait, code="THROTTLED")
        self.sleep(wait)

    def _note_cost(self, payload: dict) -> QueryCost | None:
        raw = (payload.get("extensions") or {}).get("cost") if isinstance(payload, dict) else None
        if raw:
            self.cost = QueryCost.model_validate(raw)
            self.cost_at = self.clock()
        return self.cost if raw else None

    def _throttle_wait(self, cost: QueryCost | None) -> float | None:
        if cost is None or cost.requested_query_cost is None:
            return None
        status = cost.throttle_status
        return max(cost.requested_query_cost - status.currently_available, 1.0) / status.restore_rate

    # --- error mapping ----------------------------------------------------------------------------
    def check(self, response: httpx.Response) -> None:
        """Map HTTP statuses and GraphQL errors to our hierarchy, with messages that name Shopify and the shop."""
        status = response.status_code
        payload = self._json(response)
        cost = self._note_cost(payload)
        if status == 401:
            raise AuthError(
                f"{NAME} refused the access token of {self.shop} (401): reinstall the app", status=401, body=response.text
            )
        if status == 403:
            raise AuthError(f"{NAME} denied access to {self.shop} (403)", status=403, body=response.text)
        if status == 402:
            raise PermanentError(f"{NAME} shop {self.shop} is frozen until its bill is paid (402)", status=402)
        if status == 404:
            raise PermanentError(f"{NAME} has no shop {self.shop} or API version (404)", status=404)
        if status == 429 or _has_code(payload, "THROTTLED"):
            wait = parse_retry_after(response.headers.get("Retry-After")) if status == 429 else None
            raise RateLimited(
                f"{NAME} throttled a call to {self.shop}",
                status=status,
                code="THROTTLED",
                retry_after=wait if wait is not None else self._throttle_wait(cost),
            )
        if status >= 500:
            raise TransientError(f"{NAME} failed on {self.shop} ({status})", status=status, body=response.text)
        if status >= 400:
            raise PermanentError(f"{NAME} refused a call to {self.shop} ({status})", status=status, body=response.text)
        if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
            raise TransientError(f"{NAME} answered {self.shop} with a malformed body", status=status, body=response.text)
        errors = payload.get("errors") or []
        if isinstance(errors, str):  # REST-style {"errors": "..."} bodies also reach this endpoint
            errors = [errors]
        errors = [error if isinstance(error, dict) else {"message": str(error)} for error in errors]
        if errors:
            messages = "; ".join(str(error.get("message", error)) for error in errors)
            if _has_code(payload, "ACCESS_DENIED"):
                missing = sorted(
                    {scope for error in errors for scope in _SCOPE_IN_MESSAGE.findall(str(error.get("message", "")))}
                )
                if missing:
                    raise MissingScope(NAME, missing)
                raise AuthError(f"{NAME} denied access on {self.shop}: {messages}", status=status, code="ACCESS_DENIED")
            raise PermanentError(f"{NAME} refused a query on {self.shop}: {messages}", status=status, body=response.text)

    @staticmethod
    def _json(response: httpx.Response):
        try:
            return response.json()
        except ValueError:
            return None


def _has_code(payload, code: str) -> bool:
    if not isinstance(payload, dict) or not isinstance(payload.get("errors"), list):
        return False
    return any(isinstance(error, dict) and (error.get("extensions") or {}).get("code") == code for error in payload["errors"])


def raise_user_errors(what: str, errors: list[dict]) -> None:
    """Raise PermanentError when a mutation answered with userErrors (it applied nothing)."""
    if errors:
        parsed = [UserError.model_validate(error) for error in errors]
        messages = "; ".join(f"{'.'.join(error.field or [])}: {error.message}".lstrip(": ") for error in parsed)
        raise PermanentError(f"{NAME} refused {what}: {messages}", code=parsed[0].code or "user_error")
