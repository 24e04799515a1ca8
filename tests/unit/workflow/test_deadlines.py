"""Deadlines: a reminder before, an escalation after, each once per due time."""

from datetime import timedelta

import pytest
from xueji_contracts.enums import Action, ReviewDecision

from services.workflow.domain.deadlines import DeadlinePolicy, next_fire_at
from services.workflow.domain.divisions import superior_of
from services.workflow.domain.handling import review, submit_action

from .factories import EVIDENCE, NOW, brief, bureau, case_of, kinds, registrar

POLICY = DeadlinePolicy(
    school_handling_days=10, bureau_review_days=5, arbitration_days=7, reminder_days_before=2
)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("party", "superior"),
    [
        ("1101050001", "110105"),
        ("110105", "110000"),  # a district of 北京 sits under the municipality
        ("440103", "440100"),
        ("440100", "440000"),
        ("110000", "000000"),
        ("000000", "000000"),
    ],
)
def test_a_missed_deadline_goes_to_the_superior(party: str, superior: str) -> None:
    assert superior_of(party) == superior


def test_the_school_is_reminded_then_escalated_once_each() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    assert next_fire_at(case, POLICY) == NOW + 8 * DAY
    case.fire_due_timers(POLICY, NOW + 7 * DAY)
    assert kinds(case) == []
    case.fire_due_timers(POLICY, NOW + 8 * DAY)
    assert kinds(case) == ["case.deadline_reminder", "case.deadline_reminder"]
    case.fire_due_timers(POLICY, NOW + 9 * DAY)
    assert len(case.pending) == 2  # nothing fires twice
    case.fire_due_timers(POLICY, NOW + 10 * DAY)
    escalations = [e for e in case.pending if e.event_type == "case.deadline_escalated"]  # type: ignore[attr-defined]
    assert {e.escalated_to for e in escalations} == {"110105"}  # type: ignore[attr-defined]
    assert next_fire_at(case, POLICY) is None


def test_a_new_stage_starts_a_new_timer_for_the_bureau() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    later = NOW + 3 * DAY
    submit_action(
        case,
        registrar(a),
        a.registry_number,
        Action.ATTEST,
        later,
        evidence_ids=EVIDENCE,
        known_evidence=frozenset(EVIDENCE),
        opinion="x",
    )
    case.pending.clear()
    case.fire_due_timers(POLICY, later + 5 * DAY)
    reviewed = [e for e in case.pending if getattr(e, "stage", None) == "bureau_review"]
    assert [e.party_code for e in reviewed] == [a.district_code] * 2  # type: ignore[attr-defined]
    review(case, bureau(a), a.registry_number, ReviewDecision.REJECTED, "blurred", later + 6 * DAY)
    assert next_fire_at(case, POLICY) == NOW + 10 * DAY  # b was reminded; its escalation is next


def test_a_closed_group_has_no_timers() -> None:
    a = brief(1)
    case = case_of(a, a.model_copy(update={"registry_number": "L110105201201019999"}))
    case.closed = True
    assert next_fire_at(case, POLICY) is None
