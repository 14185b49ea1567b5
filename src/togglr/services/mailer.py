"""Sending e-mail over SMTP. One call: `await mailer.send_mail(to, subject, text, html=None)`."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

from togglr.domain.errors import ConflictError

log = logging.getLogger(__name__)


class MailUnavailableError(ConflictError):
    """No SMTP server is configured, or it refused the message."""

    code = "mail_unavailable"


@dataclass(frozen=True, slots=True)
class MailerSettings:
    host: str | None
    port: int = 587
    user: str | None = None
    password: str | None = None
    sender: str = "Togglr <togglr@localhost>"
    tls: Literal["none", "starttls", "ssl"] = "starttls"
    verify_tls: bool = True
    timeout: float = 20.0


class Mailer:
    """SMTP client. The standard library's smtplib runs in a worker thread to keep the loop free."""

    def __init__(self, settings: MailerSettings) -> None:
        self._settings = settings

    @property
    def is_configured(self) -> bool:
        return bool(self._settings.host)

    async def send_mail(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        """Send one message; MailUnavailableError when there is no server or delivery fails."""
        if not self.is_configured:
            raise MailUnavailableError(
                "e-mail is not configured on this server (TOGGLR_MAILER_HOST)"
            )
        message = self._compose(to, subject, text, html)
        try:
            await asyncio.to_thread(self._deliver, message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("could not send e-mail %r to %s: %s", subject, to, exc)
            raise MailUnavailableError("the e-mail could not be sent; try again later") from exc

    def _compose(self, to: str, subject: str, text: str, html: str | None) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="togglr")
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        return message

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self._settings.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _deliver(self, message: EmailMessage) -> None:
        s = self._settings
        assert s.host is not None
        smtp: smtplib.SMTP
        if s.tls == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        with smtp:
            if s.tls == "starttls":
                smtp.starttls(context=self._tls_context())
            if s.user:
                smtp.login(s.user, s.password or "")
            smtp.send_message(message)
