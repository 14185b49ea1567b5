"""The LDAP configuration value: what an administrator sets, validated in one place."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

from ldap3.core.exceptions import LDAPInvalidDnError, LDAPInvalidFilterError
from ldap3.operation.search import parse_filter
from ldap3.utils.dn import parse_dn

from togglr.domain.errors import InvalidInputError

MIN_SYNC_INTERVAL = 5  # seconds; 0 turns the periodic sync off
MAX_SYNC_INTERVAL = 30 * 24 * 3600
_ATTRIBUTE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")


@dataclass(frozen=True, slots=True)
class LdapConfig:
    """Connection and mapping settings. The bind password is kept apart (encrypted at rest)."""

    enabled: bool = False
    url: str = ""
    bind_dn: str = ""
    user_base_dn: str = ""
    user_filter: str = "(objectClass=inetOrgPerson)"
    username_attribute: str = "uid"
    email_attribute: str = "mail"
    start_tls: bool = False
    tls_verify: bool = True
    tls_ca_cert: str = ""  # PEM; empty means the system trust store
    timeout_seconds: int = 10
    sync_interval_seconds: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LdapConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def merged(self, changes: dict[str, Any]) -> LdapConfig:
        """This config with the given fields replaced (unknown keys are ignored)."""
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in changes.items() if k in known})

    @property
    def is_complete(self) -> bool:
        return bool(self.url and self.user_base_dn)

    def validate(self) -> None:
        """Raise InvalidInputError naming the first bad field."""
        if self.url:
            _check_url(self.url, self.start_tls)
        elif self.enabled:
            raise InvalidInputError("url: required when LDAP is enabled")
        for name in ("bind_dn", "user_base_dn"):
            _check_dn(name, getattr(self, name))
        if self.enabled and not self.user_base_dn:
            raise InvalidInputError("user_base_dn: required when LDAP is enabled")
        _check_filter(self.user_filter)
        for name in ("username_attribute", "email_attribute"):
            if not _ATTRIBUTE.match(getattr(self, name)):
                raise InvalidInputError(f"{name}: not an LDAP attribute name")
        if self.tls_ca_cert and "-----BEGIN CERTIFICATE-----" not in self.tls_ca_cert:
            raise InvalidInputError("tls_ca_cert: expected a PEM certificate")
        if not 1 <= self.timeout_seconds <= 120:
            raise InvalidInputError("timeout_seconds: must be between 1 and 120")
        interval = self.sync_interval_seconds
        if interval != 0 and not MIN_SYNC_INTERVAL <= interval <= MAX_SYNC_INTERVAL:
            raise InvalidInputError(
                f"sync_interval_seconds: 0 (off) or between {MIN_SYNC_INTERVAL} and {MAX_SYNC_INTERVAL}"
            )


def _check_url(url: str, start_tls: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
        raise InvalidInputError("url: expected ldap://host[:port] or ldaps://host[:port]")
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise InvalidInputError("url: invalid port") from None
    if parts.path not in ("", "/") or parts.query:
        raise InvalidInputError("url: give only the scheme, host and port")
    if parts.scheme == "ldaps" and start_tls:
        raise InvalidInputError(
            "start_tls: not used with ldaps:// (the connection is already encrypted)"
        )


def _check_dn(name: str, value: str) -> None:
    if not value:
        return
    try:
        parse_dn(value)
    except LDAPInvalidDnError as exc:
        raise InvalidInputError(f"{name}: not a valid DN ({exc})") from None


def _check_filter(value: str) -> None:
    try:
        parse_filter(
            value, None, auto_escape=True, auto_encode=True, validator=None, check_names=False
        )
    except LDAPInvalidFilterError:
        raise InvalidInputError(
            "user_filter: not a valid LDAP filter, e.g. (objectClass=person)"
        ) from None
