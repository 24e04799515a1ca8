"""Who hears of each kind of case event: which organisation, in which role's inbox (DOMAIN §8)."""

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import uuid4

import pytest
from xueji_contracts import cases as ev
from xueji_contracts.enums import (
    Action,
    ArbitrationStatus,
    DeadlineStage,
    ProblemType,
    ReviewDecision,
    Role,
    RuleSet,
    SettlementOutcome,
)

from services.notify.domain import wording
from services.notify.domain.recipients import STAGE_ROLES, Members, Recipient, recipients

from ..workflow.factories import REF, brief, case_members, mention

A, B = brief(1, "110105"), brief(2, "440103")
MEMBERS: Members = {REF(m.registry_number): (m.school_code, m.district_code, m.province_code) for m in (A, B)}
COMMON: dict[str, Any] = {
    "producer": "workflow",
    "group_id": uuid4(),
    "problem_type": ProblemType.DUPLICATE_ID,
    "province_codes": ("110000", "440000"),
}
ACTOR = ev.Actor(role=Role.SCHOOL_REGISTRAR, organisation_code=A.school_code)
DUE = datetime(2026, 12, 1, tzinfo=UTC)
REGISTRAR, LEADER = Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER
BUREAU, ARBITER = Role.BUREAU_REGISTRAR, Role.ARBITER

Expected = set[tuple[str, Role]]


def parties(found: list[Recipient]) -> Expected:
    return {(r.organisation_code, r.role) for r in found}


Ended = Literal["withdrawn", "declined", "cancelled", "problem_remains"]
Awaiting = Literal["leader", "review", "dedup"] | None


def ended(how: Ended, awaiting: Awaiting, reason: str | None = None) -> ev.RequestEnded:
    return ev.RequestEnded(**COMMON, **mention(A), action=Action.DELETE, ended=how,
                           was_awaiting=awaiting, reason=reason)


def reminder(stage: DeadlineStage, party: str) -> ev.DeadlineReminder:
    return ev.DeadlineReminder(**COMMON, stage=stage, due_at=DUE, party_code=party)


def escalated(stage: DeadlineStage, party: str, superior: str) -> ev.DeadlineEscalated:
    return ev.DeadlineEscalated(**COMMON, stage=stage, due_at=DUE, party_code=party, escalated_to=superior)


SCHOOL_WORK: list[tuple[ev.CaseEvent, Expected]] = [
    (
        ev.GroupOpened(**COMMON, rule_set=RuleSet.R2017, members=case_members(A, B),
                       arbitration_status=ArbitrationStatus.NOT_NEEDED),
        {(A.school_code, REGISTRAR), (B.school_code, REGISTRAR)},
    ),
    (ev.MembersChanged(**COMMON, members=case_members(A, B), joined=(REF(B.registry_number),)),
     {(B.school_code, REGISTRAR)}),
    (ev.GroupReopened(**COMMON, joined=(REF(A.registry_number),)), {(A.school_code, REGISTRAR)}),
    (
        ev.Reviewed(**COMMON, **mention(B), action=Action.ATTEST,
                    decision=ReviewDecision.REJECTED, reason="blurred", actor=ACTOR),
        {(B.school_code, REGISTRAR)},
    ),
    (
        ev.AutoRejected(**COMMON, **mention(B), because_of=REF(A.registry_number),
                        reason="x"),
        {(B.school_code, REGISTRAR)},
    ),
    (
        ev.ArbitrationDecided(**COMMON, arbiter_code="000000", approved=REF(A.registry_number),
                              rejected=(REF(B.registry_number),), reason="x", actor=ACTOR),
        {(A.school_code, REGISTRAR), (B.school_code, REGISTRAR)},
    ),
    (
        ev.MemberSettled(**COMMON, **mention(A), outcome=SettlementOutcome.DELETED),
        {(A.school_code, REGISTRAR)},
    ),
    (ev.SideFinished(**COMMON, province_code="440000"), {(B.school_code, REGISTRAR)}),
    (ev.GroupClosed(**COMMON), {(A.school_code, REGISTRAR), (B.school_code, REGISTRAR)}),
    (
        ev.ArbitrationStateChanged(**COMMON, status=ArbitrationStatus.DECIDED, arbiter_code="000000"),
        {(A.school_code, REGISTRAR), (B.school_code, REGISTRAR)},
    ),
]

DELETION_AND_REVIEW: list[tuple[ev.CaseEvent, Expected]] = [
    (
        ev.ActionSubmitted(**COMMON, **mention(A), action=Action.ATTEST, actor=ACTOR),
        {(A.district_code, BUREAU)},
    ),
    (
        ev.ActionSubmitted(**COMMON, **mention(A), action=Action.DELETE, actor=ACTOR,
                           needs_leader_confirmation=True),
        {(A.school_code, LEADER)},
    ),  # the leader confirms; the registrar who asked is not told again
    (
        ev.DeletionConfirmed(**COMMON, **mention(A), actor=ACTOR, needs_review=True),
        {(A.district_code, BUREAU)},
    ),
    (
        ev.DeletionConfirmed(**COMMON, **mention(A), actor=ACTOR, needs_review=False),
        set(),
    ),
    (
        ev.Reinitiated(**COMMON, **mention(A), new_group_id=uuid4(), actor=ACTOR),
        {(A.school_code, REGISTRAR), (A.district_code, BUREAU)},
    ),  # that school and its bureau only
    (
        ev.ArbitrationStateChanged(**COMMON, status=ArbitrationStatus.PENDING, arbiter_code="000000"),
        {("000000", ARBITER), (A.school_code, REGISTRAR), (B.school_code, REGISTRAR)},
    ),  # the other side hears of it too
]

REQUESTS_ENDED: list[tuple[ev.CaseEvent, Expected]] = [
    (ended("withdrawn", "leader"), {(A.school_code, LEADER)}),  # the leader's queue lost it
    (ended("withdrawn", "review"), {(A.district_code, BUREAU)}),
    (ended("declined", "leader", "not this one"), {(A.school_code, REGISTRAR)}),  # the leader declined it
    (ended("cancelled", "leader"), {(A.school_code, REGISTRAR), (A.school_code, LEADER)}),
    (ended("cancelled", "review"), {(A.school_code, REGISTRAR), (A.district_code, BUREAU)}),
    (ended("problem_remains", "dedup"), {(A.school_code, REGISTRAR)}),
]

DEADLINES: list[tuple[ev.CaseEvent, Expected]] = [
    (reminder(DeadlineStage.SCHOOL_HANDLING, A.school_code), {(A.school_code, REGISTRAR)}),
    (reminder(DeadlineStage.BUREAU_REVIEW, "110105"), {("110105", BUREAU)}),
    (reminder(DeadlineStage.DEDUP_UPDATE, "110105"), {("110105", BUREAU)}),
    (reminder(DeadlineStage.ARBITRATION, "110000"), {("110000", ARBITER)}),
    # escalations reach the superior: a school's is its district bureau, a district's an arbiter
    (escalated(DeadlineStage.SCHOOL_HANDLING, A.school_code, "110105"), {("110105", BUREAU)}),
    (escalated(DeadlineStage.BUREAU_REVIEW, "110105", "110000"), {("110000", ARBITER)}),
    (escalated(DeadlineStage.DEDUP_UPDATE, "440103", "440100"), {("440100", ARBITER)}),
    (escalated(DeadlineStage.ARBITRATION, "440100", "440000"), {("440000", ARBITER)}),
]


@pytest.mark.parametrize(("event", "expected"), SCHOOL_WORK)
def test_school_work_reaches_the_registrar_of_each_school_concerned(
    event: ev.CaseEvent, expected: Expected
) -> None:
    assert parties(recipients(event, MEMBERS)) == expected


@pytest.mark.parametrize(("event", "expected"), DELETION_AND_REVIEW)
def test_deletion_confirmation_goes_to_the_leader_review_to_the_bureau_arbitration_to_the_arbiter(
    event: ev.CaseEvent, expected: Expected
) -> None:
    assert parties(recipients(event, MEMBERS)) == expected


@pytest.mark.parametrize(("event", "expected"), REQUESTS_ENDED)
def test_an_ended_request_reaches_the_registrar_and_whoever_had_it_in_a_queue(
    event: ev.CaseEvent, expected: Expected
) -> None:
    assert parties(recipients(event, MEMBERS)) == expected


@pytest.mark.parametrize(("event", "expected"), DEADLINES)
def test_a_reminder_reaches_the_role_that_must_act_and_an_escalation_the_superiors_role(
    event: ev.CaseEvent, expected: Expected
) -> None:
    assert parties(recipients(event, MEMBERS)) == expected


ALL = SCHOOL_WORK + DELETION_AND_REVIEW + REQUESTS_ENDED + DEADLINES


@pytest.mark.parametrize(("event", "expected"), ALL)
def test_no_event_reaches_a_province_subscriber_or_an_operator(
    event: ev.CaseEvent, expected: Expected
) -> None:
    assert {r.role for r in recipients(event, MEMBERS)} <= {REGISTRAR, LEADER, BUREAU, ARBITER}


@pytest.mark.parametrize(("event", "expected"), ALL)
def test_every_entry_says_what_to_do_in_chinese_and_in_english(
    event: ev.CaseEvent, expected: Expected
) -> None:
    for r in recipients(event, MEMBERS):
        assert r.what.isascii() is False and " (" in r.what


def test_a_declined_deletion_tells_the_registrar_the_leaders_reason() -> None:
    [told] = recipients(ended("declined", "leader", "学生仍在读"), MEMBERS)
    assert told.what.endswith(": 学生仍在读") and "declined by the school leader" in told.what


def test_one_event_to_two_roles_of_one_school_makes_two_entries() -> None:
    registrar, leader = (Recipient(A.school_code, role, "x") for role in (REGISTRAR, LEADER))
    assert registrar.entry_id("e1") != leader.entry_id("e1")
    assert registrar.entry_id("e1") == Recipient(A.school_code, REGISTRAR, "other words").entry_id("e1")


def test_every_waiting_stage_has_a_role_and_every_value_has_its_chinese_words() -> None:
    assert set(STAGE_ROLES) == set(DeadlineStage)
    assert set(wording.STAGES) == set(DeadlineStage)
    assert set(wording.ARBITRATION) == set(ArbitrationStatus)
    assert set(wording.OUTCOMES) == set(SettlementOutcome)
    assert set(wording.ACTIONS) == set(Action)
