"""The rate limiter's window arithmetic, over an in-memory counter store and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from togglr.domain.errors import RateLimitedError
from togglr.services.ratelimit import Limit, RateLimiter

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LIMIT = Limit("test", 3, 60, "slow down")


class MemoryCounters:
    def __init__(self) -> None:
        self.data: dict[str, tuple[int, datetime]] = {}
        self.broken = False

    async def hit(self, key: str, window: int, now: datetime) -> tuple[int, datetime]:
        if self.broken:
            raise ConnectionError("store down")
        count, reset_at = self.data.get(key, (0, now))
        if reset_at <= now:
            count, reset_at = 0, now + timedelta(seconds=window)
        self.data[key] = (count + 1, reset_at)
        return self.data[key]

    async def peek(self, key: str, now: datetime) -> tuple[int, datetime | None]:
        if self.broken:
            raise ConnectionError("store down")
        count, reset_at = self.data.get(key, (0, now))
        return (count, reset_at) if reset_at > now else (0, None)

    async def clear(self, key: str) -> None:
        if self.broken:
            raise ConnectionError("store down")
        self.data.pop(key, None)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def counters() -> MemoryCounters:
    return MemoryCounters()


async def test_failures_lock_after_max_until_the_window_ends(
    counters: MemoryCounters, clock: Clock
) -> None:
    limiter = RateLimiter(counters, clock)
    for _ in range(3):
        await limiter.check(LIMIT, "alice")
        await limiter.count(LIMIT, "alice")
    clock.now = T0 + timedelta(seconds=15)
    with pytest.raises(RateLimitedError) as caught:
        await limiter.check(LIMIT, "alice")
    assert caught.value.retry_after == 45
    assert caught.value.message == "slow down"
    await limiter.check(LIMIT, "bob")  # others are unaffected
    clock.now = T0 + timedelta(seconds=60)
    await limiter.check(LIMIT, "alice")  # the window is over


async def test_take_counts_requests_and_refuses_the_one_over(
    counters: MemoryCounters, clock: Clock
) -> None:
    limiter = RateLimiter(counters, clock)
    for _ in range(3):
        await limiter.take(LIMIT, "1.2.3.4")
    with pytest.raises(RateLimitedError) as caught:
        await limiter.take(LIMIT, "1.2.3.4")
    assert caught.value.retry_after == 60


async def test_clear_forgets_and_subjects_are_normalised_and_hashed(
    counters: MemoryCounters, clock: Clock
) -> None:
    limiter = RateLimiter(counters, clock)
    for _ in range(3):
        await limiter.count(LIMIT, " Alice@Example.com ")
    with pytest.raises(RateLimitedError):
        await limiter.check(LIMIT, "alice@example.com")
    assert not any("alice" in key for key in counters.data)  # only digests are stored
    await limiter.clear(LIMIT, "ALICE@example.com")
    await limiter.check(LIMIT, "alice@example.com")


async def test_an_empty_subject_is_not_limited(counters: MemoryCounters, clock: Clock) -> None:
    limiter = RateLimiter(counters, clock)
    for _ in range(10):
        await limiter.take(LIMIT, "")
        assert await limiter.count(LIMIT, "") == 0
    await limiter.check(LIMIT, "")
    assert counters.data == {}


async def test_a_store_outage_fails_open(counters: MemoryCounters, clock: Clock) -> None:
    limiter = RateLimiter(counters, clock)
    counters.broken = True
    await limiter.check(LIMIT, "alice")
    await limiter.take(LIMIT, "alice")
    assert await limiter.count(LIMIT, "alice") == 0
    await limiter.clear(LIMIT, "alice")
