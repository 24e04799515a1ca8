"""Finding a record's case by registry number or by name (DOMAIN §8): within the caller's
jurisdiction, only among the members the caller takes part in, the name compared once normalised."""

from uuid import uuid4

import pytest
from xueji_contracts.enums import ProblemType, Role
from xueji_contracts.names import name_key
from xueji_contracts.problems import MemberBrief, ProblemDetected

from services.workflow import usecases
from services.workflow.adapters.store import listing_query, query_fields
from services.workflow.domain.case import Actor
from services.workflow.domain.deadlines import DeadlinePolicy
from services.workflow.domain.errors import Invalid
from services.workflow.domain.views import case_view

from .factories import brief, bureau, case_of, registrar
from .fakes import NAME_SEARCH_KEY, fake_cases

ZHANG_SAN = name_key(NAME_SEARCH_KEY, "张三")
MAIMAITI = name_key(NAME_SEARCH_KEY, "买买提·艾力")


def named(b: MemberBrief, key: str) -> MemberBrief:
    return b.model_copy(update={"name_key": key})


def detected(*members: MemberBrief) -> ProblemDetected:
    return ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID,
                           members=members)


async def test_a_school_finds_its_record_by_registry_number_in_any_case() -> None:
    cases, store, _ = fake_cases()
    a = named(brief(1), ZHANG_SAN)
    event = detected(a, brief(2))
    await usecases.open_case(cases, event)
    await usecases.open_case(cases, detected(brief(3), brief(4)))
    listing = await usecases.list_cases(cases, registrar(a), registry_number=f" {a.registry_number.lower()} ")
    assert [item.group_id for item in listing.items] == [event.group_id]
    scope, filters, _, _ = store.queries[-1]
    assert (scope, filters) == ({"school_codes": a.school_code}, {"registry_numbers": a.registry_number})


async def test_a_name_is_found_once_normalised_and_combines_with_the_other_filters() -> None:
    cases, store, _ = fake_cases()
    a = named(brief(1), MAIMAITI)
    event = detected(a, brief(2))
    await usecases.open_case(cases, event)
    listing = await usecases.list_cases(cases, registrar(a), name=" 买买提 •艾力", status="open",
                                        problem_type=ProblemType.DUPLICATE_ID)
    assert [item.group_id for item in listing.items] == [event.group_id]
    assert store.queries[-1][1] == {"name_keys": MAIMAITI, "closed": False, "problem_type": "DUPLICATE_ID"}
    both = await usecases.list_cases(cases, registrar(a), name="买买提・艾力",
                                     registry_number=a.registry_number)
    assert store.queries[-1][1] == {"registry_numbers": a.registry_number, "name_keys": MAIMAITI}
    assert len(both.items) == 1
    assert not (await usecases.list_cases(cases, registrar(a), name="买买提")).items


async def test_a_school_cannot_find_another_schools_member() -> None:
    cases, store, _ = fake_cases()
    a, b = named(brief(1), ZHANG_SAN), named(brief(2), MAIMAITI)
    c = named(brief(3, district="110108"), MAIMAITI)
    await usecases.open_case(cases, detected(a, b))
    await usecases.open_case(cases, detected(c, brief(4, district="110108")))
    # outside its jurisdiction: another district's case
    assert not (await usecases.list_cases(cases, registrar(a), registry_number=c.registry_number)).items
    assert store.queries[-1][0] == {"school_codes": a.school_code}
    # in a case it shares, another school's member: its name and number stay unconfirmed
    assert not (await usecases.list_cases(cases, registrar(a), registry_number=b.registry_number)).items
    assert not (await usecases.list_cases(cases, registrar(a), name="买买提·艾力")).items
    # the member's own school and its bureau find it; the other district's bureau does not
    assert len((await usecases.list_cases(cases, registrar(b), name="买买提·艾力")).items) == 1
    assert len((await usecases.list_cases(cases, bureau(a), registry_number=b.registry_number)).items) == 1
    other_bureau = await usecases.list_cases(cases, bureau(c), registry_number=b.registry_number)
    assert store.queries[-1][0] == {"district_codes": "110108"} and not other_bureau.items
    operator = Actor(role=Role.OPERATOR, organisation_code="000000")
    assert len((await usecases.list_cases(cases, operator, name="买买提·艾力")).items) == 2


@pytest.mark.parametrize("number", ["L1101052012", "X110105201201010001", "L11010520120101000!", ""])
async def test_a_registry_number_that_cannot_be_one_is_invalid(number: str) -> None:
    cases, _, _ = fake_cases()
    with pytest.raises(Invalid, match="registry_number"):
        await usecases.list_cases(cases, registrar(brief(1)), registry_number=number)


async def test_a_name_of_only_white_space_is_invalid() -> None:
    cases, _, _ = fake_cases()
    with pytest.raises(Invalid, match="name"):
        await usecases.list_cases(cases, registrar(brief(1)), name=" \u3000 ")


def test_no_view_shows_a_name_key() -> None:
    a, b = named(brief(1), ZHANG_SAN), named(brief(2, district="110108"), MAIMAITI)
    case = case_of(a, b)
    operator = Actor(role=Role.OPERATOR, organisation_code="000000")
    for actor in (registrar(a), registrar(b), bureau(a), operator):
        view = case_view(case, actor)
        assert all(m.brief is None or "name_key" not in m.brief.model_dump() for m in view.members)
        shown = view.model_dump_json()
        assert ZHANG_SAN not in shown and MAIMAITI not in shown


def test_the_store_lists_members_registry_numbers_and_name_keys_and_searches_by_them_first() -> None:
    a, b = named(brief(1), ZHANG_SAN), brief(2)
    fields = query_fields(case_of(a, b), DeadlinePolicy())
    assert fields["registry_numbers"] == sorted([a.registry_number, b.registry_number])
    assert fields["name_keys"] == [ZHANG_SAN]
    query = listing_query({"school_codes": a.school_code},
                          {"closed": False, "name_keys": ZHANG_SAN, "registry_numbers": a.registry_number})
    assert next(iter(query)) == "listing_keys"
    assert query["listing_keys"] == f"registry_numbers:{a.registry_number}"
    assert f"name_keys:{ZHANG_SAN}" in fields["listing_keys"]
    assert f"school_codes:{a.school_code}" in fields["listing_keys"]
