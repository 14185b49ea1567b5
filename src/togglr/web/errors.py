"""THE table: domain errors to HTTP status, and the one JSON error shape `{"error": {code, message}}`."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from togglr.domain.changes import ApprovalRequiredError
from togglr.domain.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    TogglrError,
)
from togglr.web.schemas_governance import PendingChangeRead

log = logging.getLogger(__name__)

STATUS: dict[type[TogglrError], int] = {
    InvalidInputError: 400,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    RateLimitedError: 429,
}


def status_of(exc: TogglrError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(code: str, message: str, **extra: Any) -> bytes:
    return orjson.dumps({"error": {"code": code, "message": message, **extra}})


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    return Response(
        error_body(code, message, **extra),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _describe(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",)) or "body"
    return f"{loc}: {err.get('msg', 'invalid')}"


async def approval_required(request: Request, exc: ApprovalRequiredError) -> Response:
    """Not an error: the change was stored as a pending change. 202 with it, and where to follow it."""
    change = exc.change
    governance = request.app.state.services.extra["governance"]
    required = await governance.changes.required_approvals(change.project_id)
    body = PendingChangeRead.of(change, required).model_dump(mode="json")
    return Response(
        orjson.dumps(body),
        status_code=202,
        media_type="application/json",
        headers={"Location": f"/api/v1/pending-changes/{change.id}"},
    )


PENDING_RESPONSE: dict[int | str, dict[str, Any]] = {
    202: {"model": PendingChangeRead, "description": "Stored as a pending change (guarded feature)"}
}


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApprovalRequiredError, approval_required)  # type: ignore[arg-type]

    @app.exception_handler(TogglrError)
    async def _domain(_: Request, exc: TogglrError) -> Response:
        headers = None
        if isinstance(exc, RateLimitedError):
            headers = {"Retry-After": str(exc.retry_after)}
        extra = {
            k: v
            for k, v in exc.details.items()
            if k in ("session_id", "retry_after", "pending_change_id")
        }
        return error_response(status_of(exc), exc.code, exc.message, headers=headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        details = [_describe(e) for e in errors[:20]]
        message = details[0] if details else "invalid request"
        if any(e.get("type") == "json_invalid" for e in errors):
            message = "body: malformed JSON"
        return error_response(400, "invalid_input", message, details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        code = {
            404: "not_found",
            405: "method_not_allowed",
            401: "unauthorized",
            413: "too_large",
        }.get(exc.status_code, "error")
        return error_response(
            exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unexpected error")
        return error_response(500, "internal", "internal server error")
