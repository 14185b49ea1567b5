"""Identity protection: second factor, reset links, personal API tokens, sign-in sessions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

API_TOKEN_PREFIX = "tgp_"  # lets the web layer tell personal tokens from JWTs without decoding

# Role strength, to keep a token's role within its creator's own role.
ROLE_RANK: dict[str, int] = {"viewer": 0, "member": 1, "manager": 2, "owner": 3}

# Audit entities that make up the security log (account-level, no project).
SECURITY_ENTITIES: tuple[str, ...] = ("user", "two_factor", "session", "api_token", "ldap", "sso")


def role_within(role: str, ceiling: str) -> bool:
    """True when `role` grants no more than `ceiling`."""
    return ROLE_RANK[role] <= ROLE_RANK[ceiling]


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (token, code): lookups by digest keep it off disk."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: str
    user_id: str
    project_id: str
    name: str
    role_key: str
    hint: str
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, slots=True)
class TwoFactor:
    """A user's TOTP enrolment. Secrets are ciphertext; only the service can open them."""

    user_id: str
    secret: str | None
    pending_secret: str | None
    confirmed_at: datetime | None
    last_step: int  # the last accepted time step, so one code cannot be used twice


@dataclass(frozen=True, slots=True)
class TwoFactorSession:
    """A login that passed the password check and waits for its second factor."""

    id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    attempts: int
    consumed_at: datetime | None
    user_agent: str
    ip: str

    def is_open(self, now: datetime) -> bool:
        return self.consumed_at is None and self.expires_at > now


@dataclass(frozen=True, slots=True)
class EmailCode:
    user_id: str
    purpose: str
    code_hash: str
    expires_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class PasswordReset:
    id: str
    user_id: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class SignInSession:
    """One refresh-token family: a browser or client that signed in and keeps refreshing."""

    id: str
    started_at: datetime
    last_active_at: datetime
    expires_at: datetime
    user_agent: str
    ip: str
