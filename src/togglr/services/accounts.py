"""Users, sign-in, tokens and project memberships."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from togglr.domain.accounts import ROLES, Membership, Principal, User, signed_in_user_id
from togglr.domain.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from togglr.domain.events import MEMBERSHIP_CHANGED, DomainEvent
from togglr.domain.ids import new_id
from togglr.eventbus import EventBus
from togglr.services.common import Clock, Page, audit, offset_of, require
from togglr.services.password_policy import check_new_password, context_words

JWT_ALGORITHM = "HS256"
_hasher = PasswordHasher()


def use_fast_password_hashing() -> None:
    """Cheaper argon2 parameters, for test suites only (TOGGLR_FAST_PASSWORD_HASHING=1)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds until the access token expires (not a timestamp)
    is_tmp_password: bool


@dataclass(frozen=True, slots=True)
class AuthSettings:
    jwt_secret: str
    access_ttl: int = 900
    refresh_ttl: int = 14 * 24 * 3600
    # Seconds after a rotation in which the old refresh token still yields a pair in the same
    # session: a page reload can race a silent refresh and send the old token once more.
    reuse_grace: int = 10


def _within(used_at: datetime | None, now: datetime, seconds: int) -> bool:
    """Whether a token used at `used_at` is still inside its reuse grace window at `now`."""
    if used_at is None or seconds <= 0:
        return False
    return now - used_at <= timedelta(seconds=seconds)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A constant hash to verify against when the user does not exist, so timing does not reveal it.
_DUMMY_HASH = PasswordHasher().hash("not-a-real-password")


# Tried in order when the local password check fails (LDAP, ...): (uow, login, password) -> User | None.
PasswordAuthenticator = Callable[[Any, str, str], Awaitable[User | None]]
# Run after the password is verified and before tokens are issued; may raise (2FA required, ...).
LoginGate = Callable[[User, str, str], Awaitable[None]]


class AccountService:
    def __init__(self, storage: Any, bus: EventBus, clock: Clock, settings: AuthSettings) -> None:
        self._storage = storage
        self._bus = bus
        self._now = clock
        self._settings = settings
        self.password_authenticators: list[PasswordAuthenticator] = []
        self.login_gates: list[LoginGate] = []

    # --- tokens -------------------------------------------------------------------------
    def _encode(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._settings.jwt_secret, algorithm=JWT_ALGORITHM)

    def _decode(self, token: str, expected_type: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._settings.jwt_secret,
                algorithms=[JWT_ALGORITHM],
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError:
            raise AuthenticationError("invalid or expired token", code="invalid_token") from None
        if claims.get("type") != expected_type:
            raise AuthenticationError("invalid or expired token", code="invalid_token")
        return claims

    async def _issue(
        self, uow: Any, user: User, family_id: str, meta: tuple[str, str]
    ) -> TokenPair:
        now = self._now()
        access = self._encode(
            {
                "sub": user.id,
                "type": "access",
                "username": user.username,
                "fam": family_id,  # the session, so "end my other sessions" can keep this one
                "iat": int(now.timestamp()),
                "exp": int(now.timestamp()) + self._settings.access_ttl,
                "jti": new_id(),
            }
        )
        jti = new_id()
        expires_at = now + timedelta(seconds=self._settings.refresh_ttl)
        await uow.refresh_tokens.add(jti, user.id, family_id, now, expires_at, meta[0], meta[1])
        refresh = self._encode(
            {
                "sub": user.id,
                "type": "refresh",
                "fam": family_id,
                "jti": jti,
                "exp": int(expires_at.timestamp()),
            }
        )
        return TokenPair(access, refresh, self._settings.access_ttl, user.is_tmp_password)

    async def login(
        self, login: str, password: str, *, user_agent: str = "", ip: str = ""
    ) -> TokenPair:
        try:
            return await self._login(login.strip(), password, user_agent, ip)
        except AuthenticationError as exc:
            # The failed attempt's transaction rolled back; record the failure in its own.
            await self._audit_failed_login(login.strip(), exc, user_agent, ip)
            raise

    async def _login(self, login: str, password: str, user_agent: str, ip: str) -> TokenPair:
        async with self._storage.unit_of_work() as uow:
            known = user = await uow.users.find_by_login(login)
            ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
            if not ok:
                user = None
                for authenticate in self.password_authenticators:
                    user = await authenticate(uow, login, password)
                    if user is not None:
                        break
            if user is None:
                raise AuthenticationError(
                    "invalid username or password",
                    code="invalid_credentials",
                    user_id=known.id if known else None,
                )
            if not user.is_active:
                raise AuthenticationError(
                    "this account is deactivated", code="inactive_user", user_id=user.id
                )
            for gate in self.login_gates:
                await gate(user, user_agent, ip)
            now = self._now()
            await uow.users.update(replace(user, last_login=now), now)
            principal = Principal(user.id, user.username, user.is_superuser, {}, request_id=None)
            await audit(
                uow,
                principal,
                now,
                entity="user",
                entity_id=user.id,
                action="login",
                project_id=None,
                new={"method": "password", "ip": ip, "user_agent": user_agent},
            )
            return await self._issue(uow, user, new_id(), (user_agent, ip))

    async def _audit_failed_login(
        self, login: str, exc: AuthenticationError, user_agent: str, ip: str
    ) -> None:
        user_id = exc.details.get("user_id")
        principal = Principal(None, login[:255], False, {}, request_id=None)
        async with self._storage.unit_of_work() as uow:
            await audit(
                uow,
                principal,
                self._now(),
                entity="user",
                entity_id=(user_id or login)[:64],
                action="login_failed",
                project_id=None,
                new={"reason": exc.code, "ip": ip, "user_agent": user_agent},
            )

    async def issue_for(self, user_id: str, *, user_agent: str = "", ip: str = "") -> TokenPair:
        """Issue a fresh session for a user authenticated elsewhere (2FA, SSO)."""
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            return await self._issue(uow, user, new_id(), (user_agent, ip))

    async def refresh(self, refresh_token: str, *, user_agent: str = "", ip: str = "") -> TokenPair:
        claims = self._decode(refresh_token, "refresh")
        reused_family = None
        async with self._storage.unit_of_work() as uow:
            row = await uow.refresh_tokens.find(str(claims.get("jti")))
            now = self._now()
            if row is None or row.revoked_at is not None:
                raise AuthenticationError("invalid or expired token", code="invalid_token")
            fresh = await uow.refresh_tokens.mark_used(row.id, now)
            if fresh or _within(row.used_at, now, self._settings.reuse_grace):
                user = await uow.users.find(row.user_id)
                if user is None or not user.is_active:
                    raise AuthenticationError("invalid or expired token", code="invalid_token")
                return await self._issue(uow, user, row.family_id, (user_agent, ip))
            reused_family = row.family_id
        # A rotated token came back: someone holds a copy, so end the whole session.
        async with self._storage.unit_of_work() as uow:
            await uow.refresh_tokens.revoke_family(reused_family, self._now())
        raise AuthenticationError("refresh token was already used", code="token_reused")

    async def logout(self, refresh_token: str) -> None:
        claims = self._decode(refresh_token, "refresh")
        async with self._storage.unit_of_work() as uow:
            await uow.refresh_tokens.revoke_family(str(claims.get("fam")), self._now())

    async def authenticate(self, access_token: str, request_id: str | None = None) -> Principal:
        claims = self._decode(access_token, "access")
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.find(str(claims["sub"]))
            if user is None or not user.is_active:
                raise AuthenticationError("invalid or expired token", code="invalid_token")
            roles = await uow.memberships.roles_of(user.id)
        return Principal(
            user.id,
            user.username,
            user.is_superuser,
            roles,
            request_id=request_id,
            password_change_required=user.is_tmp_password,
            session_id=str(claims["fam"]) if claims.get("fam") else None,
        )

    # --- the current user ------------------------------------------------------------------
    async def me(self, principal: Principal) -> tuple[User, dict[str, str]]:
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(principal.user_id or "")
            roles = await uow.memberships.roles_of(user.id)
        return user, roles

    async def change_password(
        self, principal: Principal, old_password: str, new_password: str
    ) -> None:
        user_id = signed_in_user_id(principal, "passwords")
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
        if user.is_external:
            raise PermissionDeniedError("passwords of directory or SSO users are managed there")
        await check_new_password(new_password, context_words(user.username, user.email))
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            if not verify_password(user.password_hash, old_password):
                raise InvalidInputError("the current password is wrong", code="wrong_password")
            if old_password == new_password:
                raise InvalidInputError(
                    "the new password must differ from the current one", code="weak_password"
                )
            now = self._now()
            await uow.users.update(
                replace(user, password_hash=hash_password(new_password), is_tmp_password=False), now
            )
            await uow.refresh_tokens.revoke_user(
                user.id, now
            )  # a leaked password must not keep sessions alive
            await audit(
                uow,
                principal,
                now,
                entity="user",
                entity_id=user.id,
                action="change_password",
                project_id=None,
            )

    # --- user administration (superusers) ---------------------------------------------------
    async def create_user(
        self, principal: Principal, *, username: str, email: str, password: str, is_superuser: bool
    ) -> User:
        if not principal.is_superuser:
            raise PermissionDeniedError("only superusers create users")
        await check_new_password(password, context_words(username.strip(), email.strip()))
        now = self._now()
        user = User(
            id=new_id(),
            username=username.strip(),
            email=email.strip().lower(),
            is_superuser=is_superuser,
            is_active=True,
            is_tmp_password=True,
            is_external=False,
            created_at=now,
            password_hash=hash_password(password),
        )
        async with self._storage.unit_of_work() as uow:
            await uow.users.add(user)
            await audit(
                uow,
                principal,
                now,
                entity="user",
                entity_id=user.id,
                action="create",
                project_id=None,
                new={"username": user.username, "email": user.email, "is_superuser": is_superuser},
            )
        return user

    async def list_users(
        self, principal: Principal, *, search: str | None, page: int, per_page: int
    ) -> Page[User]:
        # Every account's e-mail and superuser flag: user administration, so superusers only
        # (a superuser's API token is not one). Owners add members by user id.
        if not principal.is_superuser:
            raise PermissionDeniedError("only superusers list users")
        async with self._storage.unit_of_work() as uow:
            users, total = await uow.users.list(
                search=search, offset=offset_of(page, per_page), limit=per_page
            )
        return Page(users, total, page, per_page)

    async def get_user(self, principal: Principal, user_id: str) -> User:
        if not principal.is_superuser and principal.user_id != user_id:
            raise PermissionDeniedError("only superusers read other users")
        async with self._storage.unit_of_work() as uow:
            return await uow.users.get(user_id)

    async def update_user(
        self,
        principal: Principal,
        user_id: str,
        *,
        is_active: bool | None = None,
        is_superuser: bool | None = None,
        email: str | None = None,
    ) -> User:
        if not principal.is_superuser:
            raise PermissionDeniedError("only superusers change users")
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            if user.id == principal.user_id and (is_active is False or is_superuser is False):
                raise ConflictError("you cannot deactivate or demote yourself", code="self_lockout")
            new = replace(
                user,
                is_active=user.is_active if is_active is None else is_active,
                is_superuser=user.is_superuser if is_superuser is None else is_superuser,
                email=user.email if email is None else email.strip().lower(),
            )
            now = self._now()
            await uow.users.update(new, now)
            if is_active is False:
                await uow.refresh_tokens.revoke_user(user.id, now)
            await audit(
                uow,
                principal,
                now,
                entity="user",
                entity_id=user.id,
                action="update",
                project_id=None,
                old={
                    "is_active": user.is_active,
                    "is_superuser": user.is_superuser,
                    "email": user.email,
                },
                new={
                    "is_active": new.is_active,
                    "is_superuser": new.is_superuser,
                    "email": new.email,
                },
            )
            return new

    async def delete_user(self, principal: Principal, user_id: str) -> None:
        if not principal.is_superuser:
            raise PermissionDeniedError("only superusers delete users")
        if user_id == principal.user_id:
            raise ConflictError("you cannot delete yourself", code="self_lockout")
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            await uow.users.delete(user_id)
            await audit(
                uow,
                principal,
                self._now(),
                entity="user",
                entity_id=user_id,
                action="delete",
                project_id=None,
                old={"username": user.username},
            )

    async def reset_password(self, principal: Principal, user_id: str) -> str:
        """Superuser sets a new temporary password; returned once."""
        if not principal.is_superuser:
            raise PermissionDeniedError("only superusers reset passwords")
        password = secrets.token_urlsafe(12)
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            now = self._now()
            await uow.users.update(
                replace(user, password_hash=hash_password(password), is_tmp_password=True), now
            )
            await uow.refresh_tokens.revoke_user(user_id, now)
            await audit(
                uow,
                principal,
                now,
                entity="user",
                entity_id=user_id,
                action="reset_password",
                project_id=None,
            )
        return password

    async def ensure_admin(
        self, email: str, password: str | None
    ) -> tuple[User, str | None] | None:
        """On an empty database create the first superuser. Returns (user, generated password)."""
        async with self._storage.unit_of_work() as uow:
            if await uow.users.count() > 0:
                return None
            generated = None
            if not password:
                generated = password = secrets.token_urlsafe(12)
            else:  # an operator's choice: held to the same policy as every other password
                try:
                    await check_new_password(password, context_words(email.split("@")[0], email))
                except InvalidInputError as exc:
                    raise InvalidInputError(
                        f"TOGGLR_ADMIN_PASSWORD is not acceptable: {exc.message}",
                        code="weak_password",
                    ) from None
            now = self._now()
            user = User(
                id=new_id(),
                username=email.split("@", 1)[0] or "admin",
                email=email.lower(),
                is_superuser=True,
                is_active=True,
                is_tmp_password=True,
                is_external=False,
                created_at=now,
                password_hash=hash_password(password),
            )
            await uow.users.add(user)
            principal = Principal(None, "system", True, {}, actor="system")
            await audit(
                uow,
                principal,
                now,
                entity="user",
                entity_id=user.id,
                action="bootstrap",
                project_id=None,
                new={"email": user.email},
            )
        return user, generated

    # --- memberships -------------------------------------------------------------------------
    async def list_memberships(
        self, principal: Principal, project_id: str
    ) -> list[tuple[Membership, User]]:
        """Who is in the project, for everyone in it (approvers are picked from this list);
        e-mail addresses only for those who manage memberships."""
        require(principal, project_id, "project.view")
        emails = principal.can(project_id, "membership.manage")
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            out = []
            for m in await uow.memberships.list_for_project(project_id):
                user = await uow.users.get(m.user_id)
                out.append((m, user if emails else replace(user, email="")))
            return out

    async def add_membership(
        self, principal: Principal, project_id: str, user_id: str, role_key: str
    ) -> Membership:
        require(principal, project_id, "membership.manage")
        if role_key not in ROLES:
            raise InvalidInputError(
                f"role_id: unknown role {role_key!r}; use one of {', '.join(ROLES)}"
            )
        now = self._now()
        membership = Membership(new_id(), project_id, user_id, role_key, now)
        async with self._storage.unit_of_work() as uow:
            await uow.projects.get(project_id)
            await uow.users.get(user_id)
            await uow.memberships.add(membership)
            await audit(
                uow,
                principal,
                now,
                entity="membership",
                entity_id=membership.id,
                action="create",
                project_id=project_id,
                new={"user_id": user_id, "role": role_key},
            )
        await self._bus.publish(
            DomainEvent(MEMBERSHIP_CHANGED, project_id=project_id, payload={"user_id": user_id})
        )
        return membership

    async def update_membership(
        self, principal: Principal, project_id: str, membership_id: str, role_key: str
    ) -> Membership:
        require(principal, project_id, "membership.manage")
        if role_key not in ROLES:
            raise InvalidInputError(f"role_id: unknown role {role_key!r}")
        async with self._storage.unit_of_work() as uow:
            m = await uow.memberships.get(membership_id)
            if m.project_id != project_id:
                raise NotFoundError("membership", membership_id)
            await self._keep_an_owner(uow, m, role_key)
            await uow.memberships.update_role(membership_id, role_key)
            await audit(
                uow,
                principal,
                self._now(),
                entity="membership",
                entity_id=membership_id,
                action="update",
                project_id=project_id,
                old={"role": m.role_key},
                new={"role": role_key},
            )
        await self._bus.publish(
            DomainEvent(MEMBERSHIP_CHANGED, project_id=project_id, payload={"user_id": m.user_id})
        )
        return replace(m, role_key=role_key)

    async def delete_membership(
        self, principal: Principal, project_id: str, membership_id: str
    ) -> None:
        require(principal, project_id, "membership.manage")
        async with self._storage.unit_of_work() as uow:
            m = await uow.memberships.get(membership_id)
            if m.project_id != project_id:
                raise NotFoundError("membership", membership_id)
            await self._keep_an_owner(uow, m, None)
            await uow.memberships.delete(membership_id)
            await audit(
                uow,
                principal,
                self._now(),
                entity="membership",
                entity_id=membership_id,
                action="delete",
                project_id=project_id,
                old={"user_id": m.user_id, "role": m.role_key},
            )
        await self._bus.publish(
            DomainEvent(MEMBERSHIP_CHANGED, project_id=project_id, payload={"user_id": m.user_id})
        )

    @staticmethod
    async def _keep_an_owner(uow: Any, membership: Membership, new_role: str | None) -> None:
        if membership.role_key != "owner" or new_role == "owner":
            return
        owners = [
            m
            for m in await uow.memberships.list_for_project(membership.project_id)
            if m.role_key == "owner"
        ]
        if len(owners) <= 1:
            raise ConflictError("a project keeps at least one owner", code="last_owner")
