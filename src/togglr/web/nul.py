"""NUL characters (U+0000) are refused in every request value, the same on every database.

PostgreSQL text cannot hold U+0000 and SQLite can, so the same request used to answer 400 on
one and store the value on the other. Every JSON body and query string of /api/v1
(`refuse_nul_characters`, a dependency of the whole router) and every JSON body of the SDK API
and OFREP (`togglr.web.sdk.http.parse_json`) is checked before anything else; the 400 names
the field.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from togglr.domain.errors import InvalidInputError

NUL = "\x00"
# JSON cannot carry a raw NUL byte inside a string (parsers refuse control characters), only
# this escape: a body without it needs no walk, which keeps the check off the hot path.
_ESCAPED_NUL = b"\\u0000"
MESSAGE = "NUL characters (U+0000) are not allowed"


def nul_path(value: Any, path: str = "") -> str | None:
    """Where the first string or object key holding a NUL is (`rules[0].name`), or None.

    A key with a NUL is reported at the object that holds it; the document root is `body`.
    """
    if isinstance(value, str):
        return (path or "body") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                return path or "body"
            found = nul_path(item, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def nul_in_json(raw: bytes, value: Any) -> str | None:
    """`nul_path` of a parsed JSON body, walked only when its text has the NUL escape."""
    return nul_path(value) if _ESCAPED_NUL in raw else None


def _is_json(request: Request) -> bool:
    # FastAPI reads a body without a content type as JSON too; forms are not read here
    # (reading the body would consume the stream their parser needs).
    content_type = request.headers.get("content-type", "")
    return not content_type or "json" in content_type


async def refuse_nul_characters(request: Request) -> None:
    """A router dependency: 400 naming the query parameter or body field that holds a NUL."""
    for key, value in request.query_params.multi_items():
        if NUL in key or NUL in value:
            raise InvalidInputError(f"query.{key.replace(NUL, '')}: {MESSAGE}")
    if request.method in ("GET", "HEAD", "OPTIONS") or not _is_json(request):
        return
    raw = await request.body()
    if _ESCAPED_NUL not in raw:
        return
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return  # malformed JSON: FastAPI's own answer names it
    path = nul_path(value)
    if path is not None:
        raise InvalidInputError(f"{path}: {MESSAGE}")
