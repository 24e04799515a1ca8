"""The notify use cases against in-memory ports: no broker, no database, no webhook, no SMTP."""

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from xueji_contracts import cases as ev
from xueji_contracts.enums import Action, ArbitrationStatus, ProblemType, Role, RuleSet
from xueji_contracts.topics import CaseMessage, case_topic

from services.common.auth import Principal
from services.common.errors import NotFound
from services.notify.settings import NotifySettings
from services.notify.usecases import (
    CaseDelivery,
    mark_read,
    notify_case_event,
    notify_case_events,
    read_inbox,
    send_digests,
)

from ..workflow.factories import REF, brief, case_members, mention
from .fakes import NOW, FakeMailer, fake_parts

A, B = brief(1, "110105"), brief(2, "440103")


def caller(role: Role, organisation: str) -> Principal:
    return Principal(subject=f"{role.value}@{organisation}", role=role, organisation_code=organisation)


REGISTRAR_A = caller(Role.SCHOOL_REGISTRAR, A.school_code)


def opened() -> ev.GroupOpened:
    return ev.GroupOpened(producer="workflow", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID,
                          province_codes=("110000", "440000"), rule_set=RuleSet.R2017,
                          members=case_members(A, B), arbitration_status=ArbitrationStatus.NOT_NEEDED)


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int


def arrived(event: CaseMessage, province: str = "110000") -> CaseDelivery:
    record = Record(case_topic(province), partition=3, offset=41)
    return CaseDelivery(event, event.model_dump_json().encode(), province, record)


async def test_an_opened_group_reaches_the_inbox_of_each_school_once() -> None:
    parts, store, _, _ = fake_parts()
    event = arrived(opened())
    for _ in range(2):  # a redelivery writes nothing twice
        await notify_case_event(parts, event)
    assert set(store.groups[str(event.event.group_id)]) == {REF(A.registry_number), REF(B.registry_number)}
    entries = store.entries_of(A.school_code)
    assert [(d["event_type"], d["at"]) for d in entries] == [("case.group_opened", NOW)]
    assert len(store.entries_of(B.school_code)) == 1 and len(store.inbox) == 2


async def test_a_case_event_queues_one_delivery_job_with_its_exact_bytes_and_wakes_the_sender() -> None:
    parts, _, jobs, woken = fake_parts()
    event = arrived(opened())
    for _ in range(2):  # redelivered: still one job
        await notify_case_event(parts, event)
    [job] = jobs.queued.values()
    assert (job["endpoint"], job["event_id"]) == ("110000", str(event.event.event_id))
    assert job["body"] == event.body
    assert (job["partition"], job["offset"], job["group_id"]) == (3, 41, str(event.event.group_id))
    assert woken == ["110000", "110000"]


async def test_a_province_without_a_webhook_gets_no_job() -> None:
    parts, _, jobs, woken = fake_parts()
    await notify_case_event(parts, arrived(opened(), province="440000"))
    assert jobs.queued == {} and woken == []


async def test_one_case_event_learns_members_then_fills_inboxes_then_queues_the_webhook() -> None:
    parts, store, jobs, _ = fake_parts()
    await notify_case_event(parts, arrived(opened()))
    assert len(store.inbox) == 2 and len(jobs.queued) == 1


async def test_an_organisation_reads_and_marks_only_its_own_inbox() -> None:
    parts, store, _, _ = fake_parts()
    first, second = arrived(opened()), arrived(opened())
    for event in (first, second):
        await notify_case_event(parts, event)
    has_more, page = await read_inbox(store, REGISTRAR_A, False, 1, 1)
    assert has_more and page[0]["event_id"] == str(second.event.event_id)  # newest first
    await mark_read(store, REGISTRAR_A, page[0]["_id"])
    assert [d["_id"] for d in (await read_inbox(store, REGISTRAR_A, True, 1, 50))[1]] == [
        f"{first.event.event_id}:{A.school_code}:school_registrar"]
    with pytest.raises(NotFound):
        await mark_read(store, caller(Role.SCHOOL_REGISTRAR, B.school_code), page[0]["_id"])


def pending_arbitration(group: ev.GroupOpened, arbiter: str) -> CaseDelivery:
    return arrived(ev.ArbitrationStateChanged(
        producer="workflow", group_id=group.group_id, problem_type=group.problem_type,
        province_codes=group.province_codes, status=ArbitrationStatus.PENDING, arbiter_code=arbiter))


async def test_a_province_subscriber_neither_reads_nor_marks_the_arbiters_entries_of_its_code() -> None:
    parts, store, _, _ = fake_parts()
    group = opened()
    await notify_case_event(parts, arrived(group))
    await notify_case_event(parts, pending_arbitration(group, "110000"))
    arbiter, subscriber = caller(Role.ARBITER, "110000"), caller(Role.PROVINCE_SUBSCRIBER, "110000")
    [entry] = (await read_inbox(store, arbiter, True, 1, 50))[1]
    assert entry["event_type"] == "case.arbitration_state_changed" and "arbitrate the group" in entry["what"]
    assert await read_inbox(store, subscriber, False, 1, 50) == (False, [])  # empty, not an error
    with pytest.raises(NotFound):
        await mark_read(store, subscriber, entry["_id"])
    assert store.inbox[entry["_id"]]["read"] is False  # the refusal changed nothing
    for role in (Role.OPERATOR, Role.BUREAU_REGISTRAR):
        assert await read_inbox(store, caller(role, "110000"), False, 1, 50) == (False, [])


def deletion_of(group: ev.GroupOpened) -> ev.ActionSubmitted:
    """School A's registrar asks to delete its member: the leader must confirm."""
    return ev.ActionSubmitted(
        producer="workflow", group_id=group.group_id, problem_type=group.problem_type,
        province_codes=group.province_codes, **mention(A), action=Action.DELETE,
        actor=ev.Actor(role=Role.SCHOOL_REGISTRAR, organisation_code=A.school_code),
        needs_leader_confirmation=True)


async def test_a_school_leader_and_its_registrar_each_see_only_their_own() -> None:
    parts, store, _, _ = fake_parts()
    group = opened()
    await notify_case_event(parts, arrived(group))
    await notify_case_event(parts, arrived(deletion_of(group)))
    leader = caller(Role.SCHOOL_LEADER, A.school_code)
    [to_confirm] = (await read_inbox(store, leader, False, 1, 50))[1]
    [to_handle] = (await read_inbox(store, REGISTRAR_A, False, 1, 50))[1]
    assert "confirm the deletion" in to_confirm["what"] and to_handle["event_type"] == "case.group_opened"
    with pytest.raises(NotFound):
        await mark_read(store, REGISTRAR_A, to_confirm["_id"])
    with pytest.raises(NotFound):
        await mark_read(store, leader, to_handle["_id"])
    await mark_read(store, leader, to_confirm["_id"])
    assert [d["read"] for d in store.inbox.values()] == [False, False, True]


async def test_one_event_reaches_two_roles_of_one_school_as_two_entries() -> None:
    parts, store, _, _ = fake_parts()
    group = opened()
    await notify_case_event(parts, arrived(group))
    cancelled = ev.RequestEnded(
        producer="workflow", group_id=group.group_id, problem_type=group.problem_type,
        province_codes=group.province_codes, **mention(A), action=Action.DELETE,
        ended="cancelled", was_awaiting="leader")
    for _ in range(2):  # redelivered: still one entry each
        await notify_case_event(parts, arrived(cancelled))
    ended = [d for d in store.inbox.values() if d["event_type"] == "case.request_ended"]
    assert sorted(d["role"] for d in ended) == ["school_leader", "school_registrar"]
    assert {d["organisation_code"] for d in ended} == {A.school_code}


async def test_an_entry_written_before_roles_is_shown_to_nobody() -> None:
    _, store, _, _ = fake_parts()
    store.inbox["e0:" + A.school_code] = {"_id": "e0:" + A.school_code, "organisation_code": A.school_code,
                                         "what": "x", "event_type": "case.group_opened", "group_id": None,
                                         "event_id": "e0", "at": NOW, "read": False}
    for role in Role:
        assert await read_inbox(store, caller(role, A.school_code), False, 1, 50) == (False, [])
    with pytest.raises(NotFound):
        await mark_read(store, REGISTRAR_A, "e0:" + A.school_code)


async def test_one_digest_per_organisation_and_local_day_and_none_before_its_local_time() -> None:
    parts, store, _, _ = fake_parts()
    mailer = FakeMailer()
    settings = NotifySettings(ENVIRONMENT="test",  # due from 07:30 in Asia/Shanghai (UTC+8)
                              DIGEST_EMAILS={A.school_code: "a@example.cn", "110108": "quiet@example.cn"})
    await notify_case_event(parts, arrived(opened()))
    early = datetime(2026, 11, 22, 23, 29, tzinfo=UTC)  # 07:29 on the 23rd in Beijing
    assert await send_digests(settings, store, mailer, early) == 0
    assert not store.digests  # nothing claimed before the local time
    mailer.down = True
    assert await send_digests(settings, store, mailer, NOW) == 0  # the claim is given back
    assert store.digests == {"110108:2026-11-23"}  # nothing pending there: claimed, kept, no mail
    mailer.down = False
    assert await send_digests(settings, store, mailer, NOW) == 1
    assert await send_digests(settings, store, mailer, NOW) == 0
    [(to, subject, body)] = mailer.mails
    assert to == "a@example.cn"
    assert subject == f"学籍问题处理每日提醒 2026-11-23：{A.school_code} 有 1 项待办"
    assert "学校学籍管理员 (school_registrar)：1 项\n  请处理问题学籍：1 项\n" in body
    assert "(handle" not in body


async def test_a_digest_lists_what_waits_for_each_role_of_the_organisation() -> None:
    parts, store, _, _ = fake_parts()
    settings = NotifySettings(ENVIRONMENT="test", DIGEST_EMAILS={A.school_code: "a@example.cn"})
    group = opened()
    await notify_case_event(parts, arrived(group))
    await notify_case_event(parts, arrived(deletion_of(group)))
    mailer = FakeMailer()
    assert await send_digests(settings, store, mailer, NOW) == 1  # one mail for the organisation
    [(_, subject, body)] = mailer.mails
    assert subject.endswith("有 2 项待办")
    registrar = body.index("学校学籍管理员 (school_registrar)：1 项")
    leader = body.index("学校学籍主管领导 (school_leader)：1 项")
    assert registrar < body.index("请处理问题学籍：1 项") < leader < body.index("请确认删除申请：1 项")


async def test_a_batch_of_events_writes_what_they_write_one_after_another() -> None:
    group = opened()
    grown = ev.MembersChanged(producer="workflow", group_id=group.group_id, problem_type=group.problem_type,
                              province_codes=group.province_codes,
                              members=case_members(A, B, brief(3, "110108")))
    events = [arrived(group), arrived(grown), arrived(deletion_of(group))]
    one_by_one, one_store, one_jobs, _ = fake_parts()
    for event in events:
        await notify_case_event(one_by_one, event)
    together, store, jobs, woken = fake_parts()
    await notify_case_events(together, events)
    assert store.inbox == one_store.inbox and len(store.inbox) == 3
    assert store.groups == one_store.groups and len(store.groups[str(group.group_id)]) == 3
    assert jobs.queued == one_jobs.queued and len(jobs.queued) == 3
    assert woken == ["110000"]  # its sender, once for the batch
