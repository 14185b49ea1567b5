"""The SMTP mailer against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tests.api.test_identity_support import SmtpSink, body_text, smtp_server
from tests.conftest import free_port

from togglr.services.mailer import Mailer, MailerSettings, MailUnavailableError


async def test_a_message_with_text_and_html_is_delivered() -> None:
    with smtp_server() as sink:
        mailer = Mailer(
            MailerSettings("127.0.0.1", sink.port, sender="Togglr <t@test.dev>", tls="none")
        )
        await mailer.send_mail("ann@example.com", "Hello", "plain body", html="<p>html body</p>")
        message = await sink.wait_for("ann@example.com")
    assert message["Subject"] == "Hello"
    assert message["From"] == "Togglr <t@test.dev>"
    assert body_text(message).strip() == "plain body"
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]


async def test_without_a_server_sending_is_a_clear_error() -> None:
    with pytest.raises(MailUnavailableError, match="not configured"):
        await Mailer(MailerSettings(None)).send_mail("a@b.c", "s", "t")
    unreachable = Mailer(MailerSettings("127.0.0.1", free_port(), tls="none", timeout=2))
    with pytest.raises(MailUnavailableError, match="could not be sent"):
        await unreachable.send_mail("a@b.c", "s", "t")


async def test_starttls_against_a_plain_server_fails_cleanly() -> None:
    with smtp_server() as sink:
        mailer = Mailer(MailerSettings("127.0.0.1", sink.port, tls="starttls", timeout=2))
        with pytest.raises(MailUnavailableError):
            await mailer.send_mail("a@b.c", "s", "t")


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


async def test_starttls_and_login_against_a_server_that_requires_both(tmp_path: Path) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        logins.append((data.login, data.password))
        return AuthResult(success=data.login == b"togglr" and data.password == b"s3cret")

    sink = SmtpSink(free_port())
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=sink.port,
        tls_context=_self_signed(tmp_path),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    )
    controller.start()
    try:
        settings = MailerSettings(
            "127.0.0.1",
            sink.port,
            user="togglr",
            password="s3cret",
            tls="starttls",
            verify_tls=False,
            timeout=5,
        )
        await Mailer(settings).send_mail("tls@example.com", "Over TLS", "secret body")
        assert body_text(await sink.wait_for("tls@example.com")).strip() == "secret body"
        wrong = Mailer(
            MailerSettings(
                "127.0.0.1",
                sink.port,
                user="togglr",
                password="nope",
                tls="starttls",
                verify_tls=False,
                timeout=1,  # aiosmtpd leaves a refused login hanging
            )
        )
        with pytest.raises(MailUnavailableError):
            await wrong.send_mail("tls@example.com", "s", "t")
        # an unverifiable certificate is refused unless verification is turned off
        strict = Mailer(
            MailerSettings(
                "127.0.0.1", sink.port, user="togglr", password="s3cret", tls="starttls", timeout=5
            )
        )
        with pytest.raises(MailUnavailableError):
            await strict.send_mail("tls@example.com", "s", "t")
    finally:
        controller.stop()
    assert (b"togglr", b"s3cret") in logins
