"""Sending the daily digests over SMTP, once per organisation and day whichever replica runs."""

import logging
from datetime import datetime
from email.message import EmailMessage

import aiosmtplib
from pymongo.errors import DuplicateKeyError

from ..domain.digest import Pending, compose_digest
from ..settings import NotifySettings
from .store import NotifyStore

log = logging.getLogger(__name__)


async def send_digests(settings: NotifySettings, store: NotifyStore, now: datetime) -> int:
    """Send today's digest to every opted-in organisation with unread items; return how many went."""
    if now.hour < settings.DIGEST_HOUR_UTC:
        return 0
    sent = 0
    for organisation, address in settings.DIGEST_EMAILS.items():
        claim = {"_id": f"{organisation}:{now.date().isoformat()}", "at": now}
        try:
            await store.digests.insert_one(claim)  # the claim: one digest per organisation and day
        except DuplicateKeyError:
            continue
        _, unread = await store.list_inbox(organisation, True, 0, 1000)
        if not unread:
            continue
        pending = [Pending(d["what"], d.get("group_id")) for d in unread]
        subject, body = compose_digest(organisation, now.date(), pending)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = settings.DIGEST_FROM, address, subject
        message.set_content(body)
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
        except (aiosmtplib.SMTPException, OSError):
            await store.digests.delete_one({"_id": claim["_id"]})  # try again at the next run
            log.warning("digest not sent", extra={"organisation": organisation})
            continue
        sent += 1
    return sent
