"""HTTP to one Magento 2 store's REST API: OAuth 1.0a signing or a bearer token, searchCriteria paging, Magento's errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import httpx

from koongo.http import ApiClient, AuthError, PermanentError, RateLimited, TransientError, parse_retry_after
from platforms.magento2.schemas import Magento2Credentials
from platforms.mechanics import paginate
from platforms.oauth1 import OAuth1Auth

NAME = "Magento"
# With the web API input limits on (the default since 2.4.3), pages stop at 300 and list inputs at 20 items.
MAX_PAGE_SIZE = 300
MAX_LIST_INPUT = 20

Filter = tuple[str, str, str]  # (field, value, condition_type)


def search_criteria(groups: Sequence[Sequence[Filter]], *, page_size: int | None = None, page: int | None = None,
                    sort: tuple[str, str] | None = None) -> dict[str, str]:
    """searchCriteria query parameters: filter groups are ANDed, the filters inside a group ORed."""
    params: dict[str, str] = {}
    for g, group in enumerate(groups):
        for f, (field, value, condition) in enumerate(group):
            prefix = f"searchCriteria[filter_groups][{g}][filters][{f}]"
            params.update({f"{prefix}[field]": field, f"{prefix}[value]": value, f"{prefix}[condition_type]": condition})
    if sort:
        params.update({"searchCriteria[sortOrders][0][field]": sort[0], "searchCriteria[sortOrders][0][direction]": sort[1]})
    if page_size is not None:
        params["searchCriteria[pageSize]"] = str(page_size)
    if page is not None:
        params["searchCriteria[currentPage]"] = str(page)
    return params


def _number(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class Magento2Client(ApiClient):
    """One store view's REST API at {base}/rest/{store_code}. Signs with OAuth 1.0a unless told the store allows bearer tokens."""

    def __init__(self, credentials: Magento2Credentials, **options):
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        token = credentials.access_token.get_secret_value()
        if credentials.bearer:
            headers["Authorization"] = f"Bearer {token}"
        super().__init__(credentials.rest_url(), headers=headers, **options)
        if not credentials.bearer:
            # Since 2.4.4 the integration token is refused as a bearer token unless the merchant allows it: sign instead.
            self.http.auth = OAuth1Auth(
                credentials.consumer_key, credentials.consumer_secret.get_secret_value(), token,
                credentials.access_token_secret.get_secret_value(),
            )
        self.host = credentials.base_url

    def get(self, path: str, params: dict | None = None) -> Any:
        return self.send("GET", path, params=params, parse=self._body)

    def post(self, path: str, body: Any) -> Any:
        return self.send("POST", path, content=json.dumps(body, default=_number), parse=self._body)

    def search(self, path: str, groups: Sequence[Sequence[Filter]] = (), *, page_size: int = MAX_PAGE_SIZE,
               sort: tuple[str, str] | None = None) -> Iterator[dict]:
        """Every item of a searchCriteria listing, page by page until `total_count` is reached."""
        size = max(1, min(page_size, MAX_PAGE_SIZE))

        def fetch(page):
            page = page or 1
            body = self.get(path, search_criteria(groups, page_size=size, page=page, sort=sort)) or {}
            items = body.get("items") or []
            more = page * size < int(body.get("total_count") or 0) and items
            return items, page + 1 if more else None

        return paginate(fetch)

    @staticmethod
    def _body(response: httpx.Response) -> Any:
        return json.loads(response.text, parse_float=Decimal) if response.content else None

    def check(self, response: httpx.Response) -> None:
        """Map statuses to our hierarchy, with Magento's own message (its %1 / %name placeholders filled in)."""
        status = response.status_code
        if status < 400:
            return
        message, parameters = _message(response)
        where = f"{response.request.method} {response.request.url.path.split('/rest/', 1)[-1]}"
        if status == 429:
            raise RateLimited(f"{NAME} at {self.host} throttled {where}", status=429,
                              retry_after=parse_retry_after(response.headers.get("Retry-After")))
        if status == 401:
            error = AuthError(f"{NAME} at {self.host} refused the integration credentials for {where} (401): {message}",
                              status=401, body=response.text)
            error.resources = tuple(r.strip() for r in str(parameters.get("resources") or "").split(",") if r.strip())
            raise error
        if status == 403:
            raise AuthError(f"{NAME} at {self.host} forbade {where} (403): {message}", status=403, body=response.text)
        if status >= 500:
            raise TransientError(f"{NAME} at {self.host} failed on {where} ({status}): {message}", status=status, body=response.text)
        raise PermanentError(f"{NAME} at {self.host} refused {where} ({status}): {message}", status=status, body=response.text)


def _message(response: httpx.Response) -> tuple[str, dict]:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200], {}
    if not isinstance(body, dict):
        return str(body)[:200], {}
    message, parameters = str(body.get("message") or ""), body.get("parameters") or {}
    if isinstance(parameters, list):
        message = re.sub(r"%(\d+)", lambda m: str(parameters[int(m.group(1)) - 1]) if int(m.group(1)) <= len(parameters) else m.group(0), message)
        return message, {}
    return re.sub(r"%(\w+)", lambda m: str(parameters.get(m.group(1), m.group(0))), message), parameters
