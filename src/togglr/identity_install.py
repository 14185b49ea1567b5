"""Wires identity protection into a runtime: 2FA, password reset, API tokens, rate limits, sessions.

Called once from `bootstrap.build_runtime()`; the only identity module that names concrete adapters
(the Redis counter store).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from togglr.services.api_tokens import ApiTokenService
from togglr.services.common import Clock, utc_now
from togglr.services.mailer import Mailer, MailerSettings
from togglr.services.password_reset import PasswordResetService
from togglr.services.ratelimit import Counters, DatabaseCounters, RateLimiter
from togglr.services.secret_box import SecretBox
from togglr.services.security_events import SecurityEventService
from togglr.services.sessions import SessionService
from togglr.services.sign_in import SignInService
from togglr.services.twofactor import TwoFactorService
from togglr.web.admin import identity as identity_routes

if TYPE_CHECKING:
    from togglr.bootstrap import Runtime
    from togglr.config import Settings

log = logging.getLogger(__name__)
HOUSEKEEPING_EVERY = 600.0  # seconds between purges of expired codes, links and counters


def mailer_from(settings: Settings) -> Mailer:
    return Mailer(
        MailerSettings(
            host=settings.mailer_host,
            port=settings.mailer_port,
            user=settings.mailer_user,
            password=settings.mailer_password,
            sender=settings.mailer_from,
            tls=settings.mailer_tls,
            verify_tls=settings.mailer_verify_tls,
        )
    )


def _counters(settings: Settings, storage: Any) -> Counters:
    if settings.redis_url:
        from togglr.storage.redis_counters import RedisCounters

        return RedisCounters(settings.redis_url)
    return DatabaseCounters(storage)


def install(runtime: Runtime) -> None:
    settings = runtime.settings
    services = runtime.services
    storage = services.storage
    clock: Clock = utc_now
    counters = _counters(settings, storage)
    limiter = RateLimiter(counters, clock)
    mailer = mailer_from(settings)
    two_factor = TwoFactorService(
        storage,
        clock,
        accounts=services.accounts,
        box=SecretBox(settings.resolved_secret_key(), "totp"),
        limiter=limiter,
        mailer=mailer,
    )
    sign_in = SignInService(
        storage, clock, accounts=services.accounts, two_factor=two_factor, limiter=limiter
    )
    tokens = ApiTokenService(storage, clock, limiter=limiter)
    services.accounts.login_gates.append(two_factor.login_gate)
    services.extra.update(
        {
            "login": sign_in.login,
            "refresh": sign_in.refresh,
            "authenticate_token": tokens.authenticate,
            "verify_totp": two_factor.verify_totp,
            "mailer": mailer,
            "rate_limiter": limiter,
            "two_factor": two_factor,
            "sign_in": sign_in,
            "api_tokens": tokens,
            "sessions": SessionService(storage, clock),
            "security_events": SecurityEventService(storage),
            "password_reset": PasswordResetService(
                storage,
                clock,
                mailer=mailer,
                limiter=limiter,
                frontend_url=settings.resolved_frontend_url(),
                ttl=settings.password_reset_ttl,
            ),
        }
    )
    services.extra.setdefault("routers", []).append(identity_routes.router)

    async def start() -> None:
        runtime.tasks.append(asyncio.create_task(_housekeeping(storage, clock)))

    async def stop() -> None:
        close = getattr(counters, "close", None)
        if close is not None:
            await close()

    runtime.on_startup.append(start)
    runtime.on_shutdown.append(stop)


async def _housekeeping(storage: Any, clock: Clock) -> None:
    while True:
        await asyncio.sleep(HOUSEKEEPING_EVERY)
        try:
            async with storage.unit_of_work() as uow:
                now = clock()
                await uow.rate_limits.purge(now)
                await uow.password_resets.purge(now)
                await uow.two_factor_sessions.purge(now)
                await uow.two_factor.purge(now)
        except Exception:
            log.exception("identity housekeeping failed")
