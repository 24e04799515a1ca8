"""Deadlines (issue: configurable days per stage; a reminder before, an escalation after).

Timers are derived from the case's state, never stored apart from it: each waiting member
(and a pending arbitration) has a due time counted from when it entered its stage. A fired
reminder or escalation is remembered on the case under a key that includes the due time,
so a timer fires once per due time, and a stage entered again starts a new one.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, DeadlineStage

from .divisions import superior_of
from .state import CaseState, Stage


@dataclass(frozen=True)
class DeadlinePolicy:
    school_handling_days: int = 15
    bureau_review_days: int = 7
    arbitration_days: int = 15
    reminder_days_before: int = 2
    dedup_update_days: int = 3


@dataclass(frozen=True)
class Timer:
    stage: DeadlineStage
    party_code: str
    due_at: datetime
    registry_number: str | None = None

    def key(self, kind: str) -> str:
        return (f"{kind}:{self.stage.value}:{self.party_code}:{self.registry_number or '-'}:"
                f"{self.due_at.isoformat()}")


def timers(case: CaseState, policy: DeadlinePolicy) -> list[Timer]:
    """Every waiting stage has a deadline (§6): the school's, the bureau's, dedup's new state of an
    amended record (the bureau that approved it is told), and each side's pending arbitration."""
    if case.closed:
        return []
    days = timedelta(days=1)
    found = []
    for m in case.members.values():
        if m.since is None:
            continue
        if m.stage in (Stage.TO_HANDLE, Stage.AWAITING_LEADER):
            found.append(Timer(DeadlineStage.SCHOOL_HANDLING, m.brief.school_code,
                               m.since + policy.school_handling_days * days, m.rn))
        elif m.stage is Stage.AWAITING_REVIEW:
            found.append(Timer(DeadlineStage.BUREAU_REVIEW, m.brief.district_code,
                               m.since + policy.bureau_review_days * days, m.rn))
        elif m.stage is Stage.AWAITING_DEDUP:
            found.append(Timer(DeadlineStage.DEDUP_UPDATE, m.brief.district_code,
                               m.since + policy.dedup_update_days * days, m.rn))
    for side in case.sides.values():
        if side.arbitration is ArbitrationStatus.PENDING and side.arbiter_code and side.since:
            found.append(Timer(DeadlineStage.ARBITRATION, side.arbiter_code,
                               side.since + policy.arbitration_days * days))
    return found


def waited_on(case: CaseState, policy: DeadlinePolicy) -> dict[str, Timer]:
    """The deadline each waiting member waits on now, by registry number: its own (school, review,
    dedup), or for an approved member its side's pending arbitration."""
    every = timers(case, policy)
    found = {t.registry_number: t for t in every if t.registry_number}
    arbitrations = {t.party_code: t for t in every if t.stage is DeadlineStage.ARBITRATION}
    for m in case.members.values():
        side = case.sides.get(case.side_of(m))
        if m.stage is Stage.APPROVED and side is not None and side.arbiter_code in arbitrations:
            found[m.rn] = arbitrations[side.arbiter_code]
    return found


def next_fire_at(case: CaseState, policy: DeadlinePolicy) -> datetime | None:
    """When a timer of the case next fires (for the scanner's index); None: nothing to fire."""
    before = timedelta(days=policy.reminder_days_before)
    moments = [
        t.due_at - before if t.key("reminder") not in case.fired else t.due_at
        for t in timers(case, policy)
        if t.key("escalated") not in case.fired
    ]
    return min(moments, default=None)


class Deadlines(CaseState):
    def fire_due_timers(self, policy: DeadlinePolicy, now: datetime) -> None:
        """Send the reminders and escalations due by ``now`` that were not sent for this due time."""
        before = timedelta(days=policy.reminder_days_before)
        for timer in timers(self, policy):
            fields = {**self.case_fields(), "stage": timer.stage, "due_at": timer.due_at,
                      "party_code": timer.party_code}
            if now >= timer.due_at - before and timer.key("reminder") not in self.fired:
                self.fired.append(timer.key("reminder"))
                self.emit(ev.DeadlineReminder(**fields))
                self.record(now, None, f"deadline_reminder_{timer.stage.value}", reason=timer.party_code)
            if now >= timer.due_at and timer.key("escalated") not in self.fired:
                self.fired.append(timer.key("escalated"))
                self.emit(ev.DeadlineEscalated(**fields, escalated_to=superior_of(timer.party_code)))
                self.record(now, None, f"deadline_escalated_{timer.stage.value}", reason=timer.party_code)
