"""The simulator's own check of MNT-HMAC-SHA256-1-0 signatures, written apart from `miinto.auth` on purpose.

Sharing code with the client would let one bug pass on both sides; this is the independent reading of §2.
It also keeps used (timestamp, seed) pairs for the replay window (§11).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from hashlib import sha256

AUTH_TYPE = "MNT-HMAC-SHA256-1-0"
MAX_SKEW_SECONDS = 300
REPLAY_WINDOW_SECONDS = 300
# §2: hashes are lower-case hex; a timestamp is unix seconds in ASCII digits (int() would also take "+1796…", "1_796…").
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"[0-9]+")
REQUIRED_HEADERS = (
    "miinto-api-auth-id",
    "miinto-api-auth-signature",
    "miinto-api-auth-timestamp",
    "miinto-api-auth-seed",
    "miinto-api-auth-type",
)


@dataclass(frozen=True)
class SignedRequest:
    """What the server saw: host without port, the path and query exactly as sent, the body bytes, the auth headers."""

    method: str
    host: str
    path: str
    query: str
    body: bytes
    channel_id: str
    signature: str
    timestamp: str
    seed: str


def expected_signature(request: SignedRequest, token: str) -> str:
    def digest(*lines: str | bytes) -> str:
        hasher = sha256()
        for index, line in enumerate(lines):
            if index:
                hasher.update(b"\n")
            hasher.update(line if isinstance(line, bytes) else line.encode("utf-8"))
        return hasher.hexdigest()

    parts = (
        digest(request.method, request.host, request.path, request.query),
        digest(request.channel_id, request.timestamp, request.seed, AUTH_TYPE),
        digest(request.body),
    )
    return hmac.new(token.encode("utf-8"), "\n".join(parts).encode("ascii"), sha256).hexdigest()


class ReplayGuard:
    """Remembers (timestamp, seed) pairs that passed, for as long as a timestamp can still be accepted."""

    def __init__(self):
        self.seen: dict[tuple[str, str], float] = {}

    def first_use(self, timestamp: str, seed: str, now: float) -> bool:
        """Record the pair; False if it was used within the window."""
        # Pairs are inserted in time order, so expired ones are always at the front.
        while self.seen:
            pair, at = next(iter(self.seen.items()))
            if at > now - REPLAY_WINDOW_SECONDS:
                break
            del self.seen[pair]
        if (timestamp, seed) in self.seen:
            return False
        self.seen[(timestamp, seed)] = now
        return True


def signature_problem(request: SignedRequest, token: str, now: float) -> str | None:
    """Why a signed request must be refused (timestamp skew or a wrong signature), or None if it is good."""
    if not _TIMESTAMP.fullmatch(request.timestamp):
        return "the timestamp is not unix seconds"
    timestamp = int(request.timestamp)
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        return f"the timestamp is {int(now - timestamp)} s away from the server clock"
    if not _SIGNATURE.fullmatch(request.signature):
        return "the signature is not 64 lower-case hex characters"
    if not hmac.compare_digest(expected_signature(request, token), request.signature):
        return "the signature does not match the request"
    return None
