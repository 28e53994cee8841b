"""`MiintoClient`: every Miinto partner API call we make, signed, rate-limited and mapped to `koongo.http` errors.

Endpoints not shown by public sources follow the contract fixed in miinto-api.md §11; those methods say so.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from koongo.http import (
    DEFAULT_TIMEOUT,
    IDEMPOTENT_METHODS,
    ApiClient,
    AuthError,
    PermanentError,
    RateLimit,
    RateLimited,
    TransientError,
    error_for_response,
)
from miinto import auth
from miinto.environments import MiintoEnvironment
from miinto.markets import MARKETS, market_of_shop
from miinto.schemas import (
    Channel,
    ChannelLogin,
    Envelope,
    Order,
    Page,
    PositionRef,
    ProductMapRow,
    Return,
    ReturnDecision,
    RmaRequest,
    RmaRequestPosition,
    Shipment,
    ShipmentRequest,
    ShippingProvider,
    Shop,
    ShopLocation,
    StockItem,
    StockPushResult,
    Transfer,
    TransferDecision,
    TransferDecisionResult,
    TransferDetail,
    parse_page,
    privileged_shops,
)

# The `meta.code` values callers act on (§11): re-login, a signing bug, a position decided before.
TOKEN_EXPIRED = "token_expired"
SIGNATURE = "signature"
DECIDED = "decided"
REQUESTS_PER_SECOND = 10  # per channel, §11
STOCK_BATCH_SIZE = 500  # per PATCH, §11
PAGE_SIZE = 50

T = TypeVar("T", bound=BaseModel)
Status = str | Iterable[str] | None


@dataclass(frozen=True)
class MiintoSession:
    """A logged-in channel: what the Django side stores encrypted and hands back to the next client."""

    channel_id: str
    token: str = field(repr=False)


class MiintoClient(ApiClient):
    """One Miinto account in one environment; logs in when it has no session and once more on `token_expired`."""

    # Waits for a 429 on a PATCH/POST longer than this go back to the caller's scheduler, as in ApiClient.send.
    max_inline_wait = 5.0
    throttle_retries = 2

    def __init__(
        self,
        environment: MiintoEnvironment,
        username: str,
        password: str,
        *,
        session: MiintoSession | None = None,
        on_session: Callable[[MiintoSession], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        rate_limit_limiter=None,
        on_call=None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ):
        # Keyed by account rather than channel id: a re-login may open a new channel, and the workers of one
        # connection share whichever channel is current, so the account is the stable thing to count against.
        rate_limit = None
        if rate_limit_limiter is not None:
            rate_limit = RateLimit(
                f"miinto:{environment.name}:{username}",
                rate=REQUESTS_PER_SECOND,
                burst=REQUESTS_PER_SECOND,
                limiter=rate_limit_limiter,
            )
        super().__init__(transport=transport, timeout=timeout, rate_limit=rate_limit, on_call=on_call, sleep=sleep)
        self.environment = environment
        self.username = username
        self._password = password
        self.session = session
        self.on_session = on_session
        self.clock = clock
        self._login_privileges: dict[str, Any] | None = None
        self._login_url = httpx.URL(f"{environment.auth_url}/channels")

    # --- signing and error mapping (ApiClient hooks) ---------------------------------------------

    def prepare(self, request: httpx.Request) -> httpx.Request:
        """Sign every request but the login, over the raw path, raw query and exact body bytes httpx will send."""
        request.headers["Content-Type"] = "application/json"
        # The auth service speaks version 1.0, the other hosts 2.6 (§1).
        on_auth_host = str(request.url).startswith(f"{self.environment.auth_url}/")
        if request.method == "POST" and request.url == self._login_url:
            request.headers["Miinto-Api-Control-Version"] = auth.AUTH_CONTROL_VERSION
            return request
        if self.session is None:
            raise AuthError("no Miinto session to sign with")
        path, _, query = request.url.raw_path.decode("ascii").partition("?")
        request.headers.update(
            auth.signed_headers(
                self.session.token,
                channel_id=self.session.channel_id,
                timestamp=int(self.clock()),
                seed=auth.new_seed(),
                method=request.method,
                host=request.url.host,
                path=path,
                query=query,
                body=request.content,
                version=auth.AUTH_CONTROL_VERSION if on_auth_host else auth.CONTROL_VERSION,
            )
        )
        return request

    def secret_values(self, request: httpx.Request, response: httpx.Response | None) -> list[str]:
        """The channel id is a credential (it names the session the token signs for): scrub it like the token.

        The login answer carries the new channel's id before the session holds it, so it is read from that body.
        """
        secrets = [self.session.channel_id] if self.session else []
        if response is not None and request.method == "POST" and request.url == self._login_url:
            try:
                data = response.json().get("data") or {}
                secrets.append(str(data.get("id") or ""))
            except (ValueError, AttributeError):
                pass
        return secrets

    def check(self, response: httpx.Response) -> None:
        """Map failures using Miinto's `meta.message` and `meta.code`, also on a 2xx whose meta says failure."""
        meta: dict = {}
        if "json" in response.headers.get("Content-Type", ""):
            try:
                body = response.json()
            except ValueError:
                if response.is_success:
                    # A cut-off body is a transport problem: a GET may retry, a PATCH must be reconciled.
                    raise TransientError(
                        f"{_what(response)}: the answer is not valid JSON", status=response.status_code, body=response.text
                    ) from None
                body = None
            if isinstance(body, dict) and isinstance(body.get("meta"), dict):
                meta = body["meta"]
        message = f"{_what(response)}: {meta.get('message') or response.reason_phrase}"
        code = meta.get("code")
        error = error_for_response(response, message=message, code=code)
        if error:
            raise error
        if meta.get("status") == "failure":
            failure = AuthError if code == TOKEN_EXPIRED else PermanentError
            raise failure(message, status=response.status_code, code=code, body=response.text)

    # --- session ---------------------------------------------------------------------------------

    def login(self) -> MiintoSession:
        """Create a channel with the account's username and password (unsigned), and keep it as the session."""
        body = _json_bytes(ChannelLogin(identifier=self.username, secret=self._password).wire())
        # Opening a second channel is harmless, so a lost login answer may be retried.
        response = self.send("POST", str(self._login_url), content=body, idempotent=True)
        channel = _parse(Channel, _envelope(response).data)
        if not channel.token:
            raise PermanentError("Miinto login answered without a token", status=response.status_code)
        self.session = MiintoSession(channel.id, channel.token)
        self._login_privileges = channel.privileges
        if self.on_session:
            self.on_session(self.session)
        return self.session

    def channel(self) -> Channel:
        """The current channel as Miinto reads it back, privileges included."""
        session = self.session or self.login()
        return _parse(Channel, self._data("GET", self._url("auth", "channels", session.channel_id)))

    def available_shops(self) -> list[ShopLocation]:
        """The shops this account may manage, each with its market, currency and name ("Get Available Stores")."""
        if self.session is None:
            self.login()
        privileges = self._login_privileges
        if privileges is None:  # a stored session: ask Miinto for the channel's privileges
            privileges = self.channel().privileges
        shops = []
        for shop_id, market_hint in privileged_shops(privileges):
            market = market_of_shop(shop_id) or MARKETS.get(market_hint or "")
            shops.append(
                ShopLocation(
                    id=shop_id,
                    name=self.shop(shop_id).name,
                    market=market.code if market else market_hint,
                    market_name=market.name if market else None,
                    currency=market.currency if market else None,
                )
            )
        return shops

    def shop(self, shop_id: str) -> Shop:
        return _parse(Shop, self._data("GET", self._url("order", "shops", shop_id)))

    # --- transfers -------------------------------------------------------------------------------

    def transfers(
        self,
        shop_id: str,
        status: Status = "pending",
        *,
        limit: int = PAGE_SIZE,
        offset: int = 0,
        sort: str | None = "-createdAt",
    ) -> Page[Transfer]:
        """One page of the shop's transfers, newest first by default (§4)."""
        return self._page(
            Transfer, shop_id, self._url("order", "shops", shop_id, "transfers"), _list_query(status, limit, offset, sort)
        )

    def transfer_pages(
        self, shop_id: str, status: Status = "pending", *, page_size: int = PAGE_SIZE, sort: str | None = "-createdAt"
    ) -> Iterator[Page[Transfer]]:
        """Every page of transfers; deciding transfers between pages shifts the offsets, so read first, then decide."""
        return self._pages(lambda offset: self.transfers(shop_id, status, limit=page_size, offset=offset, sort=sort), page_size)

    def transfer(self, shop_id: str, transfer_id: int) -> TransferDetail:
        """One transfer with every position's status and its new order, to reconcile a lost decision answer.

        assumed contract: see miinto-api.md §11
        """
        data = self._data("GET", self._url("order", "shops", shop_id, "transfers", transfer_id))
        return _parse(TransferDetail, data, context=_currency_context(shop_id))

    def decide_transfer(
        self, shop_id: str, transfer_id: int, accepted: Iterable[int] = (), declined: Iterable[int] = ()
    ) -> int | None:
        """Accept and decline positions of a transfer; returns the order id made from accepted ones, if any.

        A position already decided answers 409 with code `decided` and nothing in the call is applied.
        assumed contract: see miinto-api.md §11 (the 409 and several decisions per transfer)
        """
        accepted, declined = list(accepted), list(declined)
        if not accepted and not declined:
            raise ValueError("a transfer decision names at least one position")
        decision = TransferDecision(
            accepted_positions=[PositionRef(id=i) for i in accepted] or None,
            declined_positions=[PositionRef(id=i) for i in declined] or None,
        )
        data = self._data("PATCH", self._url("order", "shops", shop_id, "transfers", transfer_id), payload=decision.wire())
        result = _parse(TransferDecisionResult, data if isinstance(data, dict) else {})
        return result.new_order.id if result.new_order else None

    # --- orders and shipping ---------------------------------------------------------------------

    def orders(
        self, shop_id: str, status: Status = None, *, limit: int = PAGE_SIZE, offset: int = 0, sort: str | None = "-createdAt"
    ) -> Page[Order]:
        """One page of the shop's orders; there is no date filter, so sync pages newest first and stops early."""
        return self._page(
            Order, shop_id, self._url("order", "shops", shop_id, "orders"), _list_query(status, limit, offset, sort)
        )

    def order_pages(
        self, shop_id: str, status: Status = None, *, page_size: int = PAGE_SIZE, sort: str | None = "-createdAt"
    ) -> Iterator[Page[Order]]:
        return self._pages(lambda offset: self.orders(shop_id, status, limit=page_size, offset=offset, sort=sort), page_size)

    def order(self, shop_id: str, order_id: int) -> Order:
        return _parse(Order, self._data("GET", self._url("order", "shops", shop_id, "orders", order_id)))

    def shipping_providers(self, shop_id: str, order_id: int) -> list[ShippingProvider]:
        """The providers allowed for this order; a shipment must name one of them."""
        data = self._data("GET", self._url("order", "shops", shop_id, "shipping-providers", "orders", order_id))
        return _parse_list(ShippingProvider, data)

    def shop_shipping_providers(self, shop_id: str) -> list[ShippingProvider]:
        """The providers of the shop's market, for the default shipping service chooser.

        assumed contract: see miinto-api.md §11
        """
        return _parse_list(ShippingProvider, self._data("GET", self._url("order", "shops", shop_id, "shipping-providers")))

    def create_shipment(
        self, shop_id: str, order_id: int, *, provider_id: str, track_and_trace: str, position_ids: Iterable[int] | None = None
    ) -> Shipment:
        """Mark positions (all when None) as sent; repeating the same tracking number for them is idempotent.

        assumed contract: see miinto-api.md §11
        """
        request = ShipmentRequest(
            shipping_provider_id=provider_id,
            track_and_trace=track_and_trace,
            positions=None if position_ids is None else [PositionRef(id=i) for i in position_ids],
        )
        data = self._data("POST", self._url("order", "shops", shop_id, "orders", order_id, "shipments"), payload=request.wire())
        return _parse(Shipment, data)

    def label_pdf(self, shop_id: str, order_id: int) -> bytes | None:
        """The shipping label as PDF bytes, or None while Miinto has no label yet (404).

        assumed contract: see miinto-api.md §11
        """
        try:
            response = self._call("GET", self._url("order", "shops", shop_id, "orders", order_id, "labels"))
        except PermanentError as error:
            if error.status == 404:
                return None
            raise
        if not response.content.startswith(b"%PDF-"):
            raise PermanentError(f"label for order {order_id} is not a PDF", status=response.status_code)
        return response.content

    # --- returns ---------------------------------------------------------------------------------

    def returns(
        self,
        shop_id: str,
        status: Status = "pending",
        *,
        limit: int = PAGE_SIZE,
        offset: int = 0,
        sort: str | None = "-createdAt",
    ) -> Page[Return]:
        """One page of the shop's returns. CN shops answer 422: Partner Support handles their returns.

        assumed contract: see miinto-api.md §11
        """
        return self._page(
            Return, shop_id, self._url("order", "shops", shop_id, "returns"), _list_query(status, limit, offset, sort)
        )

    def return_pages(
        self, shop_id: str, status: Status = "pending", *, page_size: int = PAGE_SIZE, sort: str | None = "-createdAt"
    ) -> Iterator[Page[Return]]:
        """Every page of returns.

        assumed contract: see miinto-api.md §11
        """
        return self._pages(lambda offset: self.returns(shop_id, status, limit=page_size, offset=offset, sort=sort), page_size)

    def return_(self, shop_id: str, return_id: int) -> Return:
        """One return.

        assumed contract: see miinto-api.md §11
        """
        return _parse(Return, self._data("GET", self._url("order", "shops", shop_id, "returns", return_id)))

    def decide_return(self, shop_id: str, return_id: int, status: str, reason: str | None = None) -> Return:
        """Accept or decline a pending return; declining needs a reason, and a decided return answers 409.

        assumed contract: see miinto-api.md §11
        """
        if status == "declined" and not (reason or "").strip():
            raise ValueError("declining a return needs a reason")
        decision = ReturnDecision(status=status, reason=reason)
        return _parse(
            Return, self._data("PATCH", self._url("order", "shops", shop_id, "returns", return_id), payload=decision.wire())
        )

    def create_rma_request(self, shop_id: str, order_id: int, positions: Mapping[int, int], reason: str | None = None) -> Return:
        """Ask Miinto to refund order positions (position id -> quantity); more than is left answers 422.

        The least certain call of the contract: callers hand the request to the merchant on 404 or 405.
        assumed contract: see miinto-api.md §11
        """
        request = RmaRequest(
            order_id=order_id,
            positions=[RmaRequestPosition(order_position_id=pid, quantity=qty) for pid, qty in positions.items()],
            reason=reason,
        )
        return _parse(Return, self._data("POST", self._url("order", "shops", shop_id, "returns"), payload=request.wire()))

    # --- stock and product map -------------------------------------------------------------------

    def push_stock(self, shop_id: str, items: Iterable[StockItem]) -> StockPushResult:
        """Set absolute stock levels, in PATCHes of at most 500 items, and sum Miinto's answers.

        assumed contract: see miinto-api.md §11 (the 500 limit and the `{updated, unknown}` answer)
        """
        items = list(items)
        results = []
        for start in range(0, len(items), STOCK_BATCH_SIZE):
            batch = [item.wire() for item in items[start : start + STOCK_BATCH_SIZE]]
            data = self._data("PATCH", self._url("stock", "locations", shop_id, "items"), payload=batch)
            results.append(_parse(StockPushResult, data))
        return StockPushResult.combined(results)

    def product_map(self, shop_id: str) -> Page[ProductMapRow]:
        """Product Centre's mapping of the shop's feed rows to Miinto item ids (only for migrated shops)."""
        envelope = _envelope(
            self._call("GET", self._url("pc", "productmaps"), query=auth.encode_query([("unifiedLocationId", shop_id)]))
        )
        return _parse_page(ProductMapRow, envelope.data, total=envelope.meta.total_item_count)

    # --- plumbing --------------------------------------------------------------------------------

    def _url(self, host: str, *segments: str | int) -> str:
        base = {
            "auth": self.environment.auth_url,
            "order": self.environment.order_url,
            "stock": self.environment.stock_url,
            "pc": self.environment.product_map_url,
        }[host]
        return base + auth.encode_path(*segments)

    def _call(self, method: str, url: str, *, query: str = "", payload: Any = None) -> httpx.Response:
        """Send one signed call; log in first if needed, and once more only if Miinto says the token expired."""
        if self.session is None:
            self.login()
        if query:
            url = f"{url}?{query}"
        content = _json_bytes(payload) if payload is not None else None
        try:
            return self._send_through_throttling(method, url, content)
        except AuthError as error:
            # Any other 401 (a bad signature, a replay) is a bug that logging in again would only hide.
            if error.code != TOKEN_EXPIRED:
                raise
        self.login()
        return self._send_through_throttling(method, url, content)

    def _send_through_throttling(self, method: str, url: str, content: bytes | None) -> httpx.Response:
        """ApiClient.send retries idempotent calls; a 429 also means a PATCH/POST was not applied, so retry those too."""
        for attempt in range(self.throttle_retries + 1):
            try:
                return self.send(method, url, content=content)
            except RateLimited as error:
                wait = error.retry_after
                if (
                    method in IDEMPOTENT_METHODS
                    or attempt == self.throttle_retries
                    or wait is None
                    or wait > self.max_inline_wait
                ):
                    raise
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _data(self, method: str, url: str, *, query: str = "", payload: Any = None) -> Any:
        return _envelope(self._call(method, url, query=query, payload=payload)).data

    def _page(self, model: type[T], shop_id: str, url: str, query: str) -> Page[T]:
        envelope = _envelope(self._call("GET", url, query=query))
        return _parse_page(model, envelope.data, total=envelope.meta.total_item_count, context=_currency_context(shop_id))

    @staticmethod
    def _pages(fetch: Callable[[int], Page[T]], page_size: int) -> Iterator[Page[T]]:
        offset = 0
        while True:
            page = fetch(offset)
            yield page
            offset += page.size
            if page.size < page_size or (page.total is not None and offset >= page.total):
                return


def _what(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path} answered {response.status_code}"


def _json_bytes(value: Any) -> bytes:
    # Compact and UTF-8, serialised once: the bytes signed are the bytes sent.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _list_query(status: Status, limit: int, offset: int, sort: str | None) -> str:
    statuses = [status] if isinstance(status, str) else list(status or ())
    pairs = [*(("status[]", s) for s in statuses), ("limit", limit), ("offset", offset)]
    return auth.encode_query(pairs + ([("sort", sort)] if sort else []))


def _currency_context(shop_id: str) -> dict[str, str]:
    """Transfers carry no currency: their prices are in the shop's market currency."""
    market = market_of_shop(shop_id)
    if market is None:
        raise PermanentError(f"shop id {shop_id!r} names no known market, so its prices have no currency")
    return {"currency": market.currency}


def _envelope(response: httpx.Response) -> Envelope:
    try:
        return Envelope.model_validate(response.json())
    except (ValueError, ValidationError) as error:
        raise PermanentError(
            f"{_what(response)} without a {{meta, data}} envelope: {error}", status=response.status_code
        ) from None


def _parse(model: type[T], data: Any, *, context: Mapping | None = None) -> T:
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        raise PermanentError(f"invalid {model.__name__} from Miinto: {error}") from None


def _parse_page(model: type[T], data: Any, *, total: int | None = None, context: Mapping | None = None) -> Page[T]:
    try:
        return parse_page(model, data, total=total, context=context)
    except ValueError as error:
        raise PermanentError(f"invalid {model.__name__} list from Miinto: {error}") from None


def _parse_list(model: type[T], data: Any) -> list[T]:
    page = _parse_page(model, data)
    if page.rejects:
        raise PermanentError(f"invalid {model.__name__} from Miinto: {page.rejects[0].error}")
    return page.items
