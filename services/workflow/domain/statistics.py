"""What a party reads of the campaign's progress (DOMAIN §8): its own division and the divisions
directly below it, from the progress counters (``progress.py``), never from the cases.

Jurisdiction: a school sees its school; a district bureau its district and its schools; an
arbiter its division (city, province or the Ministry) and everything below; an operator the
whole country.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from xueji_contracts.enums import ProblemType, Role, SettlementOutcome

from .divisions import NATIONAL, chain_above
from .errors import OutsideJurisdiction
from .progress import CLEARED, NO_PARENT, OVERDUE, iso_week, level_of
from .state import Actor, Stage

WEEKS_SHOWN = 12
OPEN_STAGES = tuple(s for s in Stage if s is not Stage.SETTLED)


@dataclass(frozen=True)
class DivisionCounts:
    """One division's counters as stored: ``counts`` maps a tally metric to its sum."""

    code: str
    level: str
    parent_code: str | None
    counts: dict[str, int] = field(default_factory=dict)


def statistics_root(actor: Actor) -> str:
    """The highest division the caller may read."""
    match actor.role:
        case Role.SCHOOL_REGISTRAR | Role.SCHOOL_LEADER | Role.BUREAU_REGISTRAR | Role.ARBITER:
            return actor.organisation_code
        case Role.OPERATOR:
            return NATIONAL
    raise OutsideJurisdiction(f"the role {actor.role} has no statistics")


def require_division(actor: Actor, code: str, parent: str | None) -> None:
    """``code`` is the caller's own division or lies below it (a school by the district it is under)."""
    root = statistics_root(actor)
    above = [parent, *chain_above(parent)] if parent and parent != NO_PARENT else chain_above(code)
    if code != root and root not in above:
        raise OutsideJurisdiction(f"division {code} is outside your jurisdiction")


def recent_weeks(now: datetime, count: int = WEEKS_SHOWN) -> list[str]:
    """The ``count`` ISO weeks up to the one of ``now``, oldest first."""
    return [iso_week(now - timedelta(weeks=back)) for back in reversed(range(count))]


class TypeProgress(BaseModel):
    model_config = ConfigDict(frozen=True)

    problem_type: ProblemType
    records: int = Field(description="Problem records (members) of this type, settled ones included.")
    open: int = Field(description="Of those, the records not settled yet.")
    overdue: int = Field(description="Open records whose deadline escalation has fired.")
    stages: dict[Stage, int] = Field(description="Records by stage, every stage listed.")


class WeekCleared(BaseModel):
    model_config = ConfigDict(frozen=True)

    week: str = Field(description="ISO week (Beijing time).", examples=["2026-W48"])
    cleared: int = Field(description="Records settled in that week.")
    outcomes: dict[SettlementOutcome, int] = Field(description="Those records by outcome.")


class DivisionProgress(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(examples=["110105"])
    level: str = Field(description="national, province, city, district or school.")
    parent_code: str | None = Field(description="The division directly above (None for the Ministry).")
    records: int
    open: int
    overdue: int
    by_type: list[TypeProgress] = Field(description="Every problem type, in the order of the document.")
    cleared: list[WeekCleared] = Field(description="Records settled per week: the last 12, oldest first.")


class Statistics(BaseModel):
    model_config = ConfigDict(frozen=True)

    division: DivisionProgress
    children: list[DivisionProgress] = Field(
        description="The divisions directly below that have problem records, by code.")
    pending_changes: int = Field(description="Case changes not yet counted (the counters' lag, in cases).")
    as_of: datetime


def progress_of(division: DivisionCounts, weeks: list[str]) -> DivisionProgress:
    counts = division.counts
    by_type = []
    for kind in ProblemType:
        stages = {s: counts.get(f"{kind.value}:{s.value}", 0) for s in Stage}
        by_type.append(TypeProgress(
            problem_type=kind, records=sum(stages.values()), open=sum(stages[s] for s in OPEN_STAGES),
            overdue=counts.get(f"{kind.value}:{OVERDUE}", 0), stages=stages))
    cleared = []
    for week in weeks:
        outcomes = {o: counts.get(f"{CLEARED}:{week}:{o.value}", 0) for o in SettlementOutcome}
        cleared.append(WeekCleared(week=week, cleared=sum(outcomes.values()), outcomes=outcomes))
    return DivisionProgress(
        code=division.code, level=division.level, parent_code=division.parent_code,
        records=sum(t.records for t in by_type), open=sum(t.open for t in by_type),
        overdue=sum(t.overdue for t in by_type), by_type=by_type, cleared=cleared)


def no_counts(code: str) -> DivisionCounts:
    """A division no problem record has reached yet."""
    parent = chain_above(code)[0] if code != NATIONAL else None
    return DivisionCounts(code=code, level=level_of(code), parent_code=parent)


def statistics(division: DivisionCounts, children: list[DivisionCounts], pending: int,
               now: datetime) -> Statistics:
    weeks = recent_weeks(now)
    return Statistics(
        division=progress_of(division, weeks),
        children=[progress_of(c, weeks) for c in sorted(children, key=lambda c: c.code)],
        pending_changes=pending, as_of=now)
