"""What a record's change does to its groups, and when the population database is asked
(DOMAIN §2, §3), decided once for both ways a record is stored."""

from dataclasses import replace
from datetime import date
from typing import Any

from xueji_contracts.enums import PopulationOutcome, RecordStatus

from services.dedup.domain.groups import Group, id_problem_key
from services.dedup.domain.identity import RecordState, record_state
from services.dedup.domain.idnumber import mismatches
from services.dedup.domain.membership import membership_ops, population_request

from .factories import PEPPER, TODAY, id_number, record

NUMBER = id_number()


def state(**changes: Any) -> RecordState:
    return replace(record_state(record(1, number=NUMBER), PEPPER, TODAY), **changes)


def test_a_new_record_joins_its_key_and_an_unchanged_one_touches_nothing() -> None:
    new = state()
    (key, op), (idp_key, _) = membership_ops(new.registry_number, None, new, PEPPER, None)
    group = Group(key)
    op(group)
    assert key == new.identity_key(PEPPER) and set(group.members) == {new.registry_number}
    assert idp_key == id_problem_key(new.registry_number)  # its ID checks are settled too
    assert membership_ops(new.registry_number, new, new, PEPPER, None) == []


def test_a_deleted_record_leaves_its_key_and_its_id_problem() -> None:
    old = state(id_static_reasons=("check_digit",))
    deleted = replace(old, status=RecordStatus.DELETED)
    keys = [key for key, _ in membership_ops(old.registry_number, old, deleted, PEPPER, None)]
    assert keys == [old.identity_key(PEPPER), id_problem_key(old.registry_number)]


def test_a_record_not_asked_yet_is_asked_under_a_new_id_it_then_awaits() -> None:
    stored, request = population_request(state(), (NUMBER, "张三"))
    assert request is not None and request.id_number == NUMBER
    assert stored.population_request_id == str(request.request_id) and stored.awaits_population()


def test_a_record_asked_about_keeps_the_batch_its_question_goes_in() -> None:
    stored, request = population_request(state(), (NUMBER, "张三"), batch=lambda: "batch-1")
    assert request is not None and stored.population_batch_id == "batch-1"
    again, _ = population_request(stored, (NUMBER, "张三"), batch=lambda: "batch-2")
    assert again.population_batch_id == "batch-2"  # asked again in the batch now being filled
    answered = state(population=PopulationOutcome.VERIFIED, population_request_id="r")
    assert population_request(answered, (NUMBER, "张三"), batch=lambda: "b")[0].population_batch_id is None


def test_a_record_awaiting_an_answer_is_asked_again_under_the_same_id() -> None:
    waiting, first = population_request(state(), (NUMBER, "张三"))
    again, second = population_request(waiting, (NUMBER, "张三"))
    assert first is not None and second is not None and first.request_id == second.request_id
    assert again == waiting


def test_no_request_without_the_raw_number_after_an_answer_or_for_a_failing_number() -> None:
    assert population_request(state(), None) == (state(), None)
    answered = state(population=PopulationOutcome.VERIFIED, population_request_id="r")
    assert population_request(answered, (NUMBER, "张三"))[1] is None
    failing = state(id_static_reasons=("region",))
    assert population_request(failing, (NUMBER, "张三"))[1] is None


def test_the_number_is_compared_with_the_record_in_one_place() -> None:
    birth = date(2012, 3, 4)
    assert mismatches(birth, 1, 1, birth) == ()
    assert mismatches(date(2012, 3, 5), 2, 1, birth) == ("birth_date_mismatch", "gender_mismatch")
    assert mismatches(None, None, 1, birth) == ()  # an impossible birth date or no number
    assert state(gender=2).local_reasons() == ("gender_mismatch",)
