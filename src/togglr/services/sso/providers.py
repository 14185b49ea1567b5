"""An SSO identity provider as an administrator describes it, validated in one place."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from togglr.domain.errors import InvalidInputError

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAPPED_FIELDS = ("username", "email")
DEFAULT_MAPPING = {"username": "uid", "email": "mail"}
_SETTINGS_KEYS = {"name", "source", "protocol"}


@dataclass(frozen=True, slots=True)
class SamlProvider:
    """A SAML 2.0 identity provider. Exactly one of the metadata fields is set."""

    name: str
    display_name: str
    enabled: bool = True
    idp_metadata_xml: str = ""
    idp_metadata_url: str = ""
    idp_entity_id: str = ""  # only needed when the metadata describes several IdPs
    attribute_mapping: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MAPPING))
    require_signed_assertion: bool = True  # False still requires a signed Response
    create_users: bool = True
    link_by_email: bool = (
        False  # let a first sign-in claim an existing account with the same e-mail
    )
    source: str = "api"  # api | settings (read-only)
    protocol: str = "saml"

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any], *, source: str) -> SamlProvider:
        known = {f.name for f in fields(cls)} - _SETTINGS_KEYS
        unknown = sorted(set(data) - known - _SETTINGS_KEYS)
        if unknown:
            raise InvalidInputError(f"{unknown[0]}: unknown provider setting")
        values = {k: v for k, v in data.items() if k in known}
        values.setdefault("display_name", name)
        provider = cls(name=name, source=source, **values)
        provider.validate()
        return provider

    def settings(self) -> dict[str, Any]:
        """What is stored: everything but the name and where it came from."""
        return {k: v for k, v in asdict(self).items() if k not in _SETTINGS_KEYS}

    def validate(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise InvalidInputError("name: lower-case letters, digits, '-' and '_' (at most 50)")
        if self.protocol != "saml":
            raise InvalidInputError("protocol: only saml is supported")
        _check_types(self)
        if not self.display_name.strip() or len(self.display_name) > 100:
            raise InvalidInputError("display_name: 1 to 100 characters")
        if bool(self.idp_metadata_xml) == bool(self.idp_metadata_url):
            raise InvalidInputError("give exactly one of idp_metadata_xml and idp_metadata_url")
        if self.idp_metadata_url:
            parts = urlsplit(self.idp_metadata_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise InvalidInputError("idp_metadata_url: expected an http(s) URL")
        if self.idp_metadata_xml and "EntityDescriptor" not in self.idp_metadata_xml:
            raise InvalidInputError("idp_metadata_xml: not SAML metadata (no EntityDescriptor)")
        for key, value in self.attribute_mapping.items():
            if key not in MAPPED_FIELDS:
                raise InvalidInputError(
                    f"attribute_mapping: unknown field {key!r}; use {', '.join(MAPPED_FIELDS)}"
                )
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise InvalidInputError(f"attribute_mapping.{key}: an attribute name is required")


def _check_types(provider: SamlProvider) -> None:
    # Settings come from an environment variable as JSON, so types are checked here, not by pydantic.
    for f in fields(provider):
        value = getattr(provider, f.name)
        expected = {"enabled", "require_signed_assertion", "create_users", "link_by_email"}
        if f.name in expected and not isinstance(value, bool):
            raise InvalidInputError(f"{f.name}: expected true or false")
        if f.name == "attribute_mapping" and not isinstance(value, dict):
            raise InvalidInputError("attribute_mapping: expected an object")
        if f.name not in expected and f.name != "attribute_mapping" and not isinstance(value, str):
            raise InvalidInputError(f"{f.name}: expected a string")
