"""The Miinto simulator as a WSGI app: one app for all four hosts, signature checks, Miinto's error envelope.

Served in-process, requests arrive with Miinto's host names (`api-order.miinto.net`); served on one loopback
port, each host is a path prefix (`/auth`, `/order`, `/stock`, `/pc`, see `MiintoEnvironment.simulator`).
Signatures are checked against the host and the full path as sent, prefix included, because that is what
the client signed; only routing strips the prefix.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from koongo.sandbox_kit import APPLY_THEN_TIMEOUT, Request, Response, SandboxApp, json_response
from miinto.sandbox import api, control
from miinto.sandbox.demo import seed_demo
from miinto.sandbox.signatures import AUTH_TYPE, REQUIRED_HEADERS, SignedRequest, signature_problem
from miinto.sandbox.state import Failure, MiintoState
from miinto.sandbox.wire import failure

_API_HOST = re.compile(r"^api-(auth|order|stock|pc)(-[a-z0-9]+)?\.")
_UNSIGNED = {("POST", "/auth/channels"), ("GET", "/auth/status")}
CONTROL_VERSION = "2.6"  # order, stock and Product Centre hosts (§1)
AUTH_CONTROL_VERSION = "1.0"  # the auth service, as Miinto's own clients (MAC, ASD) call it (§1)
CONTROL_FLAVOUR = "Miinto-Generic"
_BODY_METHODS = {"POST", "PATCH", "PUT"}
# meta.code for errors raised without one (router misses, injected faults). An injected 401 is an expired token.
_CODE_BY_STATUS = {
    400: "bad_request",
    401: "token_expired",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "unprocessable",
    429: "rate_limited",
    504: "timeout",
}


class MiintoSimulator(SandboxApp):
    """A stateful, seeded Miinto: accounts, transfers, orders, shipments, returns, stock, and a `/_sandbox/` control API."""

    name = "miinto"

    def __init__(
        self,
        seed: int = 0,
        *,
        clock: Callable[[], float] = time.time,
        scenario: str = "empty",
        transfers: int = 0,
        label_delay: float = 0.0,
        token_ttl: float | None = None,
    ):
        # Set before SandboxApp.__init__, which calls reset() and so reset_state().
        self.clock = clock
        self.scenario = scenario
        self.scenario_transfers = transfers
        self.label_delay = label_delay
        self.token_ttl = token_ttl
        super().__init__(seed)

    def setup_routes(self) -> None:
        api.register(self)
        control.register(self)

    def reset_state(self) -> None:
        """Fresh state from the seed, with the configured scenario loaded again."""
        self.state = MiintoState(self.seed, self.clock, label_delay=self.label_delay, token_ttl=self.token_ttl)
        if self.scenario == "demo":
            seed_demo(self.state, transfers=self.scenario_transfers)

    def route(self, method: str, pattern: str, handler: Callable[[MiintoSimulator, Request], Response]) -> None:
        """Register a handler that runs under the state lock."""

        def locked(request: Request) -> Response:
            with self.lock:
                return handler(self, request)

        self.router.add(method, pattern, locked)

    # --- SandboxApp hooks ------------------------------------------------------------------------

    def route_path(self, request: Request) -> str:
        if request.path.startswith("/_sandbox/"):
            return request.path
        by_host = _API_HOST.match(request.host)
        return f"/{by_host.group(1)}{request.path}" if by_host else request.path

    def inject_fault(self, request: Request) -> Response | None:
        """Faults first, as Miinto's edge throttles before anything else; then the signature gate, before routing."""
        fault = super().inject_fault(request)
        if fault is APPLY_THEN_TIMEOUT:
            return self.authenticate(request) or fault
        return fault or self.authenticate(request)

    def error_response(self, status: int, message: str) -> Response:
        return miinto_error(status, message, _CODE_BY_STATUS.get(status, "server_error"))

    def throttle_response(self, retry_after: int) -> Response:
        return miinto_error(429, "Too many requests", "rate_limited", {"Retry-After": str(retry_after)})

    def handle(self, request: Request) -> Response:
        try:
            return super().handle(request)
        except Failure as refusal:
            return miinto_error(refusal.status, refusal.message, refusal.code)

    # --- authentication --------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        """None if the request may proceed; else the 401 (`signature` or `token_expired`) or 400 Miinto answers."""
        path = self.route_path(request)
        if (request.method, path) in _UNSIGNED:
            # Public clients log in without control headers, so only a version that is given must be right.
            given = request.header("miinto-api-control-version")
            return version_refusal(AUTH_CONTROL_VERSION) if given and given != AUTH_CONTROL_VERSION else None
        if any(not request.header(name) for name in REQUIRED_HEADERS):
            return miinto_error(401, "Missing Miinto-Api-Auth headers", "signature")
        if request.header("miinto-api-auth-type") != AUTH_TYPE:
            return miinto_error(401, f"Unsupported Miinto-Api-Auth-Type, expected {AUTH_TYPE}", "signature")
        signed = SignedRequest(
            method=request.method,
            host=request.host,
            path=request.path,
            query=request.query_string,
            body=request.body,
            channel_id=request.header("miinto-api-auth-id"),
            signature=request.header("miinto-api-auth-signature"),
            timestamp=request.header("miinto-api-auth-timestamp"),
            seed=request.header("miinto-api-auth-seed"),
        )
        with self.lock:
            channel = self.state.channels.get(signed.channel_id)
            if channel is None:
                return miinto_error(401, "Unknown or invalid channel token", "token_expired")
            now = self.clock()
            problem = signature_problem(signed, channel.token, now)
            if problem:
                return miinto_error(401, f"Invalid signature: {problem}", "signature")
            if not self.state.replays.first_use(signed.timestamp, signed.seed, now):
                return miinto_error(401, "Invalid signature: this timestamp and seed were already used", "signature")
            if self.state.token_expired(channel):
                return miinto_error(401, "The channel token has expired", "token_expired")
        return control_refusal(request, path)


def control_refusal(request: Request, path: str) -> Response | None:
    """The control headers and content type a signed call must carry (§2), or the 400/415 for the first one wrong."""
    version = AUTH_CONTROL_VERSION if path.startswith("/auth/") else CONTROL_VERSION
    if request.header("miinto-api-control-version") != version:
        return version_refusal(version)
    if request.header("miinto-api-control-flavour") != CONTROL_FLAVOUR:
        return miinto_error(400, f"Unsupported Miinto-Api-Control-Flavour, expected {CONTROL_FLAVOUR}", "unsupported_flavour")
    media_type = request.header("content-type").partition(";")[0].strip().lower()
    if request.method in _BODY_METHODS and media_type != "application/json":
        return miinto_error(415, "Signed calls with a body must send Content-Type: application/json", "unsupported_media_type")
    return None


def version_refusal(version: str) -> Response:
    return miinto_error(400, f"Unsupported Miinto-Api-Control-Version, this host speaks {version}", "unsupported_version")


def miinto_error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> Response:
    """Every Miinto error: `{meta: {status: "failure", message, code}, data: null}`."""
    return json_response(failure(message, code), status, headers)
