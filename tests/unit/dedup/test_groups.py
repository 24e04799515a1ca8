"""Duplicate groups and ID-problem groups (DOMAIN §2, §3, §5)."""

from xueji_contracts.enums import ProblemType
from xueji_contracts.problems import MembershipChanged, ProblemCleared, ProblemDetected

from services.dedup.domain.groups import Group, id_problem_key
from services.dedup.domain.identity import record_state

from .factories import PEPPER, TODAY, id_number, record


def briefs(*districts: str) -> list:  # type: ignore[type-arg]
    number = id_number()
    return [record_state(record(i, district=d, number=number), PEPPER, TODAY).brief()
            for i, d in enumerate(districts, 1)]


def test_one_record_is_no_problem() -> None:
    group = Group("id:k")
    group.put(briefs("110105")[0])
    assert group.pending == [] and group.group_id is None


def test_two_live_records_with_one_key_form_a_group_across_provinces() -> None:
    a, b = briefs("110105", "440103")
    group = Group("id:k")
    group.put(a)
    group.put(b)
    [event] = group.pending
    assert isinstance(event, ProblemDetected)
    assert event.problem_type is ProblemType.DUPLICATE_ID
    assert {m.province_code for m in event.members} == {"110000", "440000"}


def test_a_third_record_joins_the_existing_group() -> None:
    a, b, c = briefs("110105", "110108", "120101")
    group = Group("id:k")
    for brief in (a, b, c):
        group.put(brief)
    detected, joined = group.pending
    assert isinstance(joined, MembershipChanged)
    assert joined.group_id == detected.group_id
    assert joined.joined == (c.registry_number,)
    assert joined.sequence == detected.sequence + 1


def test_the_same_record_again_changes_nothing() -> None:
    a, b = briefs("110105", "110108")
    group = Group("id:k")
    group.put(a)
    group.put(b)
    group.put(b)
    assert len(group.pending) == 1


def test_when_a_member_leaves_and_one_remains_the_group_clears() -> None:
    a, b = briefs("110105", "110108")
    group = Group("id:k")
    group.put(a)
    group.put(b)
    group.drop(b.registry_number)
    cleared = group.pending[-1]
    assert isinstance(cleared, ProblemCleared) and cleared.reason == "no_duplicate_left"
    assert group.group_id is None


def test_the_group_id_is_derived_so_concurrent_openers_agree() -> None:
    a, b = briefs("110105", "110108")
    first, second = Group("id:k"), Group("id:k")
    for group in (first, second):
        group.put(a)
        group.put(b)
    assert first.group_id == second.group_id


def test_a_record_joining_a_closed_group_reopens_it_and_a_key_of_new_people_gets_a_new_group() -> None:
    """DOMAIN §6 [decided]: the closed group's case reopens for the newcomer, its settled members
    keeping their outcomes; once nobody of it is left, the key's next duplicate is a group of its own."""
    a, b, c, d = briefs("110105", "110108", "120101", "130102")
    group = Group("id:k")
    group.put(a)
    group.put(b)
    old = group.group_id
    group.drop(b.registry_number)  # amended away: the group clears, a keeps its attestation
    assert group.group_id is None
    group.put(c)
    reopened = group.pending[-1]
    assert isinstance(reopened, MembershipChanged)
    assert (reopened.group_id, reopened.joined) == (old, (c.registry_number,))
    group.drop(a.registry_number)
    group.drop(c.registry_number)
    group.put(b)
    group.put(d)
    assert group.group_id not in (None, old)


def test_an_attested_distinct_set_is_not_flagged_again_but_a_new_fourth_record_is() -> None:
    a, b, c, d = briefs("110105", "110108", "120101", "130102")
    group = Group("ngb:k")
    for brief in (a, b, c):
        group.put(brief)
    group.mark_attested_distinct(frozenset({a.registry_number, b.registry_number, c.registry_number}))
    assert isinstance(group.pending[-1], ProblemCleared)
    group.put(c)  # seen again: still nothing
    group.drop(c.registry_number)
    group.put(c)
    assert group.group_id is None
    group.put(d)  # a fourth record joins the attested-distinct group: it reopens for d
    reopened = group.pending[-1]
    assert isinstance(reopened, MembershipChanged)
    assert len(reopened.members) == 4 and reopened.joined == (d.registry_number,)


def test_an_id_problem_opens_a_one_member_group_and_clears_when_fixed() -> None:
    [brief] = briefs("110105")
    group = Group(id_problem_key(brief.registry_number))
    group.set_id_problem(brief, (ProblemType.ID_CHANGED, ("population_changed",)), "110105201203040011")
    detected = group.pending[0]
    assert isinstance(detected, ProblemDetected)
    assert detected.problem_type is ProblemType.ID_CHANGED
    assert detected.suggested_id_number == "110105201203040011"
    group.set_id_problem(brief, None)
    assert isinstance(group.pending[-1], ProblemCleared)


def test_a_changed_id_problem_closes_the_old_group_and_opens_another() -> None:
    [brief] = briefs("110105")
    group = Group(id_problem_key(brief.registry_number))
    group.set_id_problem(brief, (ProblemType.ID_NOT_FOUND, ("check_digit",)))
    first = group.group_id
    group.set_id_problem(brief, (ProblemType.ID_NAME_MISMATCH, ("population_name_mismatch",)))
    kinds = [type(e).__name__ for e in group.pending]
    assert kinds == ["ProblemDetected", "ProblemCleared", "ProblemDetected"]
    assert group.group_id != first


def test_deleting_a_record_ends_its_id_problem() -> None:
    [brief] = briefs("110105")
    group = Group(id_problem_key(brief.registry_number))
    group.set_id_problem(brief, (ProblemType.ID_NOT_FOUND, ("region",)))
    group.remove_record(brief.registry_number)
    cleared = group.pending[-1]
    assert isinstance(cleared, ProblemCleared) and cleared.reason == "record_deleted"
