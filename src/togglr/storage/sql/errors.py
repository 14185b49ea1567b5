"""Translate driver integrity errors into domain errors, for both dialects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from togglr.domain.errors import ConflictError, NotFoundError


@contextmanager
def translate_integrity(what: str) -> Iterator[None]:
    """Turn unique violations into ConflictError and FK violations into NotFoundError."""
    try:
        yield
    except IntegrityError as exc:
        text = str(exc.orig).lower()
        if "foreign key" in text:
            raise NotFoundError(what) from exc
        raise ConflictError(f"{what} already exists", code="already_exists") from exc
