"""Cross-process rate limiters and locks: Redis when REDIS_URL is set, else Django's database cache.

Never locmem: the demo's web server, worker and beat are separate processes and must share them.
`MemoryBackend` exists only for library code and unit tests that run without Django.
"""

from __future__ import annotations

import base64
import contextlib
import math
import pickle
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from koongo.http import RateLimited

# Atomic token bucket: state is (tokens, last refill time) in a hash.
_REDIS_BUCKET = """
local key, rate, burst, now = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', key, 't', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
if wait == 0 then redis.call('HSET', key, 't', tokens, 'at', now) end
redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class MemoryBackend:
    """In-process state; for unit tests and library use only."""

    def __init__(self):
        self._mutex = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._locks: dict[str, tuple[str, float]] = {}

    def take_token(self, key: str, rate: float, burst: int, now: float) -> float:
        with self._mutex:
            tokens, at = self._buckets.get(key, (float(burst), now))
            tokens = min(burst, tokens + (now - at) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            return (1 - tokens) / rate

    def acquire(self, key: str, token: str, ttl: float) -> bool:
        with self._mutex:
            held = self._locks.get(key)
            if held and held[1] > time.monotonic():
                return False
            self._locks[key] = (token, time.monotonic() + ttl)
            return True

    def release(self, key: str, token: str) -> None:
        with self._mutex:
            if self._locks.get(key, ("", 0))[0] == token:
                del self._locks[key]

    def extend(self, key: str, token: str, ttl: float) -> bool:
        with self._mutex:
            held = self._locks.get(key)
            if not held or held[0] != token or held[1] <= time.monotonic():
                return False
            self._locks[key] = (token, time.monotonic() + ttl)
            return True


class RedisBackend:
    """Token buckets through a Lua script; locks are redis-py's `Lock`, whose release and extend are atomic scripts."""

    def __init__(self, url: str, prefix: str = "koongo"):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self._bucket = self.redis.register_script(_REDIS_BUCKET)

    def take_token(self, key: str, rate: float, burst: int, now: float) -> float:
        return float(self._bucket(keys=[f"{self.prefix}:rl:{key}"], args=[rate, burst, now]))

    def _lock(self, key: str, ttl: float, token: str | None = None):
        # Not thread-local: the token is ours to carry between calls (a heartbeat thread extends what the run acquired).
        lock = self.redis.lock(f"{self.prefix}:lock:{key}", timeout=ttl, blocking=False, thread_local=False)
        if token is not None:
            lock.local.token = token.encode()
        return lock

    def acquire(self, key: str, token: str, ttl: float) -> bool:
        return bool(self._lock(key, ttl).acquire(token=token))

    def release(self, key: str, token: str) -> None:
        from redis.exceptions import LockNotOwnedError

        with contextlib.suppress(LockNotOwnedError):  # expired or taken over: nothing of ours to release
            self._lock(key, 1, token).release()

    def extend(self, key: str, token: str, ttl: float) -> bool:
        """Reset the lock's time to live to `ttl` if it is still ours."""
        from redis.exceptions import LockNotOwnedError

        try:
            return bool(self._lock(key, ttl, token).reacquire())
        except LockNotOwnedError:
            return False


class CacheBackend:
    """Django's cache (the database cache in the demo); `add` is atomic there, which is all locks need.

    The bucket is a fixed window counter, since the database cache has no atomic read-modify-write
    beyond `add`: good enough to keep a demo under a remote's limits.
    """

    def __init__(self, alias: str = "default", cache=None):
        from django.core.cache import caches

        self.cache = cache if cache is not None else caches[alias]

    def take_token(self, key: str, rate: float, burst: int, now: float) -> float:
        window = max(1.0, burst / rate)
        slot = int(now // window)
        name = f"rl:{key}:{slot}"
        self.cache.add(name, 0, timeout=int(window) + 2)
        try:
            count = self.cache.incr(name)
        except ValueError:  # expired between add and incr
            self.cache.add(name, 1, timeout=int(window) + 2)
            count = 1
        if count <= burst:
            return 0.0
        return (slot + 1) * window - now

    def acquire(self, key: str, token: str, ttl: float) -> bool:
        return self.cache.add(f"lock:{key}", token, timeout=max(1, math.ceil(ttl)))

    def release(self, key: str, token: str) -> None:
        """Delete the lock only if it still holds our token, in one statement (no get-then-delete race)."""
        self._if_ours(f"lock:{key}", token, "DELETE FROM {table} WHERE {key} = %s AND {value} = %s", [])

    def extend(self, key: str, token: str, ttl: float) -> bool:
        """Move the lock's expiry to `ttl` from now if it still holds our token and has not expired."""
        from django.utils import timezone

        expires = timezone.now().replace(microsecond=0) + timedelta(seconds=max(1, math.ceil(ttl)))
        sql = "UPDATE {table} SET {expires} = %s WHERE {key} = %s AND {value} = %s AND {expires} > %s"
        return self._if_ours(f"lock:{key}", token, sql, [expires], [timezone.now()]) == 1

    def _if_ours(self, name: str, token: str, sql: str, before: list, after: tuple | list = ()) -> int:
        from django.core.cache.backends.db import DatabaseCache
        from django.db import connections, router

        if not isinstance(self.cache, DatabaseCache):
            raise TypeError("locks need a cache shared by every process: set REDIS_URL or use the database cache")
        key = self.cache.make_and_validate_key(name)
        # The value as DatabaseCache stores it, so the comparison happens inside the database.
        stored = base64.b64encode(pickle.dumps(token, self.cache.pickle_protocol)).decode("latin1")
        connection = connections[router.db_for_write(self.cache.cache_model_class)]
        quote = connection.ops.quote_name
        query = sql.format(table=quote(self.cache._table), key=quote("cache_key"), value=quote("value"), expires=quote("expires"))
        with connection.cursor() as cursor:
            cursor.execute(query, [*before, key, stored, *after])
            return cursor.rowcount


class RateLimiter:
    """A token bucket per key: `wait` sleeps for a token, or raises RateLimited if that is too long."""

    def __init__(self, backend, *, clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        self.backend = backend
        self.clock = clock
        self.sleep = sleep

    def wait(self, key: str, *, rate: float, burst: int, max_wait: float) -> None:
        waited = 0.0
        while True:
            need = self.backend.take_token(key, rate, burst, self.clock())
            if need <= 0:
                return
            if waited + need > max_wait:
                raise RateLimited(f"local rate limit for {key}", retry_after=need)
            self.sleep(need)
            waited += need


@dataclass
class Lease:
    """A lock we hold with a short time to live; the holder calls `renew()` while it is alive."""

    backend: object
    key: str
    token: str
    ttl: float

    def renew(self) -> bool:
        """Reset the time to live; False if the lock expired or someone else holds it now."""
        return self.backend.extend(self.key, self.token, self.ttl)


class Locks:
    """Non-blocking, expiring locks: `hold(key, ttl)` yields True if this caller got the lock."""

    def __init__(self, backend):
        self.backend = backend

    @contextlib.contextmanager
    def lease(self, key: str, ttl: float) -> Iterator[Lease | None]:
        """Like `hold`, but yields a renewable `Lease` (None if busy): a short ttl that a live holder keeps extending."""
        token = uuid.uuid4().hex
        got = self.backend.acquire(key, token, ttl)
        try:
            yield Lease(self.backend, key, token, ttl) if got else None
        finally:
            if got:
                self.backend.release(key, token)

    @contextlib.contextmanager
    def hold(self, key: str, ttl: float) -> Iterator[bool]:
        token = uuid.uuid4().hex
        got = self.backend.acquire(key, token, ttl)
        try:
            yield got
        finally:
            if got:
                self.backend.release(key, token)

    @contextlib.contextmanager
    def wait_for(self, key: str, ttl: float, timeout: float, poll: float = 0.05) -> Iterator[None]:
        """Block until the lock is ours (for short critical sections such as per-SKU stock writes)."""
        token = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        while not self.backend.acquire(key, token, ttl):
            if time.monotonic() > deadline:
                raise TimeoutError(f"lock {key} is busy")
            time.sleep(poll)
        try:
            yield
        finally:
            self.backend.release(key, token)


_backend = None


def backend():
    """The shared backend chosen by settings: Redis if REDIS_URL is set, else the Django cache."""
    global _backend
    if _backend is None:
        from django.conf import settings

        url = getattr(settings, "REDIS_URL", "")
        prefix = getattr(settings, "COORDINATION_PREFIX", "koongo")
        _backend = RedisBackend(url, prefix) if url else CacheBackend()
    return _backend


def rate_limiter() -> RateLimiter:
    return RateLimiter(backend())


def locks() -> Locks:
    return Locks(backend())
