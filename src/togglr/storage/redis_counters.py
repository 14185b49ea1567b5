"""Rate-limit counters in Redis (TOGGLR_REDIS_URL): one key per window, expiring with it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis

# INCR and start the expiry in one step, so a crash between them cannot leave an immortal key.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


class RedisCounters:
    def __init__(self, url: str) -> None:
        self._redis: Redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._hit: Any = self._redis.register_script(_HIT)

    async def hit(self, key: str, window: int, now: datetime) -> tuple[int, datetime]:
        count, ttl_ms = await self._hit(keys=[key], args=[window * 1000])
        return int(count), now + timedelta(milliseconds=int(ttl_ms))

    async def peek(self, key: str, now: datetime) -> tuple[int, datetime | None]:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(key)
            pipe.pttl(key)
            raw, ttl_ms = await pipe.execute()
        if raw is None or int(ttl_ms) <= 0:
            return 0, None
        return int(raw), now + timedelta(milliseconds=int(ttl_ms))

    async def clear(self, key: str) -> None:
        await self._redis.delete(key)

    async def close(self) -> None:
        await self._redis.aclose()
