"""Request identity: the bearer token becomes a Principal; the request id follows it into audit."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from togglr.domain.accounts import Principal
from togglr.domain.errors import AuthenticationError, PermissionDeniedError
from togglr.services import Services

bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def request_id(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    return given[:64] if given else str(uuid.uuid4())


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Every authenticated /api/v1 route depends on this (as CurrentPrincipal), so the hold on
    accounts with a temporary password is enforced here once, for access and API tokens alike:
    no endpoint can forget it, and a new one is held by default."""
    found = await _authenticate(request, credentials)
    if found.password_change_required:
        raise PermissionDeniedError(
            "you signed in with a temporary password: change it first "
            "(POST /api/v1/users/me/change-password)",
            code="password_change_required",
        )
    return found


async def principal_on_hold(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller even while their password is temporary: only for the routes they need to
    replace it (GET /users/me and POST /users/me/change-password)."""
    return await _authenticate(request, credentials)


async def _authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise AuthenticationError("missing bearer token", code="unauthorized")
    svc = services(request)
    authenticate = svc.extra.get("authenticate_token")  # API tokens plug in here
    if authenticate is not None:
        ip = client_meta(request)[1]
        found = await authenticate(credentials.credentials, request_id(request), ip)
        if found is not None:
            return found  # type: ignore[no-any-return]
    return await svc.accounts.authenticate(credentials.credentials, request_id(request))


CurrentPrincipal = Annotated[Principal, Depends(principal)]
PrincipalOnHold = Annotated[Principal, Depends(principal_on_hold)]
Svc = Annotated[Services, Depends(services)]


def client_meta(request: Request) -> tuple[str, str]:
    return request.headers.get("user-agent", "")[
        :255
    ], request.client.host if request.client else ""
