"""The notify use cases against in-memory ports: no broker, no database, no webhook, no SMTP."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, Channel, ProblemType, RuleSet
from xueji_contracts.notifications import NotificationFailed
from xueji_contracts.topics import NOTIFICATIONS, CaseMessage, case_topic

from services.common.errors import NotFound
from services.notify.domain.delivery import Outcome
from services.notify.settings import NotifySettings
from services.notify.usecases import (
    CaseDelivery,
    deliver_to_inbox,
    deliver_webhook,
    learn_members,
    mark_read,
    notify_case_event,
    read_inbox,
    send_digests,
)

from ..workflow.factories import brief
from .fakes import HOOK, NOW, SECRET, FakeMailer, FakeSender, fake_parts

A, B = brief(1, "110105"), brief(2, "440103")


def opened() -> ev.GroupOpened:
    return ev.GroupOpened(producer="workflow", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID,
                          province_codes=("110000", "440000"), rule_set=RuleSet.R2017, members=(A, B),
                          arbitration_status=ArbitrationStatus.NOT_NEEDED)


def arrived(event: CaseMessage, province: str = "110000") -> CaseDelivery:
    record = ("record of", case_topic(province))
    return CaseDelivery(event, event.model_dump_json().encode(), province, record)


async def test_an_opened_group_reaches_the_inbox_of_each_school_once() -> None:
    parts, store, _, _ = fake_parts()
    event = arrived(opened())
    await learn_members(store, event.event)
    for _ in range(2):  # a redelivery writes nothing twice
        await deliver_to_inbox(parts, event)
    assert set(store.groups[str(event.event.group_id)]) == {A.registry_number, B.registry_number}
    entries = store.entries_of(A.school_code)
    assert [(d["event_type"], d["at"]) for d in entries] == [("case.group_opened", NOW)]
    assert len(store.entries_of(B.school_code)) == 1 and len(store.inbox) == 2


async def test_the_webhook_gets_the_signed_bytes_once() -> None:
    sender = FakeSender(Outcome(True, 2))
    parts, store, parker, publisher = fake_parts(sender)
    event = arrived(opened())
    for _ in range(2):
        await deliver_webhook(parts, event)
    assert sender.sent == [(HOOK.url, SECRET, str(event.event.event_id), event.body)]
    assert store.deliveries == {f"{HOOK.url}:{event.event.event_id}": 2}
    assert parker.parked == [] and publisher.published == []


async def test_a_province_without_a_webhook_gets_none() -> None:
    sender = FakeSender()
    parts, *_ = fake_parts(sender)
    await deliver_webhook(parts, arrived(opened(), province="440000"))
    assert sender.sent == []


async def test_a_webhook_failing_after_its_last_attempt_parks_the_event_and_says_so() -> None:
    parts, store, parker, publisher = fake_parts(FakeSender(Outcome(False, 3, "HTTP 503")))
    event = arrived(opened())
    await deliver_webhook(parts, event)
    assert parker.parked == [(event.record, "webhook 110000: HTTP 503")]
    [(failed, topic, key)] = publisher.published
    assert isinstance(failed, NotificationFailed) and (topic, key) == (NOTIFICATIONS, "110000")
    assert (failed.case_event_id, failed.channel, failed.attempts) == (
        event.event.event_id, Channel.WEBHOOK, 3)
    assert store.deliveries == {}  # a replay of the parked event tries again


async def test_one_case_event_learns_members_then_fills_inboxes_then_calls_the_webhook() -> None:
    sender = FakeSender()
    parts, store, _, _ = fake_parts(sender)
    await notify_case_event(parts, arrived(opened()))
    assert len(store.inbox) == 2 and len(sender.sent) == 1


async def test_an_organisation_reads_and_marks_only_its_own_inbox() -> None:
    parts, store, _, _ = fake_parts()
    first, second = arrived(opened()), arrived(opened())
    for event in (first, second):
        await notify_case_event(parts, event)
    has_more, page = await read_inbox(store, A.school_code, False, 1, 1)
    assert has_more and page[0]["event_id"] == str(second.event.event_id)  # newest first
    await mark_read(store, A.school_code, page[0]["_id"])
    assert [d["_id"] for d in (await read_inbox(store, A.school_code, True, 1, 50))[1]] == [
        f"{first.event.event_id}:{A.school_code}"]
    with pytest.raises(NotFound):
        await mark_read(store, B.school_code, page[0]["_id"])


async def test_one_digest_per_organisation_and_day_and_none_before_its_hour() -> None:
    parts, store, _, _ = fake_parts()
    mailer = FakeMailer()
    settings = NotifySettings(ENVIRONMENT="test", DIGEST_HOUR_UTC=8,
                              DIGEST_EMAILS={A.school_code: "a@example.cn", "110108": "quiet@example.cn"})
    await notify_case_event(parts, arrived(opened()))
    early = datetime(2026, 11, 23, 7, 59, tzinfo=UTC)
    assert await send_digests(settings, store, mailer, early) == 0
    mailer.down = True
    assert await send_digests(settings, store, mailer, NOW) == 0  # the claim is given back
    mailer.down = False
    assert await send_digests(settings, store, mailer, NOW) == 1  # 110108 has nothing pending
    assert await send_digests(settings, store, mailer, NOW) == 0
    [(to, subject, body)] = mailer.mails
    assert to == "a@example.cn" and "1 pending" in subject and "1 × handle the problem record" in body
