"""The Standard Webhooks signature scheme (standardwebhooks.com): HMAC-SHA256 over `id.timestamp.body`, with a timestamp check.

Generic, so any platform that signs this way (BigCommerce does) verifies through it; the simulators sign with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

from platforms.errors import WebhookRejected

# The spec's default: deliveries more than five minutes old (or ahead) are refused as possible replays.
TOLERANCE_SECONDS = 300


def key_from_secret(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: base64, optionally prefixed `whsec_`."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` entry for a delivery: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`."""
    content = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def verify(key: bytes, headers: Mapping[str, str], body: bytes, *, tolerance: int = TOLERANCE_SECONDS, now: float | None = None) -> str:
    """The delivery's `webhook-id` when its signature and timestamp hold; WebhookRejected otherwise.

    `headers` need lower-case names. Any of the space-separated `v1` signatures may match, which is how
    senders rotate keys.
    """
    message_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (message_id and stamp and signatures):
        raise WebhookRejected("the delivery lacks the webhook-id, webhook-timestamp or webhook-signature header")
    try:
        timestamp = int(stamp)
    except ValueError as error:
        raise WebhookRejected(f"the webhook-timestamp {stamp!r} is not a number") from error
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise WebhookRejected(f"the webhook-timestamp is {int(now - timestamp)} s off, more than the {tolerance} s tolerated")
    expected = sign(key, message_id, timestamp, body).split(",", 1)[1]
    given = [entry.split(",", 1)[1] for entry in signatures.split() if entry.startswith("v1,")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in given):
        raise WebhookRejected("the webhook signature does not match the body")
    return message_id
