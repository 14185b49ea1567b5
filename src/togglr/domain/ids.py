"""Identifier helpers. Surrogate ids are UUID4 strings; keys are human-readable slugs."""

from __future__ import annotations

import re
import secrets
import uuid

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_:@!#$.-]{2,50}$")
ENV_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def new_id() -> str:
    """A fresh surrogate id."""
    return str(uuid.uuid4())


def new_sdk_key() -> str:
    """A fresh environment SDK key: unguessable, URL-safe, recognisable by its prefix."""
    return "tgl_" + secrets.token_urlsafe(24)


def slugify(text: str) -> str:
    """Lower-case slug of a display name, for tags and categories."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:100] or "tag"
