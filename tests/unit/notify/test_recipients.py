"""Who hears of each kind of case event."""

from datetime import UTC, datetime
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

from services.notify.domain.recipients import Members, recipients

from ..workflow.factories import brief

A, B = brief(1, "110105"), brief(2, "440103")
MEMBERS: Members = {m.registry_number: (m.school_code, m.district_code, m.province_code) for m in (A, B)}
COMMON = {
    "producer": "workflow",
    "group_id": uuid4(),
    "problem_type": ProblemType.DUPLICATE_ID,
    "province_codes": ("110000", "440000"),
}
ACTOR = ev.Actor(role=Role.SCHOOL_REGISTRAR, organisation_code=A.school_code)
DUE = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (ev.MembersChanged(**COMMON, members=(A, B), joined=(B.registry_number,)), {B.school_code}),
        (
            ev.GroupOpened(
                **COMMON,
                rule_set=RuleSet.R2017,
                members=(A, B),
                arbitration_status=ArbitrationStatus.NOT_NEEDED,
            ),
            {A.school_code, B.school_code},
        ),
        (
            ev.ActionSubmitted(
                **COMMON, registry_number=A.registry_number, action=Action.ATTEST, actor=ACTOR
            ),
            {A.district_code},
        ),
        (
            ev.ActionSubmitted(
                **COMMON,
                registry_number=A.registry_number,
                action=Action.DELETE,
                actor=ACTOR,
                needs_leader_confirmation=True,
            ),
            {A.school_code},
        ),
        (
            ev.DeletionConfirmed(
                **COMMON, registry_number=A.registry_number, actor=ACTOR, needs_review=False
            ),
            set(),
        ),
        (
            ev.Reviewed(
                **COMMON,
                registry_number=B.registry_number,
                action=Action.ATTEST,
                decision=ReviewDecision.REJECTED,
                reason="blurred",
                actor=ACTOR,
            ),
            {B.school_code},
        ),
        (
            ev.AutoRejected(
                **COMMON, registry_number=B.registry_number, because_of=A.registry_number, reason="x"
            ),
            {B.school_code},
        ),
        (
            ev.ArbitrationStateChanged(**COMMON, status=ArbitrationStatus.PENDING, arbiter_code="000000"),
            {"000000", A.school_code, B.school_code},
        ),  # the other side hears of it too
        (
            ev.ArbitrationDecided(
                **COMMON,
                arbiter_code="000000",
                approved=A.registry_number,
                rejected=(B.registry_number,),
                reason="x",
                actor=ACTOR,
            ),
            {A.school_code, B.school_code},
        ),
        (
            ev.MemberSettled(**COMMON, registry_number=A.registry_number, outcome=SettlementOutcome.DELETED),
            {A.school_code},
        ),
        (ev.SideFinished(**COMMON, province_code="440000"), {B.school_code}),
        (ev.GroupClosed(**COMMON), {A.school_code, B.school_code}),
        (
            ev.Reinitiated(**COMMON, registry_number=A.registry_number, new_group_id=uuid4(), actor=ACTOR),
            {A.school_code, A.district_code},
        ),  # that school and its bureau only
        (
            ev.DeadlineReminder(**COMMON, stage=DeadlineStage.BUREAU_REVIEW, due_at=DUE, party_code="110105"),
            {"110105"},
        ),
        (
            ev.DeadlineEscalated(
                **COMMON,
                stage=DeadlineStage.BUREAU_REVIEW,
                due_at=DUE,
                party_code="110105",
                escalated_to="110100",
            ),
            {"110100"},
        ),
    ],
)
def test_recipients_of_each_kind_of_case_event(event: ev.CaseEvent, expected: set[str]) -> None:
    found = recipients(event, MEMBERS)
    assert {r.organisation_code for r in found} == expected
    assert all(r.what for r in found)
