"""Forgotten passwords: a single-use, expiring link sent by e-mail, and setting the new password."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import quote

from togglr.domain.accounts import Principal, User
from togglr.domain.errors import InvalidInputError
from togglr.domain.identity import PasswordReset, digest
from togglr.domain.ids import new_id
from togglr.services.accounts import hash_password
from togglr.services.common import Clock, audit
from togglr.services.mailer import Mailer
from togglr.services.password_policy import check_new_password, context_words
from togglr.services.ratelimit import RateLimiter
from togglr.services.sign_in import account_subject

log = logging.getLogger(__name__)
ANONYMOUS = Principal(None, "anonymous", False, {}, request_id=None)

RESET_TEXT = """Hello {name},

someone (hopefully you) asked to reset your Togglr password.
Open this link to choose a new one; it works once, within {minutes} minutes:

{link}

If you did not ask for this, ignore this message: your password stays as it is.
"""
RESET_HTML = """<p>Hello {name},</p>
<p>someone (hopefully you) asked to reset your Togglr password.</p>
<p><a href="{link}">Choose a new password</a> (works once, within {minutes} minutes).</p>
<p>If you did not ask for this, ignore this message: your password stays as it is.</p>
"""
EXTERNAL_TEXT = """Hello {name},

someone asked to reset your Togglr password, but your account signs in through your
organisation's directory or single sign-on. Change the password there.
"""


class PasswordResetService:
    def __init__(
        self,
        storage: Any,
        clock: Clock,
        *,
        mailer: Mailer,
        limiter: RateLimiter,
        frontend_url: str,
        ttl: int = 3600,
    ) -> None:
        self._storage = storage
        self._now = clock
        self._mailer = mailer
        self._limiter = limiter
        self._frontend_url = frontend_url.rstrip("/")
        self._ttl = timedelta(seconds=ttl)
        self._sending: set[asyncio.Task[None]] = set()

    async def forgot(self, email: str, *, ip: str = "") -> None:
        """Mail a reset link if the address is an active local account; silent either way."""
        limits = self._limiter.limits
        email = email.strip().lower()
        await self._limiter.take(limits.forgot_ip, ip)
        await self._limiter.take(limits.forgot_email, email)
        now = self._now()
        token = secrets.token_urlsafe(32)
        async with self._storage.unit_of_work() as uow:
            user_id = await uow.security.find_user_id_by_email(email)
            user = await uow.users.find(user_id) if user_id else None
            if user is None or not user.is_active:
                return
            if not user.is_external:
                await uow.password_resets.add(
                    new_id(), user.id, digest(token), now, now + self._ttl, ip
                )
            await audit(
                uow,
                ANONYMOUS,
                now,
                entity="user",
                entity_id=user.id,
                action="password_reset_requested",
                project_id=None,
                new={"ip": ip},
            )
        # Send after answering, so the response time does not tell whether the account exists.
        self._send_later(
            self._reset_mail(user, token) if not user.is_external else self._external_mail(user)
        )

    def _send_later(self, mail: tuple[str, str, str, str]) -> None:
        task = asyncio.create_task(self._send(*mail))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, to: str, subject: str, text: str, html: str) -> None:
        try:
            await self._mailer.send_mail(to, subject, text, html)
        except Exception:
            log.exception("password reset e-mail to %s was not sent", to)

    def _reset_mail(self, user: User, token: str) -> tuple[str, str, str, str]:
        link = f"{self._frontend_url}/reset-password?token={quote(token)}"
        minutes = int(self._ttl.total_seconds() // 60)
        text = RESET_TEXT.format(name=user.username, link=link, minutes=minutes)
        html = RESET_HTML.format(name=escape(user.username), link=escape(link), minutes=minutes)
        return user.email, "Togglr: reset your password", text, html

    @staticmethod
    def _external_mail(user: User) -> tuple[str, str, str, str]:
        text = EXTERNAL_TEXT.format(name=user.username)
        return user.email, "Togglr: password reset", text, f"<p>{escape(text)}</p>"

    async def reset(self, token: str, new_password: str, *, ip: str = "") -> None:
        """Set a new password with a link token; ends every session of the user."""
        limit = self._limiter.limits.reset_ip
        await self._limiter.check(limit, ip)
        now = self._now()
        user_id: str | None = None
        async with self._storage.unit_of_work() as uow:
            found = await self._usable_link(uow, token, now)
        if found is not None:
            # Only for a valid link: the policy knows the account's words, and scoring costs CPU
            # that an anonymous caller should not be able to spend. A weak password keeps the link.
            await check_new_password(new_password, context_words(found[1].username, found[1].email))
        async with self._storage.unit_of_work() as uow:
            found = await self._usable_link(uow, token, now)
            if found is not None and await uow.password_resets.use(found[0].id, now):
                user = found[1]
                await uow.password_resets.use_all(user.id, now)  # older links die with this one
                new = replace(
                    user, password_hash=hash_password(new_password), is_tmp_password=False
                )
                await uow.users.update(new, now)
                await uow.refresh_tokens.revoke_user(user.id, now)
                await audit(
                    uow,
                    Principal(user.id, user.username, user.is_superuser, {}),
                    now,
                    entity="user",
                    entity_id=user.id,
                    action="password_reset",
                    project_id=None,
                    new={"ip": ip},
                )
                user_id = user.id
        if user_id is None:
            await self._limiter.count(limit, ip)
            raise InvalidInputError(
                "the reset link is invalid, used or expired; ask for a new one",
                code="invalid_token",
            )
        # The owner proved control of the mailbox: lift a lock from failed sign-ins.
        await self._limiter.clear(self._limiter.limits.login_user, account_subject(user_id))

    @staticmethod
    async def _usable_link(
        uow: Any, token: str, now: datetime
    ) -> tuple[PasswordReset, User] | None:
        """The unused, unexpired link of an active local account, with that account."""
        link = await uow.password_resets.find_by_hash(digest(token.strip()))
        user = await uow.users.find(link.user_id) if link else None
        if link is None or user is None or link.used_at is not None or link.expires_at <= now:
            return None
        if not user.is_active or user.is_external:
            return None
        return link, user
