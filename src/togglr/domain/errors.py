"""The small, typed error vocabulary of Togglr. The web layer maps each class to a status once."""

from __future__ import annotations

from typing import Any


class TogglrError(Exception):
    """Base of every expected failure. `code` is a stable machine-readable slug."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidInputError(TogglrError):
    """The request is well-formed JSON but breaks a domain rule (400)."""

    code = "invalid_input"


class NotFoundError(TogglrError):
    """The named entity does not exist, or the caller may not know it exists (404)."""

    code = "not_found"

    def __init__(self, entity: str, ident: object = None) -> None:
        text = f"{entity} not found" if ident is None else f"{entity} {ident!s} not found"
        super().__init__(text, entity=entity)


class ConflictError(TogglrError):
    """The change collides with existing state: a duplicate key, a lock (409)."""

    code = "conflict"


class AuthenticationError(TogglrError):
    """Missing, invalid or expired credentials (401)."""

    code = "unauthorized"


class PermissionDeniedError(TogglrError):
    """Authenticated, but the role does not grant the permission (403)."""

    code = "forbidden"


class RateLimitedError(TogglrError):
    """Too many attempts; retry after `retry_after` seconds (429)."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after
