"""Identity keys (DOMAIN §2), masking (§8) and ID problems (§3) of a record."""

from dataclasses import replace

import pytest
from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import Gender, IdType, PopulationOutcome, ProblemType, RecordStatus

from services.dedup.domain.identity import (
    RecordState,
    amended_state,
    evolve,
    mask_id_number,
    mask_name,
    record_state,
)

from .factories import PEPPER, TODAY, id_number, record


def key(rec: object) -> str | None:
    return record_state(rec, PEPPER, TODAY).identity_key(PEPPER)  # type: ignore[arg-type]


def test_resident_ids_are_keyed_by_the_normalised_number() -> None:
    number = id_number()
    spaced = number[:6] + " " + number[6:].lower()
    assert key(record(1, number=number)) == key(record(2, number=spaced, name="李四", school="1101080001"))
    assert str(key(record(1, number=number))).startswith("id:")


def test_a_legacy_fifteen_digit_number_matches_its_eighteen_digit_form() -> None:
    eighteen = "110105" + "19" + "850304001"
    from services.dedup.domain.idnumber import check_digit

    eighteen += check_digit(eighteen)
    fifteen = eighteen[:6] + eighteen[8:17]
    assert key(record(1, number=eighteen)) == key(record(2, number=fifteen))


def test_other_id_types_are_keyed_by_name_gender_and_birth_date_whatever_the_number() -> None:
    a = record(1, id_type=IdType.PASSPORT, number="E1", name="买买提·艾力")
    b = record(2, id_type=IdType.TAIWAN_PERMIT, number="T9", name=" 买买提•艾力 ")
    assert key(a) == key(b)
    assert str(key(a)).startswith("ngb:")
    assert key(a) != key(record(3, id_type=IdType.PASSPORT, number="E1", name="买买提·艾力",
                                gender=Gender.FEMALE))


def test_keys_are_keyed_hashes_not_numbers() -> None:
    number = id_number()
    state = record_state(record(1, number=number), PEPPER, TODAY)
    assert number not in repr(state)
    assert "张三" not in repr(state)
    other_pepper = record_state(record(1, number=number), b"other", TODAY).identity_key(b"other")
    assert other_pepper != state.identity_key(PEPPER)


def test_deleted_records_hold_no_key() -> None:
    state = record_state(record(1, number=id_number()), PEPPER, TODAY)
    assert replace(state, status=RecordStatus.DELETED).identity_key(PEPPER) is None


def test_masking_shows_the_surname_and_the_ends_of_the_number() -> None:
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_id_number("11010520120304001X") == "110*************1X"


def test_a_bad_check_digit_is_an_id_not_found_problem() -> None:
    number = id_number()
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    state = record_state(record(1, number=bad), PEPPER, TODAY)
    assert state.id_problem() == (ProblemType.ID_NOT_FOUND, ("check_digit",))
    assert not state.needs_population_check()


def test_population_answers_raise_the_matching_problem() -> None:
    state = record_state(record(1, number=id_number()), PEPPER, TODAY)
    assert state.id_problem() is None and state.needs_population_check()
    expected = {
        PopulationOutcome.NOT_FOUND: ProblemType.ID_NOT_FOUND,
        PopulationOutcome.NAME_MISMATCH: ProblemType.ID_NAME_MISMATCH,
        PopulationOutcome.CHANGED: ProblemType.ID_CHANGED,
    }
    for outcome, problem in expected.items():
        found = replace(state, population=outcome).id_problem()
        assert found is not None and found[0] is problem
    assert replace(state, population=PopulationOutcome.VERIFIED).id_problem() is None


def test_an_amendment_rekeys_the_record_and_makes_it_formal() -> None:
    state = record_state(record(1, number=id_number()), PEPPER, TODAY)
    new_number = id_number()
    amended = amended_state(state, AmendedFields(id_number=new_number, name="张三"), PEPPER, TODAY)
    assert amended.identity_key(PEPPER) != state.identity_key(PEPPER)
    assert amended.status is RecordStatus.FORMAL
    assert amended.population is None  # verified again


def test_amending_the_gender_alone_rechecks_it_against_the_number() -> None:
    state = record_state(record(1, number=id_number(gender=Gender.MALE)), PEPPER, TODAY)
    amended = amended_state(state, AmendedFields(gender=Gender.FEMALE), PEPPER, TODAY)
    assert amended.id_problem() == (ProblemType.ID_NOT_FOUND, ("gender_mismatch",))


def test_a_g_record_whose_number_is_its_id_number_is_marked() -> None:
    number = id_number()
    assert record_state(record(1, number=number, prefix="G"), PEPPER, TODAY).brief().id_matches_registry
    assert not record_state(record(1, number=number), PEPPER, TODAY).brief().id_matches_registry


def test_an_evolved_record_equals_the_one_dataclasses_replace_makes() -> None:
    state = record_state(record(1, number=id_number()), PEPPER, TODAY)
    evolved = evolve(state, population_request_id="3f1c", population_batch_id="b1")
    replaced = replace(state, population_request_id="3f1c", population_batch_id="b1")
    assert evolved == replaced and hash(evolved) == hash(replaced)
    assert state.population_request_id is None  # the copy, not the original


def test_a_record_state_sets_nothing_in_init_that_evolve_would_skip() -> None:
    assert not hasattr(RecordState, "__post_init__") and not hasattr(RecordState, "__slots__")


def test_evolving_a_field_a_record_does_not_have_is_refused() -> None:
    state = record_state(record(1, number=id_number()), PEPPER, TODAY)
    with pytest.raises(TypeError, match="no field"):
        evolve(state, populaton="verified")
