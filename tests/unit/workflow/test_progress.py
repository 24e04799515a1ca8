"""A case's contribution to the progress counters: every member at every level, by type and stage,
overdue once its escalation fired, and cleared in the week it settled."""

from datetime import UTC, datetime, timedelta

import pytest
from xueji_contracts.enums import Action, ReviewDecision

from services.workflow.domain.deadlines import DeadlinePolicy
from services.workflow.domain.handling import review, submit_action
from services.workflow.domain.progress import Key, difference, iso_week, level_of, overdue_members, tally

from .factories import EVIDENCE, NOW, attest, brief, bureau, case_of, registrar

POLICY = DeadlinePolicy()
DAY = timedelta(days=1)


def counted(key_part: str, counts: dict[str, int]) -> dict[str, int]:
    return {k: n for k, n in counts.items() if key_part in k}


def test_a_new_group_counts_each_member_at_its_school_and_once_per_shared_level() -> None:
    a, b = brief(1, "110105"), brief(2, "110105")
    assert tally(case_of(a, b), POLICY) == {
        f"school:{a.school_code}:110105:DUPLICATE_ID:to_handle": 1,
        f"school:{b.school_code}:110105:DUPLICATE_ID:to_handle": 1,
        "district:110105:110000:DUPLICATE_ID:to_handle": 2,  # 北京: the district sits under the municipality
        "province:110000:000000:DUPLICATE_ID:to_handle": 2,
        "national:000000:-:DUPLICATE_ID:to_handle": 2,
    }


def test_a_district_of_a_city_is_counted_in_its_city_too() -> None:
    a, b = brief(1, "440103"), brief(2, "440106")
    levels = {Key.parse(k)[:3]: n for k, n in tally(case_of(a, b), POLICY).items()}
    assert levels[("city", "440100", "440000")] == 2
    assert levels[("district", "440103", "440100")] == 1
    assert levels[("province", "440000", "000000")] == 2


@pytest.mark.parametrize(
    ("code", "level"),
    [("000000", "national"), ("440000", "province"), ("660000", "province"), ("440100", "city"),
     ("660100", "city"), ("440103", "district"), ("441900", "district"), ("110105", "district"),
     ("4401030001", "school")],
)
def test_the_level_of_a_code(code: str, level: str) -> None:
    assert level_of(code) == level


def test_members_are_counted_in_their_own_stage() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    attest(case, a)
    counts = counted("district:", tally(case, POLICY))
    assert counts == {"district:110105:110000:DUPLICATE_ID:awaiting_review": 1,
                      "district:110105:110000:DUPLICATE_ID:to_handle": 1}


def test_a_member_is_overdue_once_its_escalation_fired_not_at_the_reminder() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    case.fire_due_timers(POLICY, NOW + 14 * DAY)  # reminded only
    assert overdue_members(case, POLICY) == set()
    case.fire_due_timers(POLICY, NOW + 15 * DAY)
    assert overdue_members(case, POLICY) == {a.registry_number, b.registry_number}
    assert tally(case, POLICY)["national:000000:-:DUPLICATE_ID:overdue"] == 2


def test_a_new_stage_is_not_overdue_for_the_old_deadline() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    case.fire_due_timers(POLICY, NOW + 15 * DAY)
    submit_action(case, registrar(a), a.registry_number, Action.ATTEST, NOW + 16 * DAY, evidence_ids=EVIDENCE,
                  known_evidence=frozenset(EVIDENCE), opinion="two children")
    assert overdue_members(case, POLICY) == {b.registry_number}


def test_approved_members_are_overdue_when_their_arbitration_is() -> None:
    a, b = brief(1, "440103"), brief(2, "440106")
    case = case_of(a, b)
    attest(case, a, approve=True)
    attest(case, b, approve=True)
    assert case.arbitration.value == "pending"
    assert overdue_members(case, POLICY) == set()
    case.fire_due_timers(POLICY, NOW + 15 * DAY)
    assert overdue_members(case, POLICY) == {a.registry_number, b.registry_number}
    assert tally(case, POLICY)["city:440100:440000:DUPLICATE_ID:approved"] == 2


def test_a_settled_member_is_cleared_in_the_week_it_settled_in_beijing_time() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    attest(case, a)
    sunday_night = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # Monday 01:00 in Beijing: the next week
    review(case, bureau(a), a.registry_number, ReviewDecision.APPROVED, None, sunday_night)
    assert case.members[a.registry_number].outcome is not None
    counts = tally(case, POLICY)
    assert counts["district:110105:110000:cleared:2026-W49:attested"] == 1
    assert counts["district:110105:110000:DUPLICATE_ID:settled"] == 1
    assert counted("cleared", counts).keys() == {
        f"school:{a.school_code}:110105:cleared:2026-W49:attested",
        "district:110105:110000:cleared:2026-W49:attested",
        "province:110000:000000:cleared:2026-W49:attested",
        "national:000000:-:cleared:2026-W49:attested"}


def test_iso_weeks_cross_the_year_as_iso_does() -> None:
    assert iso_week(datetime(2026, 12, 31, 12, tzinfo=UTC)) == "2026-W53"
    assert iso_week(datetime(2027, 1, 4, 12, tzinfo=UTC)) == "2027-W01"


def test_the_difference_of_two_tallies_leaves_out_what_did_not_change() -> None:
    assert difference({"a": 2, "b": 1}, {"a": 2, "c": 3}) == {"b": 1, "c": -3}
    assert difference({}, {}) == {}
