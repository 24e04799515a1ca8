"""Each member brief carries the search key of its normalised name, for the workflow to find it by name."""

from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import IdType
from xueji_contracts.names import name_key

from services.dedup.domain.identity import amended_state, record_state

from .factories import PEPPER, TODAY, id_number, record

SEARCH_KEY = b"test-name-search-key"


def test_the_brief_carries_the_keyed_hash_of_the_normalised_name() -> None:
    state = record_state(record(1, number=id_number(), name="张三"), PEPPER, TODAY, SEARCH_KEY)
    assert state.name_search_key == name_key(SEARCH_KEY, "张三")
    assert state.brief().name_key == state.name_search_key
    assert "张三" not in repr(state.brief())


def test_two_spellings_of_one_name_give_one_key() -> None:
    one = record_state(record(1, id_type=IdType.PASSPORT, name="买买提·艾力"), PEPPER, TODAY, SEARCH_KEY)
    spelt = record(2, id_type=IdType.PASSPORT, name=" 买买提 ･艾力\u3000")
    other = record_state(spelt, PEPPER, TODAY, SEARCH_KEY)
    latin = record_state(record(3, name="Ｊｏｈｎ Smith"), PEPPER, TODAY, SEARCH_KEY)
    assert one.brief().name_key == other.brief().name_key
    assert latin.brief().name_key == name_key(SEARCH_KEY, "JOHN SMITH")


def test_the_search_key_is_not_the_identity_pepper() -> None:
    state = record_state(record(1, number=id_number(), name="张三"), PEPPER, TODAY, SEARCH_KEY)
    under_pepper = record_state(record(1, name="张三"), PEPPER, TODAY, PEPPER)
    assert state.name_search_key != under_pepper.name_search_key


def test_an_amended_name_is_found_by_its_new_name_only() -> None:
    state = record_state(record(1, number=id_number(), name="张三"), PEPPER, TODAY, SEARCH_KEY)
    renamed = amended_state(state, AmendedFields(name="张珊"), PEPPER, TODAY, SEARCH_KEY)
    assert renamed.brief().name_key == name_key(SEARCH_KEY, "张珊")
    kept = amended_state(state, AmendedFields(birth_date=TODAY.replace(year=2012)), PEPPER, TODAY, SEARCH_KEY)
    assert kept.name_search_key == state.name_search_key


def test_without_a_search_key_the_brief_carries_none() -> None:
    assert record_state(record(1, name="张三"), PEPPER, TODAY).brief().name_key is None
