"""Rate limiter and locks, on the in-memory backend and the real shared backend (Redis or database cache)."""

import time

import pytest

from koongo.coordination import Locks, MemoryBackend, RateLimiter, backend
from koongo.http import RateLimited


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 3))
        self.now += seconds


def test_bucket_allows_a_burst_then_waits_for_a_token():
    clock = FakeClock()
    limiter = RateLimiter(MemoryBackend(), clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.wait("k", rate=2, burst=3, max_wait=5)
    assert clock.slept == []
    limiter.wait("k", rate=2, burst=3, max_wait=5)
    assert clock.slept == [0.5]


def test_bucket_refuses_when_the_wait_is_too_long():
    clock = FakeClock()
    limiter = RateLimiter(MemoryBackend(), clock=clock, sleep=clock.sleep)
    limiter.wait("k", rate=0.1, burst=1, max_wait=1)
    with pytest.raises(RateLimited) as raised:
        limiter.wait("k", rate=0.1, burst=1, max_wait=1)
    assert raised.value.retry_after == pytest.approx(10.0)
    assert clock.slept == []


def test_keys_are_independent():
    clock = FakeClock()
    limiter = RateLimiter(MemoryBackend(), clock=clock, sleep=clock.sleep)
    limiter.wait("a", rate=1, burst=1, max_wait=0)
    limiter.wait("b", rate=1, burst=1, max_wait=0)
    assert clock.slept == []


@pytest.mark.django_db
def test_shared_backend_locks_are_exclusive_and_released():
    locks = Locks(backend())
    with locks.hold("conn-1:orders", ttl=30) as first:
        assert first is True
        with locks.hold("conn-1:orders", ttl=30) as second:
            assert second is False
        with locks.hold("conn-2:orders", ttl=30) as other:
            assert other is True
    with locks.hold("conn-1:orders", ttl=30) as again:
        assert again is True


@pytest.mark.django_db
def test_shared_backend_bucket_refuses_past_the_burst():
    limiter = RateLimiter(backend(), sleep=lambda s: None)
    for _ in range(5):
        limiter.wait("shared-bucket", rate=0.01, burst=5, max_wait=0)
    with pytest.raises(RateLimited):
        limiter.wait("shared-bucket", rate=0.01, burst=5, max_wait=0)


def test_shared_backend_is_redis_when_configured(settings):
    from koongo.coordination import CacheBackend, RedisBackend

    expected = RedisBackend if settings.REDIS_URL else CacheBackend
    assert isinstance(backend(), expected)


def _database_cache_backend():
    """The fallback used when REDIS_URL is unset: the database cache (its table made here, whatever CACHES says)."""
    from django.core.cache.backends.db import DatabaseCache
    from django.core.management import call_command

    from koongo.coordination import CacheBackend

    call_command("createcachetable", "koongo_cache", verbosity=0)
    return CacheBackend(cache=DatabaseCache("koongo_cache", {"KEY_PREFIX": "lock-test"}))


@pytest.mark.django_db
def test_database_cache_release_never_deletes_a_lock_another_holder_took_over(monkeypatch):
    backend = _database_cache_backend()
    cache = backend.cache
    assert backend.acquire("stock:sku-1", "token-a", ttl=30) is True
    real_get = cache.get

    def get_then_lose_the_lock(key, *args, **kwargs):
        # Between our read and our delete, A's lock expires and B takes it: a get-then-delete would delete B's lock.
        value = real_get(key, *args, **kwargs)
        cache.delete(key)
        cache.add(key, "token-b", timeout=30)
        return value

    monkeypatch.setattr(cache, "get", get_then_lose_the_lock)
    cache.delete("lock:stock:sku-1")
    cache.add("lock:stock:sku-1", "token-b", timeout=30)  # the takeover, for an implementation that never reads first
    backend.release("stock:sku-1", "token-a")
    monkeypatch.setattr(cache, "get", real_get)
    assert cache.get("lock:stock:sku-1") == "token-b"
    assert backend.acquire("stock:sku-1", "token-c", ttl=30) is False
    backend.release("stock:sku-1", "token-b")
    assert backend.acquire("stock:sku-1", "token-c", ttl=30) is True


@pytest.mark.django_db
def test_database_cache_extend_renews_only_our_own_live_lock():
    backend = _database_cache_backend()
    assert backend.acquire("sync:1:orders", "mine", ttl=30) is True
    assert backend.extend("sync:1:orders", "mine", ttl=60) is True
    assert backend.extend("sync:1:orders", "theirs", ttl=60) is False
    backend.release("sync:1:orders", "mine")
    assert backend.extend("sync:1:orders", "mine", ttl=60) is False


@pytest.mark.django_db
def test_a_lease_outlives_its_short_ttl_while_it_is_renewed_and_expires_once_it_is_not():
    locks = Locks(backend())
    with locks.lease("sync:7:orders", ttl=2) as lease:
        assert lease is not None
        for _ in range(3):  # 3 s in all: past the 2 s ttl, held only by the renewals
            time.sleep(1.0)
            assert lease.renew() is True
        with locks.lease("sync:7:orders", ttl=2) as rival:
            assert rival is None
        time.sleep(2.5)  # no renewal: the holder died
        with locks.lease("sync:7:orders", ttl=2) as successor:
            assert successor is not None
            assert lease.renew() is False  # the dead holder can never take it back


@pytest.mark.django_db
def test_the_shared_backend_releases_and_extends_only_with_the_holders_token():
    from koongo.coordination import RedisBackend

    shared = backend()
    assert shared.acquire("k", "tok", ttl=5) is True
    shared.release("k", "other")
    assert shared.acquire("k", "again", ttl=5) is False
    assert shared.extend("k", "other", ttl=50) is False
    assert shared.extend("k", "tok", ttl=50) is True
    if isinstance(shared, RedisBackend):  # redis-py's Lock holds the key; its TTL is what extend reset
        assert 45_000 < shared.redis.pttl(f"{shared.prefix}:lock:k") <= 50_000
    shared.release("k", "tok")
    assert shared.acquire("k", "again", ttl=5) is True
