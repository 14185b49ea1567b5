"""Wires directory sign-in (LDAP, SAML single sign-on) into a runtime built by bootstrap."""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from togglr.config import Settings
from togglr.services.common import utc_now
from togglr.services.ldap import LdapService, SecretBox
from togglr.services.sso import SpSettings, SsoService
from togglr.web.admin import ldap as ldap_web
from togglr.web.admin import sso as sso_web

if TYPE_CHECKING:
    from togglr.bootstrap import Runtime


def install(runtime: Runtime) -> None:
    """Register LDAP (authenticator, periodic sync) and SAML SSO, with their routes."""
    services = runtime.services
    settings = runtime.settings

    def spawn(coro: Coroutine[Any, Any, None]) -> None:
        # Kept in runtime.tasks so shutdown cancels a running sync before the database closes.
        runtime.tasks.append(asyncio.create_task(coro))

    box = SecretBox(settings.resolved_secret_key(), "ldap-bind-password")
    ldap = LdapService(services.storage, utc_now, box, spawn=spawn)
    services.extra["ldap"] = ldap
    services.accounts.password_authenticators.append(ldap.authenticate)

    def keypair() -> tuple[str, str]:
        cert_file, key_file = sp_keypair(settings)
        return str(cert_file), str(key_file)

    services.extra["sso"] = SsoService(
        services.storage,
        utc_now,
        services.accounts,
        SpSettings(settings.saml_sp_base_url, settings.saml_sp_entity_id),
        keypair,
        configured=settings.saml_providers,
        frontend_url=settings.frontend_url,
    )
    services.extra.setdefault("routers", []).extend([ldap_web.router, sso_web.router])

    async def start_periodic_sync() -> None:
        runtime.tasks.append(asyncio.create_task(ldap.run_periodically()))

    runtime.on_startup.append(start_periodic_sync)


def sp_keypair(settings: Settings) -> tuple[Path, Path]:
    """The SAML SP certificate and key: the configured files, or a pair generated once into data_dir."""
    if settings.saml_sp_cert_file and settings.saml_sp_key_file:
        return settings.saml_sp_cert_file, settings.saml_sp_key_file
    if settings.saml_sp_cert_file or settings.saml_sp_key_file:
        raise ValueError(
            "set both TOGGLR_SAML_SP_CERT_FILE and TOGGLR_SAML_SP_KEY_FILE, or neither"
        )
    cert_file, key_file = settings.data_dir / "saml-sp.crt", settings.data_dir / "saml-sp.key"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Two first sign-ins at once (threads or worker processes) must not write a cert and a key
    # that do not match; flock holds across both.
    with (settings.data_dir / "saml-sp.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (cert_file.exists() and key_file.exists()):
            _generate_keypair(cert_file, key_file)
    return cert_file, key_file


def _generate_keypair(cert_file: Path, key_file: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "togglr-saml-sp")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(
            now + timedelta(days=3650)
        )  # IdPs pin SP certs; rotating them is a manual step
        .sign(key, hashes.SHA256())
    )
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
