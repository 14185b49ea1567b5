"""Personal API tokens: project-scoped, role-limited, expiring credentials for automation."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from togglr.domain.accounts import ROLES, Principal, signed_in_user_id
from togglr.domain.errors import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from togglr.domain.identity import API_TOKEN_PREFIX, ROLE_RANK, ApiToken, digest, role_within
from togglr.domain.ids import new_id
from togglr.services.common import Clock, audit
from togglr.services.ratelimit import RateLimiter

TOUCH_EVERY = timedelta(minutes=1)  # last_used_at precision: avoid a write on every request
MAX_NAME = 100


def new_token_secret() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_api_token(credential: str) -> bool:
    return credential.startswith(API_TOKEN_PREFIX)


class ApiTokenService:
    def __init__(self, storage: Any, clock: Clock, *, limiter: RateLimiter) -> None:
        self._storage = storage
        self._now = clock
        self._limiter = limiter

    async def create(
        self,
        principal: Principal,
        *,
        name: str,
        project_id: str,
        role: str,
        expires_at: datetime | None,
        ip: str = "",
    ) -> tuple[ApiToken, str]:
        """Create a token; returns it with its secret, which is never shown again."""
        user_id = _owner(principal)
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise InvalidInputError(f"name: 1 to {MAX_NAME} characters")
        if role not in ROLES:
            raise InvalidInputError(f"role: unknown role {role!r}; use one of {', '.join(ROLES)}")
        now = self._now()
        if expires_at is not None:
            expires_at = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
            if expires_at <= now:
                raise InvalidInputError("expires_at: must be in the future")
        limits = self._limiter.limits
        await self._limiter.take(limits.token_create_user, user_id)
        await self._limiter.take(limits.token_create_ip, ip)
        secret = new_token_secret()
        token = ApiToken(new_id(), user_id, project_id, name, role, secret[:10], now, expires_at)
        async with self._storage.unit_of_work() as uow:
            user = await uow.users.get(user_id)
            own = (await uow.memberships.roles_of(user_id)).get(project_id)
            if not user.is_superuser and own is None:
                raise NotFoundError("project", project_id)
            await uow.projects.get(project_id)
            if not user.is_superuser and own is not None and not role_within(role, own):
                raise PermissionDeniedError(
                    f"a token cannot have more rights than your own role ({own}) in this project",
                    code="role_too_high",
                )
            await uow.api_tokens.add(token, digest(secret))
            await audit(
                uow,
                principal,
                now,
                entity="api_token",
                entity_id=token.id,
                action="create",
                project_id=None,
                new={
                    "name": name,
                    "project_id": project_id,
                    "role": role,
                    "expires_at": expires_at.isoformat() if expires_at else None,
                    "ip": ip,
                },
            )
        return token, secret

    async def list_mine(self, principal: Principal) -> list[ApiToken]:
        user_id = _owner(principal)
        async with self._storage.unit_of_work() as uow:
            tokens: list[ApiToken] = await uow.api_tokens.list_for_user(user_id)
            return tokens

    async def revoke(self, principal: Principal, token_id: str) -> None:
        user_id = _owner(principal)
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            token = await uow.api_tokens.find(token_id)
            if token is None or token.user_id != user_id:
                raise NotFoundError("API token", token_id)
            if token.revoked_at is None:
                await uow.api_tokens.revoke(token_id, now)
                await audit(
                    uow,
                    principal,
                    now,
                    entity="api_token",
                    entity_id=token_id,
                    action="revoke",
                    project_id=None,
                    old={
                        "name": token.name,
                        "project_id": token.project_id,
                        "role": token.role_key,
                    },
                )

    async def authenticate(
        self, credential: str, request_id: str | None = None, ip: str = ""
    ) -> Principal | None:
        """The principal of a personal token, None if `credential` is not one (a JWT)."""
        if not is_api_token(credential):
            return None
        limit = self._limiter.limits.token_auth_ip
        await self._limiter.check(limit, ip)
        now = self._now()
        async with self._storage.unit_of_work() as uow:
            token = await uow.api_tokens.find_by_hash(digest(credential))
            user = await uow.users.find(token.user_id) if token else None
            role: str | None = None
            if token and user and user.is_active and token.is_usable(now):
                own = (await uow.memberships.roles_of(user.id)).get(token.project_id)
                # The token never outgrows its owner: losing a role in the project shrinks it too.
                role = token.role_key if user.is_superuser else _weaker(token.role_key, own)
                if role is not None and (
                    token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY
                ):
                    await uow.api_tokens.touch(token.id, now)
        if token is None or user is None or role is None:
            await self._limiter.count(limit, ip)
            raise AuthenticationError("invalid, expired or revoked API token", code="invalid_token")
        return Principal(
            user.id,
            user.username,
            False,
            {token.project_id: role},
            request_id=request_id,
            token_project_id=token.project_id,
            # A token's user who must replace a temporary password (after a reset by a superuser)
            # is held to it too: the account is on hold until its owner signs in and does so.
            password_change_required=user.is_tmp_password,
        )


def _weaker(role: str, other: str | None) -> str | None:
    if other is None:
        return None
    return role if ROLE_RANK[role] <= ROLE_RANK[other] else other


def _owner(principal: Principal) -> str:
    return signed_in_user_id(principal, "API tokens")
