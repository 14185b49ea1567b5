"""Identity protection: 2FA, password reset, personal API tokens, sessions and the security log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from togglr.domain.audit import AuditEntry
from togglr.services.api_tokens import ApiTokenService
from togglr.services.common import Page, utc_now
from togglr.services.password_reset import PasswordResetService
from togglr.services.security_events import SecurityEventService
from togglr.services.sessions import SessionService
from togglr.services.twofactor import TwoFactorService
from togglr.web.auth import CurrentPrincipal, Svc, client_meta
from togglr.web.schemas import AuditRead, DateTime, PageRead, TokenRead
from togglr.web.schemas_identity import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    ApiTokensRead,
    CodeRequest,
    ForgotPasswordRequest,
    RecoveryCodesRead,
    ResetPasswordRequest,
    SessionRead,
    SessionsRead,
    TwoFactorSetupRead,
    TwoFactorStatusRead,
    TwoFactorVerify,
)

router = APIRouter()


def _two_factor(svc: Svc) -> TwoFactorService:
    service: TwoFactorService = svc.extra["two_factor"]
    return service


def _resets(svc: Svc) -> PasswordResetService:
    service: PasswordResetService = svc.extra["password_reset"]
    return service


def _tokens(svc: Svc) -> ApiTokenService:
    service: ApiTokenService = svc.extra["api_tokens"]
    return service


def _sessions(svc: Svc) -> SessionService:
    service: SessionService = svc.extra["sessions"]
    return service


def _security(svc: Svc) -> SecurityEventService:
    service: SecurityEventService = svc.extra["security_events"]
    return service


TwoFactor = Annotated[TwoFactorService, Depends(_two_factor)]
Resets = Annotated[PasswordResetService, Depends(_resets)]
Tokens = Annotated[ApiTokenService, Depends(_tokens)]
Sessions = Annotated[SessionService, Depends(_sessions)]
Security = Annotated[SecurityEventService, Depends(_security)]


def _no_content() -> Response:
    return Response(status_code=204)


# --- sign-in with a second factor -----------------------------------------------------------
@router.post("/auth/2fa/verify", tags=["auth"])
async def verify_two_factor(
    body: TwoFactorVerify, request: Request, two_factor: TwoFactor
) -> TokenRead:
    """Finish a login that answered 403 2fa_required, with a TOTP or recovery code."""
    ua, ip = client_meta(request)
    pair = await two_factor.verify_login(body.session_id, body.code, user_agent=ua, ip=ip)
    return TokenRead.model_validate(pair, from_attributes=True)


@router.get("/users/me/2fa", tags=["two-factor"])
async def two_factor_status(
    principal: CurrentPrincipal, two_factor: TwoFactor
) -> TwoFactorStatusRead:
    s = await two_factor.status(principal)
    return TwoFactorStatusRead(
        enabled=s.enabled,
        pending=s.pending,
        confirmed_at=s.confirmed_at,
        recovery_codes_left=s.recovery_codes_left,
    )


@router.post("/users/me/2fa/setup", tags=["two-factor"])
async def two_factor_setup(
    principal: CurrentPrincipal, two_factor: TwoFactor
) -> TwoFactorSetupRead:
    e = await two_factor.setup(principal)
    return TwoFactorSetupRead(
        secret=e.secret, otpauth_uri=e.otpauth_uri, qr_png_base64=e.qr_png_base64
    )


@router.post("/users/me/2fa/confirm", tags=["two-factor"])
async def two_factor_confirm(
    body: CodeRequest, principal: CurrentPrincipal, two_factor: TwoFactor
) -> RecoveryCodesRead:
    return RecoveryCodesRead(recovery_codes=await two_factor.confirm(principal, body.code))


@router.post("/users/me/2fa/recovery-codes", tags=["two-factor"])
async def two_factor_new_recovery_codes(
    body: CodeRequest, principal: CurrentPrincipal, two_factor: TwoFactor
) -> RecoveryCodesRead:
    return RecoveryCodesRead(
        recovery_codes=await two_factor.regenerate_recovery_codes(principal, body.code)
    )


@router.post("/users/me/2fa/send-code", status_code=204, tags=["two-factor"])
async def two_factor_send_code(principal: CurrentPrincipal, two_factor: TwoFactor) -> Response:
    await two_factor.send_code(principal)
    return _no_content()


@router.post("/users/me/2fa/disable", status_code=204, tags=["two-factor"])
async def two_factor_disable(
    body: CodeRequest, principal: CurrentPrincipal, two_factor: TwoFactor
) -> Response:
    await two_factor.disable(principal, body.code)
    return _no_content()


@router.post("/users/{user_id}/2fa/reset", status_code=204, tags=["two-factor"])
async def two_factor_reset(
    user_id: str, principal: CurrentPrincipal, two_factor: TwoFactor
) -> Response:
    await two_factor.reset(principal, user_id)
    return _no_content()


# --- forgotten password ---------------------------------------------------------------------
@router.post("/auth/forgot-password", status_code=204, tags=["auth"])
async def forgot_password(
    body: ForgotPasswordRequest, request: Request, resets: Resets
) -> Response:
    """Always 204: the answer does not tell whether the address has an account."""
    await resets.forgot(body.email, ip=client_meta(request)[1])
    return _no_content()


@router.post("/auth/reset-password", status_code=204, tags=["auth"])
async def reset_password(body: ResetPasswordRequest, request: Request, resets: Resets) -> Response:
    await resets.reset(body.token, body.new_password, ip=client_meta(request)[1])
    return _no_content()


# --- personal API tokens --------------------------------------------------------------------
@router.post("/users/me/tokens", status_code=201, tags=["api-tokens"])
async def create_token(
    body: ApiTokenCreate, request: Request, principal: CurrentPrincipal, tokens: Tokens
) -> ApiTokenCreated:
    token, secret = await tokens.create(
        principal,
        name=body.name,
        project_id=body.project_id,
        role=body.role,
        expires_at=body.expires_at,
        ip=client_meta(request)[1],
    )
    return ApiTokenCreated(**ApiTokenRead.of(token, utc_now()).model_dump(), token=secret)


@router.get("/users/me/tokens", tags=["api-tokens"])
async def list_tokens(principal: CurrentPrincipal, tokens: Tokens) -> ApiTokensRead:
    now = utc_now()
    return ApiTokensRead(items=[ApiTokenRead.of(t, now) for t in await tokens.list_mine(principal)])


@router.delete("/users/me/tokens/{token_id}", status_code=204, tags=["api-tokens"])
async def revoke_token(token_id: str, principal: CurrentPrincipal, tokens: Tokens) -> Response:
    await tokens.revoke(principal, token_id)
    return _no_content()


# --- sessions -------------------------------------------------------------------------------
@router.get("/users/me/sessions", tags=["sessions"])
async def list_sessions(principal: CurrentPrincipal, sessions: Sessions) -> SessionsRead:
    return SessionsRead(items=[SessionRead.of(s) for s in await sessions.list_mine(principal)])


@router.delete("/users/me/sessions/{session_id}", status_code=204, tags=["sessions"])
async def revoke_session(
    session_id: str, principal: CurrentPrincipal, sessions: Sessions
) -> Response:
    await sessions.revoke(principal, session_id)
    return _no_content()


@router.delete("/users/me/sessions", status_code=204, tags=["sessions"])
async def revoke_all_sessions(principal: CurrentPrincipal, sessions: Sessions) -> Response:
    await sessions.revoke_all(principal)
    return _no_content()


# --- the security log -----------------------------------------------------------------------
def _page(result: Page[AuditEntry]) -> PageRead[AuditRead]:
    return PageRead[AuditRead](
        items=[AuditRead.of(a) for a in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
    )


@router.get("/security-events", tags=["security"])
async def list_security_events(
    principal: CurrentPrincipal,
    security: Security,
    user_id: str | None = Query(None, max_length=36),
    action: str | None = Query(None, max_length=30),
    since: DateTime | None = None,
    until: DateTime | None = None,
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> PageRead[AuditRead]:
    """Sign-ins, failures, 2FA, password, token and session events of every account (superusers)."""
    result = await security.list_all(
        principal,
        user_id=user_id,
        action=action,
        since=since,
        until=until,
        page=page,
        per_page=per_page,
    )
    return _page(result)


@router.get("/users/me/security-events", tags=["security"])
async def list_my_security_events(
    principal: CurrentPrincipal,
    security: Security,
    action: str | None = Query(None, max_length=30),
    since: DateTime | None = None,
    until: DateTime | None = None,
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(50, ge=1, le=500),
) -> PageRead[AuditRead]:
    result = await security.list_mine(
        principal, action=action, since=since, until=until, page=page, per_page=per_page
    )
    return _page(result)
