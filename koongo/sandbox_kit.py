"""A small toolkit for the simulators: WSGI routing, JSON/XML replies, seeded fault injection, `/_sandbox/` control.

The Miinto simulator and every store simulator are `SandboxApp` subclasses that hold only their wire format.
No Django here: simulators run in-process in tests (through httpx.WSGITransport) and on loopback in the demo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qsl, quote

import httpx

# Characters httpx leaves literal in a path; re-quoting PATH_INFO with them rebuilds the path as sent.
PATH_SAFE = "/!$&'()*+,;=:@-._~"


@dataclass
class Request:
    """One incoming request, with the path rebuilt exactly as the client sent it."""

    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    host: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return default

    def args(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def json(self):
        return json.loads(self.body or b"null")

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(data, default=str).encode(), {"Content-Type": "application/json", **(headers or {})})


def xml_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, text.encode(), {"Content-Type": "application/xml; charset=utf-8", **(headers or {})})


def raw_path(environ: dict) -> str:
    """The request path as the client sent it; PATH_INFO is percent-decoded by WSGI servers and WSGITransport."""
    uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if uri:
        return uri.split("?", 1)[0]
    return quote(environ.get("PATH_INFO", ""), safe=PATH_SAFE)


def request_from_environ(environ: dict) -> Request:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    host = headers.get("host", environ.get("SERVER_NAME", "")).split(":")[0]
    return Request(environ["REQUEST_METHOD"], raw_path(environ), environ.get("QUERY_STRING", ""), headers, body, host)


@dataclass
class Faults:
    """Seeded, reproducible fault injection; each rate is a probability per request."""

    seed: int = 0
    latency_ms: int = 0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    malformed_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = 5.0
    # Of the timeouts, the share that hangs only after the request was applied (the client never hears it worked).
    timeout_after_apply_share: float = 0.0
    # Fail exactly the next N requests with the given status (simple, deterministic scripting for tests).
    fail_next: int = 0
    fail_status: int = 500
    # Answer exactly the next N requests with a cut-off JSON body (after any fail_next).
    malformed_next: int = 0

    def __post_init__(self):
        self.random = random.Random(self.seed)
        self.injected: dict[str, int] = {}  # faults injected so far, by kind (for benchmarks to report)

    def public(self) -> dict:
        return {k: v for k, v in asdict(self).items()}

    def count(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1


class Router:
    """Routes `(method, pattern)` to handlers; `{name}` in a pattern captures one path segment."""

    def __init__(self):
        self.routes: list[tuple[str, re.Pattern, Callable]] = []

    def add(self, method: str, pattern: str, handler: Callable) -> None:
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$"
        self.routes.append((method.upper(), re.compile(regex), handler))

    def match(self, method: str, path: str):
        allowed = False
        for route_method, regex, handler in self.routes:
            found = regex.match(path)
            if found:
                if route_method == method:
                    return handler, found.groupdict()
                allowed = True
        return None, allowed


# inject_fault's answer for "apply the request, then time out".
APPLY_THEN_TIMEOUT = Response(504)


def malformed_response() -> Response:
    """A 200 whose JSON body is cut off mid-way, as a dropped connection or a broken proxy leaves it."""
    return Response(200, b'{"meta": {"status": "success"}, "data": [', {"Content-Type": "application/json"})


class SandboxApp:
    """Base WSGI simulator: routing, a state lock, fault injection and the `/_sandbox/` control API.

    Subclasses register routes in `setup_routes()` and implement `reset_state()`; control routes
    (`/_sandbox/...`) skip faults and authentication and are never used by production clients.
    """

    name = "sandbox"

    def __init__(self, seed: int = 0):
        self.lock = threading.RLock()
        self.router = Router()
        self.seed = seed
        self.faults = Faults(seed=seed)
        self.requests: list[dict] = []
        self.router.add("POST", "/_sandbox/reset", self._control_reset)
        self.router.add("POST", "/_sandbox/faults", self._control_faults)
        self.router.add("GET", "/_sandbox/faults", lambda req: json_response(self.faults.public()))
        self.router.add("GET", "/_sandbox/requests", lambda req: json_response(self.requests))
        self.setup_routes()
        self.reset()

    # subclass hooks -------------------------------------------------------------------------
    def setup_routes(self) -> None:
        """Register the platform's routes on `self.router`."""

    def reset_state(self) -> None:
        """Reset the platform's in-memory state."""

    def throttle_response(self, retry_after: int) -> Response:
        """The platform's own throttle signal; override where it is not a plain 429."""
        return json_response({"error": "rate limited"}, 429, {"Retry-After": str(retry_after)})

    def error_response(self, status: int, message: str) -> Response:
        return json_response({"error": message}, status)

    def route_path(self, request: Request) -> str:
        """The path used for routing; the Miinto simulator prefixes it by host when served on one port."""
        return request.path

    # machinery ------------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        with self.lock:
            if seed is not None:
                self.seed = seed
            self.random = random.Random(self.seed)
            self.faults = Faults(seed=self.seed)
            self.requests = []
            self.reset_state()

    def _control_reset(self, request: Request) -> Response:
        body = request.json() or {}
        self.reset(body.get("seed"))
        return json_response({"ok": True})

    def _control_faults(self, request: Request) -> Response:
        body = request.json() or {}
        allowed = set(Faults.__dataclass_fields__)
        unknown = set(body) - allowed
        if unknown:
            return json_response({"error": f"unknown fault settings: {sorted(unknown)}"}, 400)
        with self.lock:
            self.faults = Faults(**{**self.faults.public(), **body})
        return json_response(self.faults.public())

    def inject_fault(self, request: Request) -> Response | None:
        """A fault for this request, if the dice say so; latency is applied in any case.

        Answers APPLY_THEN_TIMEOUT when the request should run and then hang: a timeout after the remote applied it.
        """
        f = self.faults
        if f.latency_ms:
            time.sleep(f.latency_ms / 1000)
        with self.lock:
            if f.fail_next > 0:
                f.fail_next -= 1
                if f.fail_status == 429:
                    return self.throttle_response(f.retry_after)
                return self.error_response(f.fail_status, "injected failure")
            if f.malformed_next > 0:
                f.malformed_next -= 1
                f.count("malformed")
                return malformed_response()
            roll = f.random.random
            if f.timeout_rate and roll() < f.timeout_rate:
                if f.timeout_after_apply_share and roll() < f.timeout_after_apply_share:
                    f.count("timeout_after_apply")
                    return APPLY_THEN_TIMEOUT
                f.count("timeout")
                hang = f.timeout_seconds
            elif f.rate_limit_rate and roll() < f.rate_limit_rate:
                f.count("429")
                return self.throttle_response(f.retry_after)
            elif f.error_rate and roll() < f.error_rate:
                f.count("5xx")
                return self.error_response(503, "injected server error")
            elif f.malformed_rate and roll() < f.malformed_rate:
                f.count("malformed")
                return malformed_response()
            else:
                return None
        time.sleep(hang)  # outside the lock: a hanging request must not block the others
        return self.error_response(504, "injected timeout")

    def handle(self, request: Request) -> Response:
        path = self.route_path(request)
        handler, params = self.router.match(request.method, path)
        control = path.startswith("/_sandbox/")
        if not control:
            with self.lock:
                self.requests.append(
                    {"method": request.method, "path": request.path, "query": request.query_string, "host": request.host}
                )
            fault = self.inject_fault(request)
            if fault is APPLY_THEN_TIMEOUT:
                self._run_handler(request, handler, params)  # applied; the answer is lost in the hang
                time.sleep(self.faults.timeout_seconds)
                return self.error_response(504, "injected timeout after the request was applied")
            if fault:
                return fault
        return self._run_handler(request, handler, params)

    def _run_handler(self, request: Request, handler, params) -> Response:
        if handler is None:
            return self.error_response(405 if params else 404, f"no route for {request.method} {self.route_path(request)}")
        request.params = params
        try:
            return handler(request)
        except SandboxError as error:
            return self.error_response(error.status, error.message)
        except (ValueError, KeyError, TypeError) as error:
            return self.error_response(400, f"bad request: {error}")

    def __call__(self, environ, start_response):
        response = self.handle(request_from_environ(environ))
        reason = {200: "OK", 201: "Created", 204: "No Content"}.get(response.status, "Status")
        headers = [("Content-Length", str(len(response.body))), *response.headers.items()]
        start_response(f"{response.status} {reason}", headers)
        return [response.body]


class SandboxError(Exception):
    """Raised by handlers to answer with an error status in the platform's error format."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class FaultyTransport(httpx.BaseTransport):
    """Wraps a transport to raise ReadTimeout before forwarding, or after the app applied the request.

    WSGITransport ignores timeouts, so tests script them here: `timeout_before` and `timeout_after` count
    how many of the next matching requests time out in each way.
    """

    def __init__(self, inner: httpx.BaseTransport, *, match: Callable[[httpx.Request], bool] | None = None):
        self.inner = inner
        self.match = match or (lambda request: True)
        self.timeout_before = 0
        self.timeout_after = 0
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.match(request):
            if self.timeout_before > 0:
                self.timeout_before -= 1
                raise httpx.ReadTimeout("simulated timeout before sending", request=request)
            if self.timeout_after > 0:
                self.timeout_after -= 1
                response = self.inner.handle_request(request)
                response.read()
                raise httpx.ReadTimeout("simulated timeout after the remote applied the request", request=request)
        self.sent.append(request)
        return self.inner.handle_request(request)


def wsgi_transport(app) -> FaultyTransport:
    """An in-process transport to a simulator, wrapped so that tests can script timeouts."""
    return FaultyTransport(httpx.WSGITransport(app=app))


def serve(app, host: str = "127.0.0.1", port: int = 0):
    """Serve a simulator on loopback in a background thread; returns the server (`server_port`, `shutdown()`)."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class ThreadingServer(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

        def get_environ(self):
            environ = super().get_environ()
            environ["RAW_URI"] = self.path.split("?", 1)[0]  # keep the path exactly as sent
            return environ

    server = make_server(host, port, app, server_class=ThreadingServer, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


# --- store simulators ----------------------------------------------------------------------------
# Everything below serves the five store simulators: XML bodies, throttle buckets, the demo catalog format,
# the merchant-side control conventions, and one loopback port for all of them.


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].split(":")[-1]


def xml_to_dict(element):
    """An XML element as plain data: text for a leaf, a dict for children (repeated tags become lists).

    Attributes appear as `@name` keys and text beside them as `#text`, so nothing the client sent is lost.
    """
    attributes = {f"@{_local(k)}": v for k, v in element.attrib.items()}
    children = list(element)
    text = (element.text or "").strip()
    if not children and not attributes:
        return text
    data: dict = dict(attributes)
    for child in children:
        name, value = _local(child.tag), xml_to_dict(child)
        if name in data:
            data[name] = data[name] if isinstance(data[name], list) else [data[name]]
            data[name].append(value)
        else:
            data[name] = value
    if text:
        data["#text"] = text
    return data


def dict_to_xml(tag: str, data) -> str:
    """The inverse of `xml_to_dict`: plain data as an XML string under `tag`."""
    import xml.etree.ElementTree as ET

    def build(name: str, value, parent=None):
        element = ET.Element(name) if parent is None else ET.SubElement(parent, name)
        if isinstance(value, dict):
            for key, item in value.items():
                if key.startswith("@"):
                    element.set(key[1:], str(item))
                elif key == "#text":
                    element.text = str(item)
                elif isinstance(item, list):
                    for each in item:
                        build(key, each, element)
                else:
                    build(key, item, element)
        elif value is not None:
            element.text = str(value)
        return element

    return ET.tostring(build(tag, data), encoding="unicode")


def request_xml(request: Request):
    """The request body parsed as XML; a SandboxError 400 when it is not well-formed."""
    import xml.etree.ElementTree as ET

    try:
        return ET.fromstring(request.body)
    except ET.ParseError as error:
        raise SandboxError(400, f"malformed XML: {error}") from error


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """The (username, password) of an `Authorization: Basic` header, or None."""
    scheme, _, value = request.header("authorization").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return username, password


class DigestAuthority:
    """HTTP Digest authentication (RFC 7616, MD5, qop=auth) as Apache and PHP servers speak it.

    `challenge()` is the WWW-Authenticate value of a 401; `verify()` checks an `Authorization: Digest` header
    against the password `password_for(username)` gives, and answers the username or None. Nonces are ours and
    reusable, so a client that caches the challenge (as httpx does) authenticates in one round trip.
    """

    def __init__(self, realm: str, rng: random.Random):
        self.realm = realm
        self.rng = rng
        self.nonces: set[str] = set()

    def challenge(self) -> str:
        nonce = self.rng.randbytes(16).hex()
        self.nonces.add(nonce)
        return f'Digest realm="{self.realm}", qop="auth", nonce="{nonce}", opaque="{self.rng.randbytes(8).hex()}", algorithm=MD5'

    def verify(self, request: Request, password_for: Callable[[str], str | None]) -> str | None:
        scheme, _, value = request.header("authorization").partition(" ")
        if scheme.lower() != "digest":
            return None
        fields = {key: quoted or bare for key, quoted, bare in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', value)}
        username, uri = fields.get("username", ""), fields.get("uri", "")
        password = password_for(username)
        if password is None or fields.get("nonce") not in self.nonces or fields.get("realm") != self.realm:
            return None
        if not uri.split("?", 1)[0].endswith(request.path):  # behind a prefix mount the client signed the longer path
            return None

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - MD5 is what Digest specifies

        ha1, ha2 = md5(f"{username}:{self.realm}:{password}"), md5(f"{request.method}:{uri}")
        expected = md5(f"{ha1}:{fields.get('nonce')}:{fields.get('nc')}:{fields.get('cnonce')}:{fields.get('qop')}:{ha2}")
        return username if hmac.compare_digest(expected, fields.get("response", "")) else None


class LeakyBucket:
    """A bucket of `capacity` points restored at `restore_rate` per second: Shopify's cost throttle and its kin."""

    def __init__(self, capacity: float, restore_rate: float, clock: Callable[[], float] = time.monotonic):
        self.capacity = capacity
        self.restore_rate = restore_rate
        self.clock = clock
        self.level = float(capacity)
        self.at = clock()

    def available(self) -> float:
        now = self.clock()
        self.level = min(self.capacity, self.level + (now - self.at) * self.restore_rate)
        self.at = now
        return self.level

    def admits(self, cost: float) -> bool:
        return cost <= self.available()

    def take(self, cost: float) -> None:
        self.level = max(0.0, self.available() - cost)

    def drain(self) -> None:
        self.available()
        self.level = 0.0


class WindowQuota:
    """A request quota that refills completely every `window` seconds: BigCommerce's X-Rate-Limit-* headers and kin."""

    def __init__(self, quota: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.quota = quota
        self.window = window
        self.clock = clock
        self.started = clock()
        self.used = 0

    def _roll(self) -> None:
        now = self.clock()
        if now - self.started >= self.window:
            self.started, self.used = now, 0

    def take(self) -> bool:
        """Count one request; False when the quota for this window is spent."""
        self._roll()
        if self.used >= self.quota:
            return False
        self.used += 1
        return True

    @property
    def remaining(self) -> int:
        self._roll()
        return self.quota - self.used

    @property
    def reset_ms(self) -> int:
        self._roll()
        return max(0, int((self.window - (self.clock() - self.started)) * 1000))


@dataclass
class CatalogItem:
    """One demo product in the shared catalog format; items sharing `group` are variants of one store product.

    `price` and `compare_at_price` include tax; a simulator that stores net prices converts them itself.
    """

    sku: str
    title: str
    price: str
    stock: int = 0
    gtin: str | None = None
    brand: str | None = None
    color: str | None = None
    size: str | None = None
    compare_at_price: str | None = None
    group: str | None = None
    category: str | None = None
    image_url: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> CatalogItem:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown catalog fields: {sorted(unknown)}")
        values = dict(data)
        for money in ("price", "compare_at_price"):
            if values.get(money) is not None:
                values[money] = str(values[money])
        return cls(**values)

    @property
    def group_key(self) -> str:
        return self.group or self.title


def group_catalog(items: list[dict] | list[CatalogItem]) -> dict[str, list[CatalogItem]]:
    """Demo catalog items grouped into store products, in first-seen order."""
    groups: dict[str, list[CatalogItem]] = {}
    for item in items:
        entry = item if isinstance(item, CatalogItem) else CatalogItem.from_dict(item)
        groups.setdefault(entry.group_key, []).append(entry)
    return groups


class StoreSandboxApp(SandboxApp):
    """A store simulator: the toolkit plus the merchant-side conventions every store simulator implements.

    The methods below act "as the merchant in the store" and are what the contract suite drives; the
    `/_sandbox/` routes expose them over HTTP for the demo. `account` picks one store where a simulator
    hosts several (Shopify shops); None means the demo account.
    """

    code = ""

    def __init__(self, seed: int = 0):
        super().__init__(seed)
        self.router.add("POST", "/_sandbox/products", self._control_products)
        self.router.add("GET", "/_sandbox/orders", self._control_orders)
        self.router.add("GET", "/_sandbox/stock", self._control_stock)
        self.router.add("POST", "/_sandbox/shipments", self._control_shipment)
        self.router.add("POST", "/_sandbox/refunds", self._control_refund)
        self.router.add("GET", "/_sandbox/refunds", self._control_refunds)
        self.router.add("GET", "/_sandbox/credentials", self._control_credentials)
        self.router.add("GET", "/_sandbox/webhooks", lambda req: json_response(self.webhook_deliveries()))

    # merchant-side conventions; each simulator implements them in its own wire model -------------
    def shop_facts(self, account: str | None = None) -> dict:
        """{"name", "currency", "prices_include_tax"} of the account, as `test_connection` should report them."""
        raise NotImplementedError

    def demo_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        """Valid credentials for the adapter's credentials model; `base_url` points at a served simulator."""
        raise NotImplementedError

    def invalid_credentials(self, base_url: str | None = None, account: str | None = None) -> dict:
        """Credentials of the same shape that the simulator refuses."""
        raise NotImplementedError

    def seed_products(self, items: list[dict], account: str | None = None) -> list[dict]:
        """Create the demo catalog (`CatalogItem` dicts); returns [{"sku", "product_id", "variant_id"}]."""
        raise NotImplementedError

    def stock_of(self, sku: str, account: str | None = None) -> int:
        raise NotImplementedError

    def orders_summary(self, reference: str | None = None, account: str | None = None) -> list[dict]:
        """Orders as [{"id", "reference", "note", "lines": [{"sku", "quantity", "unit_price"}]}], filtered by reference."""
        raise NotImplementedError

    def make_shipment(
        self,
        order_id: str,
        lines: list[dict],
        *,
        carrier: str,
        tracking_number: str,
        tracking_url: str | None = None,
        account: str | None = None,
    ) -> str:
        """Ship lines ([{"sku", "quantity"}]) as the merchant would in the store admin; returns the shipment id."""
        raise NotImplementedError

    def make_refund(
        self, order_id: str, lines: list[dict], *, shipping_amount: str = "0", note: str = "", account: str | None = None
    ) -> str:
        """Refund lines as the merchant would in the store admin (as far as the platform allows); returns its id."""
        raise NotImplementedError

    def refunds_summary(self, order_id: str, account: str | None = None) -> list[dict]:
        """Refunds recorded on an order as [{"id", "lines": [{"sku", "quantity"}]}]."""
        raise NotImplementedError

    def operation_of(self, request: httpx.Request) -> str | None:
        """The protocol operation a client request performs, so tests can script faults per operation.

        Names: "order_create", "order_lookup", "note_write", "stock_write", "stock_read", "refund_create".
        """
        raise NotImplementedError

    def webhook_deliveries(self) -> list[dict]:
        """Signed deliveries the store would have sent, as [{"topic", "headers", "body"}]; empty without webhooks."""
        return []

    # HTTP wrappers ----------------------------------------------------------------------------------
    def _control_products(self, request: Request) -> Response:
        body = request.json() or {}
        with self.lock:
            return json_response({"products": self.seed_products(body["products"], body.get("account"))}, 201)

    def _control_orders(self, request: Request) -> Response:
        with self.lock:
            return json_response({"orders": self.orders_summary(request.arg("reference"), request.arg("account"))})

    def _control_stock(self, request: Request) -> Response:
        sku = request.arg("sku") or ""
        with self.lock:
            return json_response({"sku": sku, "quantity": self.stock_of(sku, request.arg("account"))})

    def _control_shipment(self, request: Request) -> Response:
        body = request.json() or {}
        with self.lock:
            shipment_id = self.make_shipment(
                body["order_id"],
                body["lines"],
                carrier=body["carrier"],
                tracking_number=body["tracking_number"],
                tracking_url=body.get("tracking_url"),
                account=body.get("account"),
            )
        return json_response({"id": shipment_id}, 201)

    def _control_refund(self, request: Request) -> Response:
        body = request.json() or {}
        with self.lock:
            refund_id = self.make_refund(
                body["order_id"],
                body.get("lines", []),
                shipping_amount=str(body.get("shipping_amount", "0")),
                note=body.get("note", ""),
                account=body.get("account"),
            )
        return json_response({"id": refund_id}, 201)

    def _control_refunds(self, request: Request) -> Response:
        with self.lock:
            return json_response({"refunds": self.refunds_summary(request.arg("order_id") or "", request.arg("account"))})

    def _control_credentials(self, request: Request) -> Response:
        return json_response(self.demo_credentials(request.arg("base_url"), request.arg("account")))


class PrefixMount:
    """One WSGI app serving several simulators under `/<prefix>/...`, for the demo's single loopback port."""

    def __init__(self, apps: dict):
        self.apps = dict(apps)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        prefix, _, rest = path.lstrip("/").partition("/")
        app = self.apps.get(prefix)
        if app is None:
            body = json.dumps({"error": f"no simulator at /{prefix}", "simulators": sorted(self.apps)}).encode()
            start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        environ = dict(environ)
        environ["PATH_INFO"] = "/" + rest
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/" + prefix
        for key in ("RAW_URI", "REQUEST_URI"):
            if environ.get(key):
                environ[key] = environ[key][len(prefix) + 1 :] if environ[key].startswith(f"/{prefix}") else environ[key]
        return app(environ, start_response)
