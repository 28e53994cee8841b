"""The one base for outbound HTTP: timeouts, error mapping, Retry-After, redacted logging, rate limits.

`miinto/` and `platforms/` build their clients on `ApiClient`; nothing here touches Django models.
"""

from __future__ import annotations

import email.utils
import json
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import certifi
import httpx
import structlog

from koongo.observability import metrics

log = structlog.get_logger("koongo.http")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
REDACTED = "***"
# Header and JSON key names whose values never reach a log line, compared case-insensitively.
DEFAULT_SECRET_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-auth-token",
        "x-shopify-access-token",
        "miinto-api-auth-id",
        "miinto-api-auth-signature",
        "password",
        "secret",
        "token",
        "access_token",
        "client_secret",
        "api_key",
        "apikey",
        "key",
        "consumer_secret",
        "access_token_secret",
    }
)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@lru_cache(maxsize=1)
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one loads the CA bundle (tens of ms), so every client shares it."""
    return ssl.create_default_context(cafile=certifi.where())


class HttpError(Exception):
    """Base of every outbound-call failure; `status` is None when no response arrived."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None, body: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.body = body[:2000]


class TransientError(HttpError):
    """Worth retrying later: timeouts, connection errors, 5xx."""


class RateLimited(TransientError):
    """The remote asked us to slow down; `retry_after` is in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class AuthError(HttpError):
    """Credentials were refused (401/403); retrying will not help until they change."""


class PermanentError(HttpError):
    """The request itself is wrong (other 4xx, invalid payload); retrying repeats the failure."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, in either its delta-seconds or HTTP-date form."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def error_for_response(response: httpx.Response, *, message: str | None = None, code: str | None = None) -> HttpError | None:
    """Map a non-2xx response to our error hierarchy; None for success."""
    status = response.status_code
    if status < 400:
        return None
    text = _safe_text(response)
    what = message or f"{response.request.method} {response.request.url.path} answered {status}"
    if status == 429:
        return RateLimited(
            what, status=status, code=code, body=text, retry_after=parse_retry_after(response.headers.get("Retry-After"))
        )
    if status in (401, 403):
        return AuthError(what, status=status, code=code, body=text)
    if status >= 500 or status == 408:
        return TransientError(what, status=status, code=code, body=text)
    return PermanentError(what, status=status, code=code, body=text)


def error_for_exception(exc: Exception) -> HttpError:
    """Map an httpx transport exception to our hierarchy."""
    if isinstance(exc, HttpError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"timed out: {type(exc).__name__}")
    if isinstance(exc, httpx.TransportError):
        return TransientError(f"connection failed: {type(exc).__name__}: {exc}")
    return PermanentError(f"{type(exc).__name__}: {exc}")


def call_outcome(error: HttpError | None) -> str:
    """The bounded outcome label of one call."""
    if error is None:
        return "ok"
    if isinstance(error, RateLimited):
        return "rate_limited"
    if isinstance(error, AuthError):
        return "auth"
    return "transient" if isinstance(error, TransientError) else "permanent"


def redact_headers(headers: Iterable[tuple[str, str]], secret_names: frozenset[str] = DEFAULT_SECRET_NAMES) -> dict[str, str]:
    """Headers as a dict with secret values replaced."""
    return {k: (REDACTED if k.lower() in secret_names else v) for k, v in headers}


def redact_json(value, secret_names: frozenset[str] = DEFAULT_SECRET_NAMES):
    """A deep copy of a JSON value with the values of secret keys replaced."""
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in secret_names else redact_json(v, secret_names)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_json(v, secret_names) for v in value]
    return value


def scrub_values(value, secrets: Iterable[str]):
    """A deep copy of a logged value (str, dict, list) with every occurrence of each secret string replaced.

    For identifiers that are secret wherever they appear (in a path, a header, a body or an error message),
    where redaction by key name cannot reach.
    """
    secrets = [s for s in secrets if s]
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: scrub_values(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_values(v, secrets) for v in value]
    return value


def redact_body(content: bytes | str | None, secret_names: frozenset[str] = DEFAULT_SECRET_NAMES, limit: int = 4000):
    """A loggable form of a body: redacted JSON when it parses, else a truncated string."""
    if not content:
        return None
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    try:
        return redact_json(json.loads(content), secret_names)
    except ValueError:
        return content[:limit]


def _safe_text(response: httpx.Response) -> str:
    try:
        return response.text[:2000]
    except Exception:  # a streamed or undecodable body must not hide the real error
        return ""


class NoLimit:
    """A limiter that never waits; the default for library use and unit tests."""

    def wait(self, key: str, *, rate: float, burst: int, max_wait: float) -> None:
        return None


@dataclass
class CallRecord:
    """What one outbound call looked like, redacted, for the activity log."""

    method: str
    url: str
    status: int | None
    duration_ms: int
    request_body: object = None
    response_body: object = None
    error: str | None = None


@dataclass
class RateLimit:
    """A token bucket for a client: `rate` requests a second with `burst` capacity, shared under `key`."""

    key: str
    rate: float
    burst: int
    max_wait: float = 10.0
    limiter: object = field(default_factory=NoLimit)


class ApiClient:
    """Shared mechanics of every outbound API client: send, log, rate-limit, retry idempotent calls, map errors."""

    secret_names: frozenset[str] = DEFAULT_SECRET_NAMES
    idempotent_retries = 2
    retry_backoff = 0.2

    def __init__(
        self,
        base_url: str = "",
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        rate_limit: RateLimit | None = None,
        on_call: Callable[[CallRecord], None] | None = None,
        headers: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.http = httpx.Client(
            base_url=base_url, transport=transport, timeout=timeout, headers=headers or {}, verify=shared_ssl_context()
        )
        self.rate_limit = rate_limit
        self.on_call = on_call
        self.sleep = sleep

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def remote(self) -> str:
        """The remote's name in metrics: the package the client lives in (miinto, shopify, magento2, ...)."""
        parts = type(self).__module__.split(".")
        return parts[1] if parts[0] == "platforms" and len(parts) > 1 else parts[0]

    def prepare(self, request: httpx.Request) -> httpx.Request:
        """Hook for subclasses to sign or decorate a built request."""
        return request

    def secret_values(self, request: httpx.Request, response: httpx.Response | None) -> Iterable[str]:
        """Values to scrub from this call's log line and record wherever they appear; subclasses name theirs."""
        return ()

    def check(self, response: httpx.Response) -> None:
        """Raise the mapped error for a failed response; subclasses add platform-specific signals."""
        error = error_for_response(response)
        if error:
            raise error

    def send(self, method: str, url: str, *, idempotent: bool | None = None, parse: Callable[[httpx.Response], Any] | None = None,
             **kwargs) -> Any:
        """Send one request with rate limiting, logging and error mapping; retry idempotent ones, and a write the remote
        throttled (429), briefly.

        With `parse`, answer `parse(response)`: a body it cannot read (cut off, a proxy's error page) is a transport
        fault like a timeout, so an idempotent call is sent again and any other raises a TransientError.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        attempts = 1 + self.idempotent_retries
        for attempt in range(1, attempts + 1):
            try:
                response = self._send_once(method, url, **kwargs)
                return response if parse is None else self._parsed(response, parse)
            except TransientError as error:
                wait = getattr(error, "retry_after", None)
                # A 429 was refused before the remote acted on it, so a write is sent again too; any other fault may
                # have come after the write was applied. Long waits belong to the caller's scheduler, not to a worker.
                again = idempotent or isinstance(error, RateLimited)
                if not again or attempt == attempts or (wait is not None and wait > 5):
                    raise
                self.sleep(wait if wait is not None else self.retry_backoff * attempt)
        raise AssertionError("unreachable")

    def _parsed(self, response: httpx.Response, parse: Callable[[httpx.Response], Any]) -> Any:
        try:
            return parse(response)
        except ValueError:
            where = f"{response.request.method} {response.request.url.path}"
            raise TransientError(f"{self.remote} answered {where} with a malformed body", status=response.status_code,
                                 body=_safe_text(response)) from None

    def _send_once(self, method: str, url: str, **kwargs) -> httpx.Response:
        if self.rate_limit:
            rl = self.rate_limit
            waiting_since = time.monotonic()
            rl.limiter.wait(rl.key, rate=rl.rate, burst=rl.burst, max_wait=rl.max_wait)
            metrics.RATE_LIMIT_WAIT_SECONDS.labels(self.remote).inc(time.monotonic() - waiting_since)
        request = self.prepare(self.http.build_request(method, url, **kwargs))
        started = time.monotonic()
        response = None
        error: HttpError | None = None
        try:
            response = self.http.send(request)
            response.read()
            self.check(response)
            return response
        except HttpError as exc:
            error = exc
            raise
        except httpx.HTTPError as exc:
            error = error_for_exception(exc)
            raise error from exc
        finally:
            self._record(request, response, error, started)

    def _record(self, request: httpx.Request, response: httpx.Response | None, error: HttpError | None, started: float) -> None:
        secrets = list(self.secret_values(request, response))
        record = CallRecord(
            method=request.method,
            url=scrub_values(str(request.url.copy_with(query=None)), secrets),
            status=response.status_code if response is not None else None,
            duration_ms=int((time.monotonic() - started) * 1000),
            request_body=scrub_values(redact_body(request.content, self.secret_names), secrets),
            response_body=scrub_values(redact_body(response.content, self.secret_names), secrets) if response is not None else None,
            error=scrub_values(str(error), secrets) if error else None,
        )
        metrics.REMOTE_CALLS.labels(self.remote, call_outcome(error)).inc()
        metrics.REMOTE_CALL_SECONDS.labels(self.remote).observe(record.duration_ms / 1000)
        log.info(
            "http.call",
            method=record.method,
            url=record.url,
            query=scrub_values(str(request.url.query, "ascii", "replace"), secrets) if request.url.query else "",
            status=record.status,
            duration_ms=record.duration_ms,
            request_headers=scrub_values(redact_headers(request.headers.items(), self.secret_names), secrets),
            request_body=record.request_body,
            error=record.error,
        )
        if self.on_call:
            self.on_call(record)
