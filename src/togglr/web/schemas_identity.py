"""Request and response models of identity protection: 2FA, password reset, API tokens, sessions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from togglr.domain.identity import ApiToken, SignInSession
from togglr.web.schemas import DateTime, Request

CODE = Field(
    min_length=1,
    max_length=64,
    description="A 6-digit TOTP code, a recovery code or an e-mailed code",
)


# --- two-factor ---------------------------------------------------------------------------
class TwoFactorVerify(Request):
    session_id: str = Field(
        min_length=1, max_length=64, description="From the 2fa_required login answer"
    )
    code: str = CODE


class CodeRequest(Request):
    code: str = CODE


class TwoFactorSetupRead(BaseModel):
    secret: str = Field(description="Base32 secret, for typing into an authenticator app")
    otpauth_uri: str
    qr_png_base64: str = Field(description="The otpauth URI as a PNG QR code, base64")


class RecoveryCodesRead(BaseModel):
    recovery_codes: list[str] = Field(
        description="Shown once; each works once instead of a TOTP code"
    )


class TwoFactorStatusRead(BaseModel):
    enabled: bool
    pending: bool = Field(description="Setup started and not yet confirmed")
    confirmed_at: datetime | None
    recovery_codes_left: int


# --- password reset -----------------------------------------------------------------------
class ForgotPasswordRequest(Request):
    email: str = Field(min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")


class ResetPasswordRequest(Request):
    token: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


# --- API tokens ---------------------------------------------------------------------------
class ApiTokenCreate(Request):
    name: str = Field(min_length=1, max_length=100)
    project_id: str = Field(min_length=1, max_length=36)
    role: str = Field(min_length=1, max_length=20, description="owner, manager, member or viewer")
    expires_at: DateTime | None = Field(None, description="When it stops working; null for never")


class ApiTokenRead(BaseModel):
    id: str
    name: str
    project_id: str
    role: str
    hint: str = Field(description="The first characters of the token, to recognise it")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool

    @classmethod
    def of(cls, token: ApiToken, now: datetime) -> ApiTokenRead:
        return cls(
            id=token.id,
            name=token.name,
            project_id=token.project_id,
            role=token.role_key,
            hint=token.hint,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
            active=token.is_usable(now),
        )


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(
        description="The secret; shown only in this answer. Send as Authorization: Bearer"
    )


class ApiTokensRead(BaseModel):
    items: list[ApiTokenRead]


# --- sessions -----------------------------------------------------------------------------
class SessionRead(BaseModel):
    id: str
    started_at: datetime
    last_active_at: datetime = Field(description="Sign-in or last token refresh")
    expires_at: datetime
    user_agent: str
    ip: str

    @classmethod
    def of(cls, s: SignInSession) -> SessionRead:
        return cls(
            id=s.id,
            started_at=s.started_at,
            last_active_at=s.last_active_at,
            expires_at=s.expires_at,
            user_agent=s.user_agent,
            ip=s.ip,
        )


class SessionsRead(BaseModel):
    items: list[SessionRead]
