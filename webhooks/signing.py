"""Standard Webhooks signing through the `standardwebhooks` package: secrets, message ids and the three headers."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh whsec_ secret: 24 random bytes, base64, as the spec recommends (between 24 and 64 bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def new_message_id() -> str:
    """The `webhook-id`: stable for an event and endpoint across retries and resends, so receivers can dedupe."""
    return "msg_" + secrets.token_urlsafe(18)


def signed_headers(message_id: str, timestamp: datetime, body: bytes, signing_secrets: list[str]) -> dict[str, str]:
    """The Standard Webhooks headers; during a rotation's overlap every secret signs, space-separated."""
    signatures = " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in signing_secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }
