"""Sending mail over SMTP (the daily digests)."""

import logging
from email.message import EmailMessage

import aiosmtplib

from ..settings import NotifySettings

log = logging.getLogger(__name__)


class SmtpMailer:
    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    async def send(self, to: str, subject: str, body: str) -> bool:
        """Plain UTF-8 text from ``DIGEST_FROM``; False when the server refused it or did not answer."""
        settings = self.settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = settings.DIGEST_FROM, to, subject
        message.set_content(body, cte="base64")  # Chinese text through any relay, 8BITMIME or not
        password = settings.SMTP_PASSWORD.get_secret_value() if settings.SMTP_PASSWORD else None
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.SMTP_HOST,
                port=settings.SMTP_PORT,
                username=settings.SMTP_USERNAME,
                password=password,
                start_tls=settings.SMTP_STARTTLS,
                timeout=30,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            log.warning("mail not sent", extra={"error_type": type(error).__name__})
            return False
        return True
