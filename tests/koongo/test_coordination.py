"""Rate limiter and locks, on the in-memory backend and the real shared backend (Redis or database cache)."""

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
