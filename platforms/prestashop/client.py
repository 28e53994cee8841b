"""HTTP to one PrestaShop webservice: the key as Basic user name, JSON out, XML in, `limit=offset,count` paging, errors."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit

import httpx

from koongo.http import ApiClient, AuthError, PermanentError, RateLimited, TransientError, parse_retry_after
from platforms.errors import MissingScope
from platforms.mechanics import chunked, paginate, unique
from platforms.prestashop.schemas import NO_DATE, listing

NAME = "PrestaShop"
BATCH = 50  # values per filter, keeping URLs well under common 8 KB limits
XLINK = "http://www.w3.org/1999/xlink"
# Webservice error codes: 26 a resource the key may not use, 25 a method it may not use, 22 the webservice is off.
RESOURCE_DENIED, METHOD_DENIED, WEBSERVICE_OFF = 26, 25, 22
# 32-39 are malformed filter/display/sort/limit parameters, which some servers answer with 500: our mistake, not theirs.
BAD_PARAMETERS = range(32, 40)
FILTER_UNSAFE = set("|[]")


def any_of(values: Sequence[str | int]) -> str:
    """A filter value matching any of `values`: `[a|b]`.

    A lone value is sent as `[a|a]`: PrestaShop reads a lone `[1,5]` as an interval, so the OR form keeps a
    value with a comma literal.
    """
    items = [str(value) for value in values]
    return "[" + "|".join(items if len(items) > 1 else items * 2) + "]"


def filterable(value: str) -> bool:
    """Whether a value can be matched exactly by a webservice filter; `|`, `[` and `]` break its syntax."""
    return bool(value) and not (set(value) & FILTER_UNSAFE)


def date_between(start: datetime, now: datetime, zone: tzinfo) -> str:
    """A `filter[date_add]` interval from `start` to beyond `now`, in the shop's local time (send with `date=1`).

    Both bounds are full date-times: a date-only bound is compared as midnight, so `[2026-05-01,2026-05-02]`
    misses everything on 2 May after 00:00:00 (PrestaShop issue #10822). The upper bound is the end of the day
    after `now`, so a clock running ahead of ours loses nothing either.
    """
    lower = start.astimezone(zone).replace(microsecond=0)
    upper = (now.astimezone(zone) + timedelta(days=1)).replace(hour=23, minute=59, second=59, microsecond=0)
    return f"[{lower:%Y-%m-%d %H:%M:%S},{upper:%Y-%m-%d %H:%M:%S}]"


def parse_local(value: str, zone: tzinfo) -> datetime | None:
    """A webservice date-time (shop-local, no zone) as an aware UTC time; None for PrestaShop's empty date."""
    if not value or value == NO_DATE:
        return None
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone).astimezone(UTC)


def xml_body(
    node: str, fields: Mapping[str, Any], associations: Mapping[str, tuple[str, Sequence[Mapping[str, Any]]]] = ()
) -> bytes:
    """`<prestashop><node>fields…<associations>…</associations></node></prestashop>`, as POST and PUT require.

    `associations` maps an association name to (entry node name, entries), e.g. {"cart_rows": ("cart_row", [...])}.
    """
    root = ET.Element("prestashop", {"xmlns:xlink": XLINK})
    element = ET.SubElement(root, node)
    for name, value in fields.items():
        if value is not None:
            ET.SubElement(element, name).text = str(value)
    if associations:
        holder = ET.SubElement(element, "associations")
        for name, (entry, entries) in dict(associations).items():
            group = ET.SubElement(holder, name)
            for item in entries:
                row = ET.SubElement(group, entry)
                for key, value in item.items():
                    ET.SubElement(row, key).text = str(value)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


class PrestaShopClient(ApiClient):
    """One shop's `/api`. Reads are retried briefly; writes go out once, because PrestaShop has no idempotency keys."""

    def __init__(self, shop_url: str, key: str, **options):
        token = base64.b64encode(f"{key}:".encode()).decode()  # the key is the user name; the password stays empty
        super().__init__(f"{shop_url}/api", headers={"Authorization": f"Basic {token}"}, **options)
        self.shop = urlsplit(shop_url).netloc or shop_url
        self.version: str | None = None

    # --- reads ------------------------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict:
        return self.send("GET", path, params={**(params or {}), "output_format": "JSON"}, parse=self._json)

    def list(self, resource: str, params: Mapping[str, Any] | None = None, display: str = "full") -> list[dict]:
        """Every object of a filtered listing, in one call (callers bound the filter)."""
        return listing(self.get(resource, {"display": display, **(params or {})}), resource)

    def list_any(
        self, resource: str, field: str, values: Iterable[str | int], params: Mapping[str, Any] | None = None, display: str = "full"
    ) -> list[dict]:
        """Every object whose `field` is one of `values` (each asked once), `BATCH` values per call; no call for none."""
        return [
            row
            for chunk in chunked(unique(values), BATCH)
            for row in self.list(resource, {f"filter[{field}]": any_of(chunk), **(params or {})}, display)
        ]

    def pages(self, resource: str, params: Mapping[str, Any], page_size: int, display: str = "full") -> Iterator[dict]:
        """Every object of a listing, `page_size` at a time; sorted by id so pages neither skip nor repeat."""

        def fetch(offset):
            offset = offset or 0
            page = self.list(resource, {"sort": "[id_ASC]", **params, "limit": f"{offset},{page_size}"}, display)
            return page, offset + page_size if len(page) == page_size else None

        return paginate(fetch)

    def api_root(self) -> ET.Element:
        """`GET /api/` as XML: the only answer that carries the shop name and the key's permission per resource."""
        return self.send("GET", "", parse=_xml)

    # --- writes -----------------------------------------------------------------------------------
    def create(self, resource: str, body: bytes, params: Mapping[str, Any] | None = None) -> dict:
        return self.send(
            "POST",
            resource,
            content=body,
            params={**(params or {}), "output_format": "JSON"},
            headers={"Content-Type": "application/xml"},
            parse=self._json,
        )

    def replace(self, resource: str, object_id: int, body: bytes) -> dict:
        """A PUT, sent once: a resent absolute write could undo a change made in between (idempotent=False)."""
        return self.send(
            "PUT",
            f"{resource}/{object_id}",
            content=body,
            params={"output_format": "JSON"},
            headers={"Content-Type": "application/xml"},
            idempotent=False,
            parse=self._json,
        )

    # --- answers and errors -----------------------------------------------------------------------
    @staticmethod
    def _json(response: httpx.Response) -> dict:
        """The answer's JSON object ({} for an empty one); one that does not parse is the base's TransientError."""
        if not response.content.strip():
            return {}
        payload = response.json()
        return payload if isinstance(payload, dict) else {}

    def check(self, response: httpx.Response) -> None:
        """Map statuses and webservice error codes to our hierarchy, naming PrestaShop, the shop and the refused call."""
        self.version = response.headers.get("PSWS-Version", self.version)
        status = response.status_code
        if status < 400:
            return
        codes, messages = _errors(response)
        request = response.request
        resource = request.url.path.rstrip("/").split("/api", 1)[-1].strip("/").split("/")[0] or "api"
        detail = f": {messages}" if messages else ""
        if RESOURCE_DENIED in codes or METHOD_DENIED in codes:
            raise MissingScope(NAME, [f"{resource} ({request.method})"])
        if status in (401, 403):
            raise AuthError(
                f"{NAME} {self.shop} refused the webservice key ({status}){detail}", status=status, body=response.text
            )
        if WEBSERVICE_OFF in codes:
            raise PermanentError(
                f"{NAME} {self.shop} has its webservice switched off; enable it under Advanced Parameters › Webservice",
                status=status,
                code="webservice_disabled",
            )
        if status == 429:
            raise RateLimited(
                f"{NAME} {self.shop} throttled a call (429)",
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        what = f"{NAME} {self.shop} refused {request.method} {resource} ({status}){detail}"
        if status >= 500 and not set(codes) & set(BAD_PARAMETERS):
            raise TransientError(what, status=status, body=response.text)
        raise PermanentError(what, status=status, body=response.text, code=str(codes[0]) if codes else None)


def _errors(response: httpx.Response) -> tuple[list[int], str]:
    """The webservice's error codes and messages, from its JSON or XML error body."""
    try:
        errors = response.json().get("errors") or []
        pairs = [(int(error.get("code") or 0), str(error.get("message", ""))) for error in errors]
    except (ValueError, AttributeError):
        try:
            root = ET.fromstring(response.content)
            pairs = [
                (int((e.findtext("code") or "0").strip()), (e.findtext("message") or "").strip()) for e in root.iter("error")
            ]
        except (ET.ParseError, ValueError):
            pairs = []
    return [code for code, _ in pairs], "; ".join(message for _, message in pairs if message)


def _xml(response: httpx.Response) -> ET.Element:
    """The answer as XML; one that does not parse is a ValueError, which the base turns into a TransientError."""
    try:
        return ET.fromstring(response.content)
    except ET.ParseError as error:
        raise ValueError(f"malformed XML: {error}") from error
