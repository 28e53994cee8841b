"""Miinto request signing, MNT-HMAC-SHA256-1-0 (miinto-api.md §2): pure functions over the exact bytes sent."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote

SIGNATURE_TYPE = "MNT-HMAC-SHA256-1-0"
CONTROL_FLAVOUR = "Miinto-Generic"
CONTROL_VERSION = "2.6"  # the order, stock and Product Centre hosts (§1)
AUTH_CONTROL_VERSION = "1.0"  # the auth service, as Miinto's official clients call it (§1)
# RFC 3986 pchar minus the unreserved set (which quote() never escapes): what a path segment may keep literal.
# The simulator rebuilds decoded paths with the same set, so a path built here survives the round trip.
PATH_SEGMENT_SAFE = "!$&'()*+,;=:@"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def resource_signature(method: str, host: str, path: str, query: str) -> str:
    """sha256 of METHOD, host (no scheme or port), raw path and raw query (without `?`), one per line."""
    return sha256_hex(f"{method.upper()}\n{host}\n{path}\n{query}".encode())


def header_signature(channel_id: str, timestamp: int | str, seed: str) -> str:
    """sha256 of the channel id, timestamp, seed and signature type, one per line."""
    return sha256_hex(f"{channel_id}\n{timestamp}\n{seed}\n{SIGNATURE_TYPE}".encode())


def payload_signature(body: bytes) -> str:
    """sha256 of the exact body bytes; an empty body hashes the empty string."""
    return sha256_hex(body)


def signature(
    token: str, *, channel_id: str, timestamp: int | str, seed: str, method: str, host: str, path: str, query: str, body: bytes
) -> str:
    """HMAC-SHA256, keyed with the channel token, of the three hashes joined by newlines."""
    message = "\n".join(
        (resource_signature(method, host, path, query), header_signature(channel_id, timestamp, seed), payload_signature(body))
    )
    return hmac.new(token.encode(), message.encode(), hashlib.sha256).hexdigest()


def new_seed() -> str:
    """A 128-bit random nonce: small seeds collide at 10 requests a second and the pair is rejected as a replay (§11)."""
    return secrets.token_hex(16)


def signed_headers(
    token: str,
    *,
    channel_id: str,
    timestamp: int,
    seed: str,
    method: str,
    host: str,
    path: str,
    query: str,
    body: bytes,
    version: str = CONTROL_VERSION,
) -> dict[str, str]:
    """The seven `Miinto-Api-*` headers for one request; `version` is AUTH_CONTROL_VERSION on the auth host."""
    return {
        "Miinto-Api-Auth-ID": channel_id,
        "Miinto-Api-Auth-Signature": signature(
            token,
            channel_id=channel_id,
            timestamp=timestamp,
            seed=seed,
            method=method,
            host=host,
            path=path,
            query=query,
            body=body,
        ),
        "Miinto-Api-Auth-Timestamp": str(timestamp),
        "Miinto-Api-Auth-Seed": seed,
        "Miinto-Api-Auth-Type": SIGNATURE_TYPE,
        "Miinto-Api-Control-Flavour": CONTROL_FLAVOUR,
        "Miinto-Api-Control-Version": version,
    }


def encode_path(*segments: str | int) -> str:
    """A path from segments, each percent-encoded but with `!` (shop ids) and the other sub-delimiters literal."""
    return "".join("/" + quote(str(segment), safe=PATH_SEGMENT_SAFE) for segment in segments)


def encode_query(pairs: list[tuple[str, str | int]]) -> str:
    """A query string encoded once, here, so the signed form is byte for byte the sent form (`status%5B%5D=…`)."""
    return "&".join(f"{quote(str(key), safe='')}={quote(str(value), safe='')}" for key, value in pairs)
