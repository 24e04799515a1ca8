"""The daily digest: when it is due (the organisations' local day), and what it says (no one's name)."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from xueji_contracts.enums import Action, DeadlineStage, Role

from services.notify.domain import wording as say
from services.notify.domain.digest import Pending, claim_of, compose_digest, due_day
from services.notify.domain.recipients import Recipient
from services.notify.settings import NotifySettings
from services.notify.usecases import send_digests

from .fakes import NOW, FakeMailer, FakeNotifyStore

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = time(7, 30)
NAME, ID_NUMBER = "王小明", "110105201203041234"


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (datetime(2026, 12, 1, 23, 29, 59, tzinfo=UTC), None),  # 07:29:59 on the 2nd in Beijing
        (datetime(2026, 12, 1, 23, 30, tzinfo=UTC), date(2026, 12, 2)),  # 07:30 on the 2nd, the 1st in UTC
        (datetime(2026, 12, 2, 0, 0, tzinfo=UTC), date(2026, 12, 2)),  # UTC midnight: 08:00 in Beijing
        (datetime(2026, 12, 2, 15, 59, tzinfo=UTC), date(2026, 12, 2)),  # 23:59 in Beijing
        (datetime(2026, 12, 2, 16, 0, tzinfo=UTC), None),  # Beijing's midnight: the 3rd, not yet due
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2027, 1, 1)),  # a new year in Beijing first
    ],
)
def test_the_digest_is_due_from_the_local_time_of_the_local_day(now: datetime, due: date | None) -> None:
    assert due_day(now, MORNING, SHANGHAI) == due


def test_a_local_time_of_midnight_is_due_all_day_and_the_day_is_the_zones() -> None:
    midnight = time(0, 0)
    assert due_day(datetime(2026, 12, 1, 16, 0, tzinfo=UTC), midnight, SHANGHAI) == date(2026, 12, 2)
    assert due_day(datetime(2026, 12, 1, 16, 0, tzinfo=UTC), midnight, ZoneInfo("UTC")) == date(2026, 12, 1)


def test_one_claim_per_organisation_and_local_day() -> None:
    assert claim_of("110105", date(2026, 12, 2)) == "110105:2026-12-02"


def test_the_digest_counts_per_role_in_the_documents_words_and_lists_the_groups() -> None:
    pending = [
        Pending(Role.BUREAU_REGISTRAR, say.review(Action.ATTEST), "g2"),
        Pending(Role.BUREAU_REGISTRAR, say.review(Action.ATTEST), "g1"),
        Pending(Role.BUREAU_REGISTRAR, say.due(DeadlineStage.BUREAU_REVIEW, NOW), "g1"),
    ]
    subject, body = compose_digest("110105", date(2026, 12, 2), pending)
    assert subject == "学籍问题处理每日提醒 2026-12-02：110105 有 3 项待办"
    assert body.splitlines()[2:7] == [
        "主管教育局 (bureau_registrar)：3 项",
        "  请核办佐证申请：2 项",
        "  核办期限 2026-11-23：1 项",
        "  涉及问题学籍组 2 个：",
        "    g1",
    ]


def test_the_digest_leaves_out_a_reasons_free_text() -> None:
    reason = f"{NAME}（{ID_NUMBER}）的佐证材料不清晰"
    pending = [Pending(Role.SCHOOL_REGISTRAR, say.rejected(reason), "g1"),
               Pending(Role.SCHOOL_REGISTRAR, say.request_ended("declined", reason), "g1")]
    subject, body = compose_digest("1101050001", date(2026, 12, 2), pending)
    assert "您的申请未通过核办：1 项" in body and "您的删除申请被学校学籍主管领导驳回：1 项" in body
    for personal in (NAME, ID_NUMBER, "不清晰"):
        assert personal not in subject and personal not in body


async def test_the_next_digest_is_due_on_the_next_local_day_not_the_next_utc_day() -> None:
    store, mailer = FakeNotifyStore(), FakeMailer()
    settings = NotifySettings(ENVIRONMENT="test", DIGEST_EMAILS={"1101050001": "a@example.cn"})
    event = {"event_id": "e1", "event_type": "case.group_opened", "group_id": "g1"}
    await store.deliver_to_inbox([(event, [Recipient("1101050001", Role.SCHOOL_REGISTRAR, say.HANDLE)])], NOW)
    assert await send_digests(settings, store, mailer, NOW) == 1  # 17:00 on the 23rd in Beijing
    assert await send_digests(settings, store, mailer, datetime(2026, 11, 23, 23, 29, tzinfo=UTC)) == 0
    next_morning = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # the 23rd in UTC, 07:30 on the 24th in Beijing
    assert await send_digests(settings, store, mailer, next_morning) == 1
    assert store.digests == {"1101050001:2026-11-23", "1101050001:2026-11-24"}
    assert ["2026-11-23" in mailer.mails[0][1], "2026-11-24" in mailer.mails[1][1]] == [True, True]


async def test_an_organisation_with_nothing_pending_gets_no_mail_and_no_second_look_that_day() -> None:
    store, mailer = FakeNotifyStore(), FakeMailer()
    settings = NotifySettings(ENVIRONMENT="test", DIGEST_EMAILS={"110108": "quiet@example.cn"})
    assert await send_digests(settings, store, mailer, NOW) == 0
    event = {"event_id": "e1", "event_type": "case.action_submitted", "group_id": "g1"}
    review = Recipient("110108", Role.BUREAU_REGISTRAR, say.review(Action.AMEND))
    await store.deliver_to_inbox([(event, [review])], NOW)
    assert await send_digests(settings, store, mailer, NOW) == 0  # its claim of the day was kept
    assert not mailer.mails and store.digests == {"110108:2026-11-23"}
