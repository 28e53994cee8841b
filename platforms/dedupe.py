"""Remembering webhook deliveries for a while, so a replayed or retried delivery is processed once."""

from __future__ import annotations

from koongo.coordination import Locks


class DeliveryDeduper:
    """`first_time(platform, delivery_id)` is True once per delivery id within `ttl` seconds.

    Uses the shared coordination backend's set-if-absent, so every web worker sees the same answer. The
    database's unique constraints on store refund ids stay the final guard; this saves the work before them.
    """

    def __init__(self, locks: Locks, *, ttl: float = 3 * 24 * 3600):
        self.locks = locks
        self.ttl = ttl

    def first_time(self, platform: str, delivery_id: str) -> bool:
        return self.locks.backend.acquire(f"webhook-delivery:{platform}:{delivery_id}", "1", self.ttl)
