"""Users whose identity lives elsewhere (an LDAP directory, a SAML identity provider).

One rule set for both: find the user through their identity link, adopt or create an account on
first sight, keep the e-mail fresh, and never let an outside identity take over a local account
unless an administrator allowed it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from togglr.domain.accounts import Principal, User
from togglr.domain.errors import ConflictError, PermissionDeniedError
from togglr.domain.ids import new_id
from togglr.services.common import audit

CREATED, UPDATED, UNCHANGED, REACTIVATED = "created", "updated", "unchanged", "reactivated"


@dataclass(frozen=True, slots=True)
class ExternalProfile:
    """What the directory or IdP says about a person."""

    provider: str  # "ldap" or "saml:<name>"
    subject: str  # stable id there: the directory username, or the SAML NameID
    username: str
    email: str


@dataclass(frozen=True, slots=True)
class Adoption:
    """How an unlinked profile may claim an existing account on first sight."""

    by_username: bool = False  # an external (directory or SSO) account with the same username
    by_email: bool = False  # any account with the same e-mail, local ones too (opt-in)
    rename_on_clash: bool = False  # pick a free username instead of refusing
    create: bool = True  # False: only accounts that already exist (or are linked) may sign in


def actor_for(provider: str) -> Principal:
    """The system principal that signs audit entries of automatic account changes."""
    return Principal(None, provider, True, {}, actor="system")


async def provision(
    uow: Any, profile: ExternalProfile, now: datetime, *, adoption: Adoption, actor: Principal
) -> tuple[User, str]:
    """The Togglr user for this profile, created or refreshed. Raises ConflictError on a clash."""
    link = await uow.external_identities.find(profile.provider, profile.subject)
    if link is not None:
        user = await uow.users.get(link["user_id"])
        return await _refresh(uow, user, profile, now, bool(link["deactivated_by_sync"]), actor)
    user = await _adoptable(uow, profile, adoption)
    if user is not None:
        await uow.external_identities.link(profile.provider, profile.subject, user.id, now)
        refreshed, outcome = await _refresh(uow, user, profile, now, False, actor)
        return refreshed, (UPDATED if outcome == UNCHANGED else outcome)
    if not adoption.create:
        raise PermissionDeniedError(
            "no Togglr account belongs to this identity; ask an administrator", code="no_account"
        )
    return await _create(uow, profile, now, adoption, actor), CREATED


async def deactivate(
    uow: Any, provider: str, subject: str, user: User, now: datetime, actor: Principal
) -> None:
    """Turn off an account whose identity disappeared, and end its sessions."""
    await uow.users.update(replace(user, is_active=False), now)
    await uow.refresh_tokens.revoke_user(user.id, now)
    await uow.external_identities.mark(provider, subject, now=now, deactivated_by_sync=True)
    await audit(
        uow,
        actor,
        now,
        entity="user",
        entity_id=user.id,
        action="deactivate",
        project_id=None,
        old={"is_active": True},
        new={"is_active": False, "source": provider, "reason": "left the directory"},
    )


async def _adoptable(uow: Any, profile: ExternalProfile, adoption: Adoption) -> User | None:
    user: User | None
    if adoption.by_username:
        user = await uow.users.find_by_login(profile.username)
        if user is not None and user.username == profile.username:
            if not user.is_external:
                raise ConflictError(
                    f"a local account named {profile.username!r} already exists",
                    code="account_conflict",
                )
            if not await _linked_elsewhere(uow, user, profile.provider):
                return user
    if adoption.by_email:
        user = await uow.users.find_by_login(profile.email)
        if user is not None and user.email == profile.email:
            return user if not await _linked_elsewhere(uow, user, profile.provider) else None
    return None


async def _linked_elsewhere(uow: Any, user: User, provider: str) -> bool:
    """True when the user already has another identity at this very provider."""
    return any(
        link["provider"] == provider
        for link in await uow.external_identities.list_for_user(user.id)
    )


async def _email_taken(uow: Any, email: str, user_id: str | None) -> bool:
    other = await uow.users.find_by_login(email)
    return other is not None and other.email == email and other.id != user_id


async def _refresh(
    uow: Any,
    user: User,
    profile: ExternalProfile,
    now: datetime,
    deactivated_by_sync: bool,
    actor: Principal,
) -> tuple[User, str]:
    new = user
    if profile.email != user.email and not await _email_taken(uow, profile.email, user.id):
        new = replace(new, email=profile.email)
    outcome = UPDATED if new != user else UNCHANGED
    if not user.is_active and deactivated_by_sync:
        # Back in the directory after a sync turned the account off: turn it on again. An
        # administrator's own deactivation (deactivated_by_sync is false) stays in force.
        new, outcome = replace(new, is_active=True), REACTIVATED
    await uow.external_identities.mark(
        profile.provider, profile.subject, now=now, deactivated_by_sync=False
    )
    if outcome != UNCHANGED:
        await uow.users.update(new, now)
        await audit(
            uow,
            actor,
            now,
            entity="user",
            entity_id=user.id,
            action="reactivate" if outcome == REACTIVATED else "update",
            project_id=None,
            old={"email": user.email, "is_active": user.is_active},
            new={"email": new.email, "is_active": new.is_active, "source": profile.provider},
        )
    return new, outcome


async def _create(
    uow: Any, profile: ExternalProfile, now: datetime, adoption: Adoption, actor: Principal
) -> User:
    if await _email_taken(uow, profile.email, None):
        raise ConflictError(
            f"another account already uses the e-mail {profile.email!r}", code="account_conflict"
        )
    username = profile.username
    taken = await uow.users.find_by_login(username)
    if taken is not None and taken.username == username:
        if not adoption.rename_on_clash:
            raise ConflictError(
                f"the username {username!r} is already taken", code="account_conflict"
            )
        username = f"{username[:240]}-{secrets.token_hex(3)}"
    user = User(
        id=new_id(),
        username=username,
        email=profile.email,
        is_superuser=False,
        is_active=True,
        is_tmp_password=False,
        is_external=True,
        created_at=now,
        password_hash="",  # no local password: the directory or IdP checks who this is
    )
    await uow.users.add(user)
    await uow.external_identities.link(profile.provider, profile.subject, user.id, now)
    await audit(
        uow,
        actor,
        now,
        entity="user",
        entity_id=user.id,
        action="create",
        project_id=None,
        new={"username": user.username, "email": user.email, "source": profile.provider},
    )
    return user
