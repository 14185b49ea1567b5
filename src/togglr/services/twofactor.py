"""Two-factor authentication with TOTP (RFC 6238): enrolment, the login step, recovery and removal.

All state (secrets, pending logins, used time steps, codes) is in the database, so any node can
finish a login that another node started. Secrets are encrypted with the settings key.
"""

from __future__ import annotations

import base64
import io
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pyotp
import qrcode

from togglr.domain.accounts import Principal, User, signed_in_user_id
from togglr.domain.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from togglr.domain.identity import EmailCode, TwoFactor, TwoFactorSession, digest
from togglr.domain.ids import new_id
from togglr.services.accounts import AccountService, TokenPair
from togglr.services.common import Clock, audit
from togglr.services.mailer import Mailer, MailUnavailableError
from togglr.services.ratelimit import RateLimiter
from togglr.services.secret_box import SecretBox

ISSUER = "Togglr"
STEP = 30  # seconds per TOTP code
SESSION_TTL = timedelta(minutes=5)  # time to type the code after the password
SESSION_ATTEMPTS = 5  # wrong codes per login before the password must be entered again
EMAIL_CODE_TTL = timedelta(minutes=15)
EMAIL_CODE_ATTEMPTS = 5
RECOVERY_CODES = 10
DISABLE = "disable_2fa"
DISABLE_TEXT = """Hello {name},

your code to turn off two-factor authentication in Togglr is:

    {code}

It is valid for {minutes} minutes. If you did not ask for it, someone may know your
password: change it, and keep two-factor authentication on.
"""


class TwoFactorRequiredError(PermissionDeniedError):
    """The password was right; the second factor is still missing (403 with a session id)."""

    code = "2fa_required"


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_png_base64: str


@dataclass(frozen=True, slots=True)
class TwoFactorStatus:
    enabled: bool
    pending: bool
    confirmed_at: datetime | None
    recovery_codes_left: int


def new_recovery_code() -> str:
    """16 base32 characters (80 bits), shown as xxxx-xxxx-xxxx-xxxx."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def recovery_hash(user_id: str, code: str) -> str:
    # Salted with the user id so equal codes of two users do not share a hash.
    return digest(f"{user_id}:{normalize_code(code)}")


def qr_png_base64(text: str) -> str:
    image = qrcode.make(text, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (now ±1, for clock drift) whose code equals `code`, or None."""
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP)
    current = int(now.timestamp()) // STEP
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


class TwoFactorService:
    def __init__(
        self,
        storage: Any,
        clock: Clock,
        *,
        accounts: AccountService,
        box: SecretBox,
        limiter: RateLimiter,
        mailer: Mailer,
    ) -> None:
        self._storage = storage
        self._now = clock
        self._accounts = accounts
        self._box = box
        self._limiter = limiter
        self._mailer = mailer

    # --- the login step -------------------------------------------------------------------
    async def login_gate(self, user: User, user_agent: str, ip: str) -> None:
        """AccountService login gate: stop a password login of a user with 2FA on."""
        if user.two_fa_enabled:
            raise TwoFactorRequiredError("two-factor authentication required", user_id=user.id)

    async def start_login(self, user_id: str, user_agent: str, ip: str) -> str:
        """Open a pending login for a user whose password was right; returns its session id."""
        now = self._now()
        session = TwoFactorSession(
            secrets.token_urlsafe(32), user_id, now, now + SESSION_TTL, 0, None, user_agent, ip
        )
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            await uow.two_factor_sessions.add(session)
            await _security_event(
                uow,
                _as(user),
                now,
                user.id,
                "login_2fa_required",
                entity="user",
                new={"ip": ip, "user_agent": user_agent},
            )
        return session.id

    async def verify_login(
        self, session_id: str, code: str, *, user_agent: str = "", ip: str = ""
    ) -> TokenPair:
        """Finish a login with a TOTP code or a recovery code."""
        limits = self._limiter.limits
        await self._limiter.check(limits.two_factor_ip, ip)
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            session = await uow.two_factor_sessions.find(session_id)
        if session is None or not session.is_open(now):
            await self._limiter.count(limits.two_factor_ip, ip)
            raise AuthenticationError(
                "the sign-in has expired or is unknown; sign in again", code="invalid_session"
            )
        await self._limiter.check(limits.two_factor_user, session.user_id)

        failure: str | None = None
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(session.user_id)
            method = await self._check_code(uow, user.id, code, now, recovery=True)
            if method is None:
                failure = "invalid_code"
                await uow.two_factor_sessions.count_attempt(session.id, SESSION_ATTEMPTS, now)
                await _security_event(
                    uow, _as(user), now, user.id, "2fa_failed", new={"during": "login", "ip": ip}
                )
            elif not await uow.two_factor_sessions.consume(session.id, now):
                failure = "invalid_session"
            elif not user.is_active:
                failure = "inactive_user"
            else:
                await uow.users.update(replace(user, last_login=now), now)
                await _security_event(
                    uow,
                    _as(user),
                    now,
                    user.id,
                    "login",
                    entity="user",
                    new={"method": f"password+{method}", "ip": ip, "user_agent": user_agent},
                )
        if failure == "invalid_code":
            await self._limiter.count(limits.two_factor_user, session.user_id)
            await self._limiter.count(limits.two_factor_ip, ip)
            left = SESSION_ATTEMPTS - session.attempts - 1
            hint = "sign in again" if left <= 0 else f"{left} attempts left"
            raise InvalidInputError(f"invalid code; {hint}", code="invalid_code")
        if failure == "invalid_session":
            raise AuthenticationError(
                "the sign-in has expired or is unknown; sign in again", code="invalid_session"
            )
        if failure == "inactive_user":
            raise AuthenticationError("this account is deactivated", code="inactive_user")
        await self._limiter.clear(limits.two_factor_user, session.user_id)
        return await self._accounts.issue_for(session.user_id, user_agent=user_agent, ip=ip)

    async def verify_totp(self, user_id: str, code: str) -> bool:
        """Re-authenticate a signed-in user (e.g. to approve a change). Raises 429 while locked."""
        limit = self._limiter.limits.two_factor_user
        await self._limiter.check(limit, user_id)
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.find(user_id)
            ok = (
                user is not None
                and await self._check_code(uow, user_id, code, now, recovery=False) is not None
            )
            if user is not None and not ok:
                await _security_event(
                    uow, _as(user), now, user_id, "2fa_failed", new={"during": "re-authentication"}
                )
        if ok:
            await self._limiter.clear(limit, user_id)
        else:
            await self._limiter.count(limit, user_id)
        return ok

    async def _check_code(
        self, uow: Any, user_id: str, code: str, now: datetime, *, recovery: bool
    ) -> str | None:
        """The factor `code` proves ("totp", "recovery_code"), spent; None if it proves none."""
        state = await uow.two_factor.find(user_id)
        if state is None or state.secret is None:
            return None
        step = matching_step(self._box.open(state.secret), code.strip().replace(" ", ""), now)
        if step is not None:
            # A code is good once: a second use of the same step (replay) fails.
            return "totp" if await uow.two_factor.claim_step(user_id, step) else None
        if not recovery or len(normalize_code(code)) != 16:
            return None
        spent = await uow.two_factor.use_recovery_code(user_id, recovery_hash(user_id, code), now)
        return "recovery_code" if spent else None

    # --- enrolment ------------------------------------------------------------------------
    async def setup(self, principal: Principal) -> Enrolment:
        """Start (or restart) enrolment: a new secret that must be confirmed with a code."""
        user_id = _self_service(principal)
        now = self._now()
        secret = pyotp.random_base32(32)
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            state = await uow.two_factor.find(user_id)
            if user.two_fa_enabled:
                raise ConflictError(
                    "two-factor authentication is already on; turn it off first (needs a code)",
                    code="2fa_already_enabled",
                )
            state = TwoFactor(
                user_id, None, self._box.seal(secret), None, state.last_step if state else 0
            )
            await uow.two_factor.save(state, now)
            await _security_event(uow, principal, now, user_id, "2fa_setup")
        uri = pyotp.TOTP(secret, interval=STEP).provisioning_uri(
            name=user.email, issuer_name=ISSUER
        )
        return Enrolment(secret, uri, qr_png_base64(uri))

    async def confirm(self, principal: Principal, code: str) -> list[str]:
        """Turn 2FA on with a code from the new secret; returns one-time recovery codes."""
        user_id = _self_service(principal)
        limit = self._limiter.limits.two_factor_user
        await self._limiter.check(limit, user_id)
        now = self._now()
        codes: list[str] = []
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            state = await uow.two_factor.find(user_id)
            if user.two_fa_enabled:
                raise ConflictError(
                    "two-factor authentication is already on", code="2fa_already_enabled"
                )
            if state is None or state.pending_secret is None:
                raise ConflictError("start with POST /users/me/2fa/setup", code="2fa_not_set_up")
            secret = self._box.open(state.pending_secret)
            step = matching_step(secret, code.strip().replace(" ", ""), now)
            if step is not None:
                codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
                await uow.two_factor.save(
                    TwoFactor(user_id, state.pending_secret, None, now, step), now
                )
                await uow.two_factor.replace_recovery_codes(
                    user_id, [(new_id(), recovery_hash(user_id, c)) for c in codes], now
                )
                await uow.users.update(replace(user, two_fa_enabled=True), now)
                await _end_other_sessions(uow, principal, user_id, now)
                await _security_event(uow, principal, now, user_id, "2fa_enable")
            else:
                await _security_event(
                    uow, principal, now, user_id, "2fa_failed", new={"during": "confirm"}
                )
        if not codes:
            await self._limiter.count(limit, user_id)
            raise InvalidInputError("invalid code", code="invalid_code")
        await self._limiter.clear(limit, user_id)
        return codes

    async def status(self, principal: Principal) -> TwoFactorStatus:
        user_id = _self_service(principal)
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            state = await uow.two_factor.find(user_id)
            left = await uow.two_factor.count_recovery_codes(user_id)
        return TwoFactorStatus(
            enabled=user.two_fa_enabled,
            pending=state is not None and state.pending_secret is not None,
            confirmed_at=state.confirmed_at if state and user.two_fa_enabled else None,
            recovery_codes_left=left if user.two_fa_enabled else 0,
        )

    async def regenerate_recovery_codes(self, principal: Principal, code: str) -> list[str]:
        """Replace all recovery codes; needs a current TOTP code."""
        user_id = _self_service(principal)
        if not await self.verify_totp(user_id, code):
            raise InvalidInputError("invalid code", code="invalid_code")
        now = self._now()
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
        async with self._storage.unit_of_work() as uow:
            await uow.two_factor.replace_recovery_codes(
                user_id, [(new_id(), recovery_hash(user_id, c)) for c in codes], now
            )
            await _security_event(uow, principal, now, user_id, "2fa_recovery_renewed")
        return codes

    # --- removal --------------------------------------------------------------------------
    async def send_code(self, principal: Principal) -> None:
        """E-mail a one-time code that can turn 2FA off when the authenticator is lost."""
        user_id = _self_service(principal)
        if not self._mailer.is_configured:
            raise MailUnavailableError(
                "e-mail is not configured on this server; use a code from your app"
            )
        await self._limiter.take(self._limiter.limits.email_code_user, user_id)
        now = self._now()
        code = f"{secrets.randbelow(10**6):06d}"
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            if not user.two_fa_enabled:
                raise ConflictError("two-factor authentication is not on", code="2fa_not_enabled")
            await uow.two_factor.put_email_code(
                EmailCode(user_id, DISABLE, digest(f"{user_id}:{code}"), now + EMAIL_CODE_TTL, 0),
                now,
            )
            await _security_event(uow, principal, now, user_id, "2fa_code_sent")
        minutes = int(EMAIL_CODE_TTL.total_seconds() // 60)
        await self._mailer.send_mail(
            user.email,
            "Togglr: your code to turn off two-factor authentication",
            DISABLE_TEXT.format(name=user.username, code=code, minutes=minutes),
        )

    async def disable(self, principal: Principal, code: str) -> None:
        """Turn 2FA off with a TOTP code, a recovery code or an e-mailed code."""
        user_id = _self_service(principal)
        limit = self._limiter.limits.two_factor_user
        await self._limiter.check(limit, user_id)
        now = self._now()
        method: str | None = None
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            if not user.two_fa_enabled:
                raise ConflictError("two-factor authentication is not on", code="2fa_not_enabled")
            method = await self._check_code(uow, user_id, code, now, recovery=True)
            if method is None:
                method = await self._check_email_code(uow, user_id, code, now)
            if method is not None:
                await uow.two_factor.delete(user_id)
                await uow.users.update(replace(user, two_fa_enabled=False), now)
                await _security_event(
                    uow, principal, now, user_id, "2fa_disable", new={"method": method}
                )
            else:
                await _security_event(
                    uow, principal, now, user_id, "2fa_failed", new={"during": "disable"}
                )
        if method is None:
            await self._limiter.count(limit, user_id)
            raise InvalidInputError("invalid code", code="invalid_code")
        await self._limiter.clear(limit, user_id)

    async def _check_email_code(
        self, uow: Any, user_id: str, code: str, now: datetime
    ) -> str | None:
        sent = await uow.two_factor.find_email_code(user_id, DISABLE)
        if sent is None or sent.expires_at <= now or sent.attempts >= EMAIL_CODE_ATTEMPTS:
            return None
        if secrets.compare_digest(sent.code_hash, digest(f"{user_id}:{code.strip()}")):
            await uow.two_factor.delete_email_code(user_id, DISABLE)
            return "email_code"
        await uow.two_factor.count_email_code_attempt(user_id, DISABLE)
        return None

    async def reset(self, principal: Principal, user_id: str) -> None:
        """A superuser turns off another user's 2FA (lost device, no recovery codes)."""
        if not principal.is_superuser or principal.token_project_id is not None:
            raise PermissionDeniedError("only superusers reset two-factor authentication")
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.find(user_id)
            if user is None:
                raise NotFoundError("user", user_id)
            await uow.two_factor.delete(user_id)
            await uow.users.update(replace(user, two_fa_enabled=False), now)
            await _security_event(
                uow,
                principal,
                now,
                user_id,
                "2fa_reset",
                old={"enabled": user.two_fa_enabled},
                new={"enabled": False},
            )
        await self._limiter.clear(self._limiter.limits.two_factor_user, user_id)


async def _end_other_sessions(uow: Any, principal: Principal, user_id: str, now: datetime) -> None:
    """A session signed in with the password alone (perhaps by whoever made the user turn 2FA
    on) must not keep refreshing past it; the one that enabled 2FA stays."""
    for session in await uow.security.list_sessions(user_id, now):
        if session.id != principal.session_id:
            await uow.refresh_tokens.revoke_family(session.id, now)


def _as(user: User) -> Principal:
    return Principal(user.id, user.username, user.is_superuser, {}, request_id=None)


def _self_service(principal: Principal) -> str:
    return signed_in_user_id(principal, "two-factor settings")


async def _security_event(
    uow: Any,
    actor: Principal,
    now: datetime,
    user_id: str,
    action: str,
    *,
    entity: str = "two_factor",
    old: Any = None,
    new: Any = None,
) -> None:
    """One audit row about a user's own sign-in or 2FA (tied to no project)."""
    await audit(
        uow,
        actor,
        now,
        entity=entity,
        entity_id=user_id,
        action=action,
        project_id=None,
        old=old,
        new=new,
    )
