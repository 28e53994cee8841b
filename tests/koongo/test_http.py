"""Tests for koongo/http.py: error mapping, Retry-After, redaction, retries."""

from datetime import UTC, datetime

import httpx
import pytest
import respx
import structlog

from koongo.http import (
    ApiClient,
    AuthError,
    PermanentError,
    RateLimit,
    RateLimited,
    TransientError,
    error_for_exception,
    parse_retry_after,
    redact_json,
)


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("7") == 7.0
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    "status,error",
    [
        (500, TransientError),
        (503, TransientError),
        (401, AuthError),
        (403, AuthError),
        (404, PermanentError),
        (422, PermanentError),
    ],
)
@respx.mock
def test_status_mapping(status, error):
    respx.post("https://api.test/x").respond(status)
    client = ApiClient("https://api.test")
    with pytest.raises(error) as raised:
        client.send("POST", "/x")
    assert raised.value.status == status


@respx.mock
def test_429_carries_retry_after_in_both_forms():
    route = respx.post("https://api.test/x")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "12"}),
        httpx.Response(429, headers={"Retry-After": "Thu, 01 Jan 2099 00:00:00 GMT"}),
    ]
    client = ApiClient("https://api.test")
    with pytest.raises(RateLimited) as first:
        client.send("POST", "/x")
    assert first.value.retry_after == 12.0
    with pytest.raises(RateLimited) as second:
        client.send("POST", "/x")
    assert second.value.retry_after > 10_000_000


def test_timeouts_and_connection_errors_are_transient():
    assert isinstance(error_for_exception(httpx.ReadTimeout("t")), TransientError)
    assert isinstance(error_for_exception(httpx.ConnectError("c")), TransientError)


@respx.mock
def test_idempotent_get_is_retried_but_post_is_not():
    get = respx.get("https://api.test/r").mock(side_effect=[httpx.Response(503), httpx.Response(200, json={"ok": 1})])
    post = respx.post("https://api.test/w").mock(return_value=httpx.Response(503))
    client = ApiClient("https://api.test", sleep=lambda s: None)
    assert client.send("GET", "/r").json() == {"ok": 1}
    assert get.call_count == 2
    with pytest.raises(TransientError):
        client.send("POST", "/w")
    assert post.call_count == 1


@respx.mock
def test_a_throttled_write_is_sent_again_after_its_short_retry_after_and_a_long_one_is_left_to_the_scheduler():
    """A 429 means the remote did not act on the request, so even a POST is safe to send again; not after a 5xx."""
    slept = []
    post = respx.post("https://api.test/w").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(201, json={"id": 7})]
    )
    client = ApiClient("https://api.test", sleep=slept.append)
    assert client.send("POST", "/w").json() == {"id": 7}
    assert post.call_count == 2 and slept == [1.0]
    post.side_effect = [httpx.Response(429, headers={"Retry-After": "30"})]
    with pytest.raises(RateLimited):
        client.send("POST", "/w")
    assert post.call_count == 3  # 30 s is the outbox's wait, not a blocked worker's
    post.side_effect = [httpx.Response(429, headers={"Retry-After": "0"})] * 3 + [httpx.Response(201)]
    with pytest.raises(RateLimited):
        client.send("POST", "/w")
    assert post.call_count == 6  # the same budget as a read: three tries


@respx.mock
def test_secrets_never_reach_the_log_line():
    respx.post("https://api.test/login").respond(200, json={"token": "tok-SECRET-1", "name": "ok"})
    client = ApiClient("https://api.test", headers={"X-Auth-Token": "hdr-SECRET-2"})
    with structlog.testing.capture_logs() as logs:
        client.send("POST", "/login", json={"identifier": "me", "secret": "pw-SECRET-3"})
    line = repr(logs)
    assert "SECRET" not in line
    assert "me" in line and "***" in line


def test_redact_json_is_deep():
    assert redact_json({"a": [{"password": "x", "b": 1}]}) == {"a": [{"password": "***", "b": 1}]}


@respx.mock
def test_rate_limit_is_consulted_before_each_call():
    respx.get("https://api.test/r").respond(200)
    calls = []

    class Recorder:
        def wait(self, key, *, rate, burst, max_wait):
            calls.append((key, rate, burst))

    client = ApiClient("https://api.test", rate_limit=RateLimit("chan-1", 10, 10, limiter=Recorder()))
    client.send("GET", "/r")
    client.send("GET", "/r")
    assert calls == [("chan-1", 10, 10), ("chan-1", 10, 10)]


def test_clients_share_one_tls_context_per_process(monkeypatch):
    """Building a TLS context loads the CA bundle; a client per push must not pay that each time."""
    import ssl

    from koongo import http

    http.shared_ssl_context.cache_clear()
    built = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: built.append(1) or real(*a, **k))
    clients = [ApiClient("https://shop.example") for _ in range(5)]
    for client in clients:
        client.close()
    assert len(built) == 1
    assert clients[0].http._transport._pool._ssl_context is clients[4].http._transport._pool._ssl_context


@respx.mock
def test_a_body_that_does_not_parse_is_sent_again_on_a_read_and_transient_on_a_write():
    cut_off = httpx.Response(200, content=b'{"data": [', headers={"Content-Type": "application/json"})
    read = respx.get("https://api.test/r").mock(side_effect=[cut_off, httpx.Response(200, json={"ok": 1})])
    write = respx.post("https://api.test/w").mock(return_value=cut_off)
    client = ApiClient("https://api.test", sleep=lambda s: None)
    assert client.send("GET", "/r", parse=httpx.Response.json) == {"ok": 1}
    assert read.call_count == 2
    with pytest.raises(TransientError, match="answered POST /w with a malformed body") as raised:
        client.send("POST", "/w", parse=httpx.Response.json)
    assert write.call_count == 1 and raised.value.status == 200
    assert client.send("POST", "/w").status_code == 200  # without `parse` the caller reads the body itself
