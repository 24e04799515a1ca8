"""The daily digest over SMTP: one mail per organisation and day, not one per event."""

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pymongo import AsyncMongoClient
from xueji_contracts.enums import Role

from services.notify.adapters.store import NotifyStore
from services.notify.domain.recipients import Recipient
from services.notify.main import send_digests
from services.notify.settings import NotifySettings

pytestmark = pytest.mark.integration


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


async def test_one_digest_per_organisation_and_day_with_its_pending_items(
    mongo: AsyncMongoClient[dict[str, Any]], unique: str, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    settings = NotifySettings(
        MONGO_DATABASE=f"dg_{unique}",
        SMTP_PORT=port,
        DIGEST_HOUR_UTC=0,
        DIGEST_EMAILS={"110105": "bureau@example.cn", "110108": "quiet@example.cn"},
    )
    store = NotifyStore(mongo[settings.MONGO_DATABASE])
    review = [Recipient("110105", Role.BUREAU_REGISTRAR, "review the attest request")]
    for n in range(3):
        event = {"event_id": f"e{n}", "event_type": "case.action_submitted", "group_id": f"g{n}"}
        await store.deliver_to_inbox(event, review)
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert await send_digests(settings, store, now) == 1  # 110108 has nothing pending: no mail
    assert await send_digests(settings, store, now) == 0  # the same day again: nothing
    [mail] = box.messages
    assert mail["To"] == "bureau@example.cn" and "3 pending" in mail["Subject"]
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes) and b"3 \xc3\x97 review the attest request" in body
    assert "主管教育局 (bureau_registrar):".encode() in body
    await mongo.drop_database(settings.MONGO_DATABASE)
