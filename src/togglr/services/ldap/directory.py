"""The LDAP directory seen through ldap3: connect, bind, search users, check a password.

Every method blocks on the network; the service runs them in a worker thread.
"""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from togglr.services.ldap.config import LdapConfig

PAGE_SIZE = 500
SAMPLE_SIZE = 5


class DirectoryError(Exception):
    """The directory could not be reached or refused the service account; `str()` says why."""


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    dn: str
    username: str
    email: str | None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of a connection test, step by step, for an administrator to read."""

    success: bool
    message: str
    steps: list[str] = field(default_factory=list)
    users_found: int = 0
    sample_users: list[str] = field(default_factory=list)


class LdapDirectory:
    def __init__(self, config: LdapConfig, bind_password: str) -> None:
        self._config = config
        self._bind_password = bind_password

    # --- connections ------------------------------------------------------------------------
    def _server(self) -> ldap3.Server:
        parts = urlsplit(self._config.url)
        use_ssl = parts.scheme == "ldaps"
        tls = None
        if use_ssl or self._config.start_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED if self._config.tls_verify else ssl.CERT_NONE,
                ca_certs_data=self._config.tls_ca_cert or None,
            )
        return ldap3.Server(
            parts.hostname or "",
            port=parts.port or (636 if use_ssl else 389),
            use_ssl=use_ssl,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=self._config.timeout_seconds,
        )

    def _open(
        self, user: str | None, password: str | None, steps: list[str] | None = None
    ) -> ldap3.Connection:
        """An open connection (StartTLS done if asked), not yet bound."""
        conn = ldap3.Connection(
            self._server(),
            user=user or None,
            password=password or None,
            authentication=ldap3.SIMPLE if user else ldap3.ANONYMOUS,
            receive_timeout=self._config.timeout_seconds,
            read_only=True,
            raise_exceptions=False,
        )
        try:
            conn.open()
            _note(steps, f"connected to {self._config.url}")
            if self._config.start_tls:
                if not conn.start_tls():
                    raise DirectoryError(f"StartTLS failed: {_describe(conn)}")
                _note(steps, "StartTLS negotiated")
        except LDAPException as exc:
            _close(conn)
            raise DirectoryError(_exception_text(exc)) from exc
        except DirectoryError:
            _close(conn)
            raise
        return conn

    def _service_connection(self, steps: list[str] | None = None) -> ldap3.Connection:
        conn = self._open(self._config.bind_dn, self._bind_password, steps)
        try:
            if not conn.bind():
                raise DirectoryError(
                    f"bind as {self._config.bind_dn or 'anonymous'} failed: {_describe(conn)}"
                )
        except LDAPException as exc:
            _close(conn)
            raise DirectoryError(_exception_text(exc)) from exc
        except DirectoryError:
            _close(conn)
            raise
        _note(steps, f"bound as {self._config.bind_dn or 'anonymous'}")
        return conn

    # --- use cases ------------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """Connect, bind with the service account and look for a few users."""
        steps: list[str] = []
        try:
            conn = self._service_connection(steps)
            try:
                ok = conn.search(
                    self._config.user_base_dn,
                    self._config.user_filter,
                    attributes=[self._config.username_attribute],
                    size_limit=SAMPLE_SIZE,
                )
                if not ok and conn.result.get("description") not in (
                    "success",
                    "sizeLimitExceeded",
                ):
                    raise DirectoryError(
                        f"search under {self._config.user_base_dn} failed: {_describe(conn)}"
                    )
                names = [
                    name
                    for e in conn.response or []
                    if (name := self._first(e, self._config.username_attribute))
                ]
            finally:
                _close(conn)
        except DirectoryError as exc:
            return CheckResult(False, str(exc), steps)
        steps.append(f"search found {len(names)} user(s) (at most {SAMPLE_SIZE} are read)")
        return CheckResult(True, "connection, bind and search work", steps, len(names), names)

    def search_users(self) -> list[DirectoryEntry]:
        """Every user entry under the base DN that matches the filter (paged)."""
        attributes = [self._config.username_attribute, self._config.email_attribute]
        conn = self._service_connection()
        try:
            entries = []
            for item in conn.extend.standard.paged_search(
                self._config.user_base_dn,
                self._config.user_filter,
                attributes=attributes,
                paged_size=PAGE_SIZE,
                generator=True,
            ):
                if item.get("type") == "searchResEntry":
                    entries.append(self._entry(item))
            if conn.result.get("description") not in ("success", None):
                raise DirectoryError(f"search failed: {_describe(conn)}")
            return entries
        except LDAPException as exc:
            raise DirectoryError(_exception_text(exc)) from exc
        finally:
            _close(conn)

    def authenticate(self, login: str, password: str) -> DirectoryEntry | None:
        """Find the user by username or e-mail and bind as them; None when unknown or wrong."""
        if not password:  # an empty password would be an unauthenticated bind, which "succeeds"
            return None
        value = escape_filter_chars(login)
        cfg = self._config
        query = f"(&{cfg.user_filter}(|({cfg.username_attribute}={value})({cfg.email_attribute}={value})))"
        conn = self._service_connection()
        try:
            conn.search(
                cfg.user_base_dn,
                query,
                attributes=[cfg.username_attribute, cfg.email_attribute],
                size_limit=2,
            )
            found = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
        except LDAPException as exc:
            raise DirectoryError(_exception_text(exc)) from exc
        finally:
            _close(conn)
        if len(found) != 1:  # unknown, or ambiguous: never guess whose password this is
            return None
        entry = self._entry(found[0])
        user_conn = self._open(entry.dn, password)
        try:
            bound = user_conn.bind()
        except LDAPException as exc:
            raise DirectoryError(_exception_text(exc)) from exc
        finally:
            _close(user_conn)
        return entry if bound else None

    # --- entries -------------------------------------------------------------------------------
    def _entry(self, item: dict[str, Any]) -> DirectoryEntry:
        email = self._first(item, self._config.email_attribute)
        return DirectoryEntry(
            dn=str(item.get("dn", "")),
            username=self._first(item, self._config.username_attribute) or "",
            email=email.strip().lower() if email else None,
        )

    @staticmethod
    def _first(item: dict[str, Any], attribute: str) -> str | None:
        value = (item.get("attributes") or {}).get(attribute)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None:
            return None
        text = value.decode() if isinstance(value, bytes) else str(value)
        return text.strip() or None


def _close(conn: ldap3.Connection) -> None:
    # Unbinding a connection whose TLS handshake failed raises again; the socket is gone anyway.
    with contextlib.suppress(LDAPException, OSError):
        conn.unbind()


def _note(steps: list[str] | None, text: str) -> None:
    if steps is not None:
        steps.append(text)


def _describe(conn: ldap3.Connection) -> str:
    result = conn.result or {}
    text = str(result.get("description") or "no answer")
    if result.get("message"):
        text += f" ({result['message']})"
    return text


def _exception_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
