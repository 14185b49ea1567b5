"""Guarded sign-in: rate limits around password login and refresh, and the hand-over to 2FA."""

from __future__ import annotations

from typing import Any

from togglr.domain.accounts import Principal
from togglr.domain.errors import AuthenticationError, RateLimitedError
from togglr.services.accounts import AccountService, TokenPair
from togglr.services.common import Clock, audit
from togglr.services.ratelimit import RateLimiter
from togglr.services.twofactor import TwoFactorRequiredError, TwoFactorService


def account_subject(user_id: str) -> str:
    """The rate-limit subject of a known account (shared by login and password reset)."""
    return f"user:{user_id}"


class SignInService:
    def __init__(
        self,
        storage: Any,
        clock: Clock,
        *,
        accounts: AccountService,
        two_factor: TwoFactorService,
        limiter: RateLimiter,
    ) -> None:
        self._storage = storage
        self._now = clock
        self._accounts = accounts
        self._two_factor = two_factor
        self._limiter = limiter

    async def _subject(self, login: str) -> str:
        # Count per account, whether it is named by username or e-mail; unknown names count as
        # themselves, so known and unknown accounts are limited alike (no account disclosure).
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.find_by_login(login.strip())
        return account_subject(user.id) if user else f"login:{login.strip().lower()}"

    async def login(
        self, login: str, password: str, user_agent: str = "", ip: str = ""
    ) -> TokenPair:
        """Password login; raises 2fa_required (403 with session_id) when the user has 2FA on."""
        limits = self._limiter.limits
        subject = await self._subject(login)
        try:
            await self._limiter.check(limits.login_ip, ip)
            await self._limiter.check(limits.login_user, subject)
        except RateLimitedError:
            await self._audit_blocked(login, subject, user_agent, ip)
            raise
        try:
            pair = await self._accounts.login(login, password, user_agent=user_agent, ip=ip)
        except TwoFactorRequiredError as exc:
            await self._limiter.clear(limits.login_user, subject)  # the password was right
            session_id = await self._two_factor.start_login(
                str(exc.details["user_id"]), user_agent, ip
            )
            raise TwoFactorRequiredError(
                "two-factor authentication required", session_id=session_id
            ) from None
        except AuthenticationError as exc:
            if exc.code == "invalid_credentials":
                await self._limiter.count(limits.login_ip, ip)
                await self._limiter.count(limits.login_user, subject)
            raise
        await self._limiter.clear(limits.login_user, subject)
        return pair

    async def _audit_blocked(self, login: str, subject: str, user_agent: str, ip: str) -> None:
        user_id = subject.removeprefix("user:") if subject.startswith("user:") else None
        async with self._storage.unit_of_work() as uow:
            await audit(
                uow,
                Principal(None, login.strip()[:255], False, {}),
                self._now(),
                entity="user",
                entity_id=(user_id or login.strip())[:64],
                action="login_rate_limited",
                project_id=None,
                new={"ip": ip, "user_agent": user_agent},
            )

    async def refresh(self, refresh_token: str, user_agent: str = "", ip: str = "") -> TokenPair:
        """Token refresh, with failed attempts limited per address."""
        limit = self._limiter.limits.refresh_ip
        await self._limiter.check(limit, ip)
        try:
            return await self._accounts.refresh(refresh_token, user_agent=user_agent, ip=ip)
        except AuthenticationError:
            await self._limiter.count(limit, ip)
            raise
