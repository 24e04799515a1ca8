"""The daily digest over SMTP: one mail per organisation and day, not one per event."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from xueji_contracts.enums import Role

from services.notify.adapters.store import NotifyStore
from services.notify.domain.recipients import Recipient
from services.notify.main import send_digests
from services.notify.settings import NotifySettings

from ...mailbox import Mailbox, smtp_server

pytestmark = pytest.mark.integration


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


async def test_one_digest_per_organisation_and_day_with_its_pending_items(
    mongo: AsyncMongoClient[dict[str, Any]], unique: str, mailbox: Mailbox
) -> None:
    settings = NotifySettings(
        MONGO_DATABASE=f"dg_{unique}",
        SMTP_PORT=mailbox.port,
        DIGEST_EMAILS={"110105": "bureau@example.cn", "110108": "quiet@example.cn"},
    )
    store = NotifyStore(mongo[settings.MONGO_DATABASE])
    review = [Recipient("110105", Role.BUREAU_REGISTRAR, "review the attest request")]
    for n in range(3):
        event = {"event_id": f"e{n}", "event_type": "case.action_submitted", "group_id": f"g{n}"}
        await store.deliver_to_inbox([(event, review)])
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Beijing: due from 07:30
    assert await send_digests(settings, store, now) == 1  # 110108 has nothing pending: no mail
    assert await send_digests(settings, store, now) == 0  # the same day again: nothing
    [mail] = mailbox.messages
    assert mail["To"] == "bureau@example.cn"
    assert mail["Subject"] == "学籍问题处理每日提醒 2026-11-23：110105 有 3 项待办"
    body = mail.get_content()
    assert "主管教育局 (bureau_registrar)：3 项\n  review the attest request：3 项\n" in body
    assert all(f"    g{n}\n" in body for n in range(3))
    await mongo.drop_database(settings.MONGO_DATABASE)
