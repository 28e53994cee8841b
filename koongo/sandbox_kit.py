"""A small toolkit for the simulators: WSGI routing, JSON/XML replies, seeded fault injection, `/_sandbox/` control.

The Miinto simulator and every store simulator are `SandboxApp` subclasses that hold only their wire format.
No Django here: simulators run in-process in tests (through httpx.WSGITransport) and on loopback in the demo.
"""

from __future__ import annotations

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
    # Fail exactly the next N requests with the given status (simple, deterministic scripting for tests).
    fail_next: int = 0
    fail_status: int = 500

    def __post_init__(self):
        self.random = random.Random(self.seed)

    def public(self) -> dict:
        return {k: v for k, v in asdict(self).items()}


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
        """A fault for this request, if the dice say so; latency is applied in any case."""
        f = self.faults
        if f.latency_ms:
            time.sleep(f.latency_ms / 1000)
        with self.lock:
            if f.fail_next > 0:
                f.fail_next -= 1
                if f.fail_status == 429:
                    return self.throttle_response(f.retry_after)
                return self.error_response(f.fail_status, "injected failure")
            roll = f.random.random
            if f.timeout_rate and roll() < f.timeout_rate:
                hang = f.timeout_seconds
            elif f.rate_limit_rate and roll() < f.rate_limit_rate:
                return self.throttle_response(f.retry_after)
            elif f.error_rate and roll() < f.error_rate:
                return self.error_response(503, "injected server error")
            elif f.malformed_rate and roll() < f.malformed_rate:
                return Response(200, b'{"meta": {"status": "success"}, "data": [', {"Content-Type": "application/json"})
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
            if fault:
                return fault
        if handler is None:
            return self.error_response(405 if params else 404, f"no route for {request.method} {path}")
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
