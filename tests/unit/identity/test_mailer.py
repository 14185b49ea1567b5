"""The SMTP mailer against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest

from tests.api.test_identity_support import body_text, smtp_server
from tests.conftest import free_port
from togglr.services.mailer import Mailer, MailerSettings, MailUnavailableError


async def test_a_message_with_text_and_html_is_delivered() -> None:
    with smtp_server() as sink:
        mailer = Mailer(MailerSettings("127.0.0.1", sink.port, sender="Togglr <t@test.dev>", tls="none"))
        await mailer.send_mail("ann@example.com", "Hello", "plain body", html="<p>html body</p>")
        message = await sink.wait_for("ann@example.com")
    assert message["Subject"] == "Hello"
    assert message["From"] == "Togglr <t@test.dev>"
    assert body_text(message).strip() == "plain body"
    assert [p.get_content_type() for p in message.walk()] == ["multipart/alternative", "text/plain", "text/html"]


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
