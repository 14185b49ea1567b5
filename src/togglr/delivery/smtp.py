"""SMTP e-mail for notification channels (stdlib smtplib, run in a worker thread)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from togglr.domain.notifications import DeliveryError


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    tls: str  # none | starttls | ssl
    verify_tls: bool = True
    timeout: float = 15.0


class SmtpMailer:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    async def send(self, to: list[str], subject: str, text: str) -> None:
        await asyncio.to_thread(self._send, to, subject, text)

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self._settings.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _send(self, to: list[str], subject: str, text: str) -> None:
        s = self._settings
        message = EmailMessage()
        message["From"] = s.sender
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="togglr")
        message.set_content(text)
        try:
            if s.tls == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=self._context()
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            with client:
                if s.tls == "starttls":
                    client.starttls(context=self._context())
                if s.user:
                    client.login(s.user, s.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"SMTP delivery failed: {exc.__class__.__name__}: {exc}"[:300]
            ) from exc
