"""Rate limits for sign-in and credential endpoints, shared by every node.

Counters are fixed windows: the first event opens a window of `window` seconds, and once `max`
events are counted the subject is refused (429 with Retry-After) until the window ends. They live
in the database, or in Redis when configured, so all nodes see the same numbers.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from togglr.domain.errors import RateLimitedError
from togglr.domain.identity import digest
from togglr.services.common import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    max: int
    window: int  # seconds
    message: str = "too many attempts; try again later"


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits in force. Failure limits count failed attempts; others count every request."""

    login_user: Limit = Limit(
        "login-user", 10, 900, "too many failed sign-ins for this account; try again later"
    )
    login_ip: Limit = Limit(
        "login-ip", 30, 900, "too many failed sign-ins from this address; try again later"
    )
    two_factor_user: Limit = Limit(
        "2fa-user", 10, 900, "two-factor authentication is locked for a while"
    )
    two_factor_ip: Limit = Limit("2fa-ip", 30, 900)
    forgot_email: Limit = Limit("forgot-email", 5, 3600, "too many reset requests; try again later")
    forgot_ip: Limit = Limit("forgot-ip", 20, 3600, "too many reset requests; try again later")
    reset_ip: Limit = Limit("reset-ip", 20, 3600)
    refresh_ip: Limit = Limit("refresh-ip", 60, 900)
    token_create_user: Limit = Limit(
        "token-user", 20, 3600, "too many API tokens created; try again later"
    )
    token_create_ip: Limit = Limit(
        "token-ip", 40, 3600, "too many API tokens created; try again later"
    )
    token_auth_ip: Limit = Limit(
        "token-auth-ip", 50, 900, "too many invalid API tokens from this address"
    )
    reauth_user: Limit = Limit(
        "reauth-user", 5, 900, "too many failed re-authentications; try again later"
    )
    email_code_user: Limit = Limit(
        "email-code-user", 5, 3600, "too many e-mailed codes; try again later"
    )


class Counters(Protocol):
    """Where counters live (database or Redis)."""

    async def hit(self, key: str, window: int, now: datetime) -> tuple[int, datetime]: ...

    async def peek(self, key: str, now: datetime) -> tuple[int, datetime | None]: ...

    async def clear(self, key: str) -> None: ...


class DatabaseCounters:
    """Counters in the `rate_limits` table. Each call is its own short transaction, so never call it
    while a unit of work is open (SQLite would wait on its own write lock)."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage

    async def hit(self, key: str, window: int, now: datetime) -> tuple[int, datetime]:
        async with self._storage.unit_of_work() as uow:
            result: tuple[int, datetime] = await uow.rate_limits.hit(key, window, now)
            return result

    async def peek(self, key: str, now: datetime) -> tuple[int, datetime | None]:
        async with self._storage.unit_of_work() as uow:
            result: tuple[int, datetime | None] = await uow.rate_limits.peek(key, now)
            return result

    async def clear(self, key: str) -> None:
        async with self._storage.unit_of_work() as uow:
            await uow.rate_limits.clear(key)


class RateLimiter:
    def __init__(self, counters: Counters, clock: Clock, limits: Limits | None = None) -> None:
        self._counters = counters
        self._now = clock
        self.limits = limits or Limits()

    @staticmethod
    def key(limit: Limit, subject: str) -> str:
        # Subjects are e-mails, logins and addresses: keep only a digest in the counter store.
        return f"togglr:rl:{limit.name}:{digest(subject.strip().lower())[:40]}"

    def _refuse(self, limit: Limit, reset_at: datetime | None) -> RateLimitedError:
        wait = (
            1 if reset_at is None else max(1, math.ceil((reset_at - self._now()).total_seconds()))
        )
        return RateLimitedError(limit.message, retry_after=wait)

    async def check(self, limit: Limit, subject: str) -> None:
        """Refuse when the subject has used up the limit; counts nothing."""
        if not subject:
            return
        try:
            count, reset_at = await self._counters.peek(self.key(limit, subject), self._now())
        except Exception:
            # Fail open: a counter outage must not lock everyone out of sign-in.
            log.warning("rate-limit store unavailable; %s not enforced", limit.name, exc_info=True)
            return
        if count >= limit.max:
            raise self._refuse(limit, reset_at)

    async def count(self, limit: Limit, subject: str) -> int:
        """Count one event (a failure, or a request under a request limit) and return the total."""
        if not subject:
            return 0
        try:
            total, _ = await self._counters.hit(self.key(limit, subject), limit.window, self._now())
        except Exception:
            log.warning("rate-limit store unavailable; %s not counted", limit.name, exc_info=True)
            return 0
        return total

    async def take(self, limit: Limit, subject: str) -> None:
        """Count a request and refuse it when it goes over the limit."""
        if not subject:
            return
        try:
            total, reset_at = await self._counters.hit(
                self.key(limit, subject), limit.window, self._now()
            )
        except Exception:
            log.warning("rate-limit store unavailable; %s not enforced", limit.name, exc_info=True)
            return
        if total > limit.max:
            raise self._refuse(limit, reset_at)

    async def clear(self, limit: Limit, subject: str) -> None:
        """Forget the subject's count (after a success)."""
        if not subject:
            return
        try:
            await self._counters.clear(self.key(limit, subject))
        except Exception:
            log.warning("rate-limit store unavailable; %s not cleared", limit.name, exc_info=True)
