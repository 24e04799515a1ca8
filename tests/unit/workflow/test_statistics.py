"""What a party may read of the progress counters, and how they are shown."""

from datetime import UTC, datetime

import pytest
from xueji_contracts.enums import ProblemType, Role, SettlementOutcome

from services.workflow.domain.errors import OutsideJurisdiction
from services.workflow.domain.state import Actor, Stage
from services.workflow.domain.statistics import (
    DivisionCounts,
    no_counts,
    progress_of,
    recent_weeks,
    require_division,
    statistics_root,
)

SCHOOL = "4401030001"


def actor(role: Role, code: str) -> Actor:
    return Actor(role=role, organisation_code=code)


@pytest.mark.parametrize(
    ("who", "code", "parent"),
    [
        (actor(Role.SCHOOL_REGISTRAR, SCHOOL), SCHOOL, "440103"),
        (actor(Role.BUREAU_REGISTRAR, "440103"), "440103", None),
        (actor(Role.BUREAU_REGISTRAR, "440103"), SCHOOL, "440103"),
        (actor(Role.ARBITER, "440100"), "440103", None),
        (actor(Role.ARBITER, "440000"), SCHOOL, "440103"),
        (actor(Role.ARBITER, "110000"), "110105", None),  # a municipality's districts sit right under it
        (actor(Role.OPERATOR, "000000"), SCHOOL, "440103"),
    ],
)
def test_a_party_reads_its_division_and_everything_below(who: Actor, code: str, parent: str | None) -> None:
    require_division(who, code, parent)


@pytest.mark.parametrize(
    ("who", "code", "parent"),
    [
        (actor(Role.SCHOOL_REGISTRAR, SCHOOL), "440103", None),  # a school does not read its district
        (actor(Role.SCHOOL_LEADER, SCHOOL), "4401030002", "440103"),
        (actor(Role.BUREAU_REGISTRAR, "440103"), "440106", None),
        (actor(Role.BUREAU_REGISTRAR, "440103"), "4401060001", "440106"),
        (actor(Role.BUREAU_REGISTRAR, "440103"), "440100", None),
        (actor(Role.ARBITER, "440100"), "440000", None),
        (actor(Role.ARBITER, "440100"), "320102", None),
    ],
)
def test_nothing_outside_the_jurisdiction_is_read(who: Actor, code: str, parent: str | None) -> None:
    with pytest.raises(OutsideJurisdiction):
        require_division(who, code, parent)


def test_the_default_division_is_the_callers_own_and_the_ministrys_for_operators() -> None:
    assert statistics_root(actor(Role.BUREAU_REGISTRAR, "440103")) == "440103"
    assert statistics_root(actor(Role.OPERATOR, "000000")) == "000000"
    with pytest.raises(OutsideJurisdiction):
        statistics_root(actor(Role.PROVINCE_SUBSCRIBER, "440000"))


def test_counters_are_shown_by_type_and_stage_with_the_weeks_asked_for() -> None:
    weeks = recent_weeks(datetime(2026, 11, 23, 9, tzinfo=UTC))
    assert (len(weeks), weeks[0], weeks[-1]) == (12, "2026-W37", "2026-W48")
    counts = {"DUPLICATE_ID:to_handle": 3, "DUPLICATE_ID:settled": 2, "DUPLICATE_ID:overdue": 1,
              "ID_CHANGED:awaiting_review": 1, "cleared:2026-W48:attested": 1, "cleared:2026-W47:deleted": 1,
              "cleared:2025-W01:deleted": 4}
    shown = progress_of(DivisionCounts("440103", "district", "440100", counts), weeks)
    assert (shown.records, shown.open, shown.overdue) == (6, 4, 1)
    duplicate = shown.by_type[0]
    assert duplicate.problem_type is ProblemType.DUPLICATE_ID
    assert (duplicate.records, duplicate.open, duplicate.stages[Stage.SETTLED]) == (5, 3, 2)
    assert [t.problem_type for t in shown.by_type] == list(ProblemType)
    assert [(w.week, w.cleared) for w in shown.cleared[-2:]] == [("2026-W47", 1), ("2026-W48", 1)]
    assert shown.cleared[-1].outcomes[SettlementOutcome.ATTESTED] == 1
    assert sum(w.cleared for w in shown.cleared) == 2  # older weeks are not shown


def test_a_division_without_records_is_shown_with_its_place() -> None:
    assert no_counts("4401030001") == DivisionCounts("4401030001", "school", "440103")
    assert no_counts("000000") == DivisionCounts("000000", "national", None)
