"""A member dedup moved out of the group gets no more evidence uploaded (409, rule
``evidence.member_of_group``): what the service knows of a group is exactly the members its latest
membership event names."""

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, ProblemType, Role, RuleSet
from xueji_contracts.problems import MemberBrief

from services.common.auth import Principal
from services.common.errors import NotFound, OutsideJurisdiction, Refused
from services.evidence.domain.membership import departures
from services.evidence.usecases import learn_parties, learn_parties_of, link_evidence, store_evidence

from ..workflow.factories import brief
from .fakes import NOW, Doc, FakeRecords, case_members, fake_parts, member_ref, multipart
from .samples import JPEG, OLE2

GROUP = uuid4()
STAYS, LEAVES = brief(1, "110105"), brief(2, "110108")
COMMON = {"producer": "workflow", "group_id": GROUP, "problem_type": ProblemType.DUPLICATE_ID,
          "province_codes": ("110000",)}


def registrar(member: MemberBrief) -> Principal:
    return Principal(subject="r", role=Role.SCHOOL_REGISTRAR, organisation_code=member.school_code)


def opened() -> ev.GroupOpened:
    return ev.GroupOpened(**COMMON, rule_set=RuleSet.R2017, members=case_members(STAYS, LEAVES),
                          arbitration_status=ArbitrationStatus.NOT_NEEDED, occurred_at=NOW)


def changed(*members: MemberBrief, left: tuple[MemberBrief, ...] = (), minutes: int = 1) -> ev.MembersChanged:
    return ev.MembersChanged(**COMMON, members=case_members(*members),
                             left=tuple(member_ref(m.registry_number) for m in left),
                             occurred_at=NOW + timedelta(minutes=minutes))


@pytest.mark.parametrize("left", [(LEAVES,), ()], ids=["named in left", "no longer named"])
async def test_an_upload_for_a_member_that_left_is_refused_and_stores_nothing(
    left: tuple[MemberBrief, ...]
) -> None:
    parts, objects, records, published = fake_parts()
    await learn_parties(records, opened())
    await learn_parties(records, changed(STAYS, left=left))
    with pytest.raises(Refused) as refused:
        await store_evidence(parts, registrar(LEAVES), GROUP, LEAVES.registry_number,
                             *multipart(("a.jpg", JPEG)))
    assert (refused.value.status, refused.value.rule) == (409, "evidence.member_of_group")
    assert "不在本问题组" in refused.value.detail and "no longer in this group" in refused.value.detail
    assert objects.count() == 0 and records.evidence == {} and published.written == []
    # the member that stays (settled or not, it is still named) goes on uploading
    [stored] = await store_evidence(parts, registrar(STAYS), GROUP, STAYS.registry_number,
                                    *multipart(("b.doc", OLE2)))
    assert stored.new and objects.count() == 1


async def test_what_is_known_is_exactly_the_members_the_latest_event_names() -> None:
    records = FakeRecords()
    await learn_parties(records, opened())
    await learn_parties(records, changed(STAYS, left=(LEAVES,)))
    case = await records.case(GROUP) or {}
    assert set(case["members"]) == {member_ref(STAYS.registry_number)}
    assert set(case["departed"]) == {member_ref(LEAVES.registry_number)}
    assert case["departed"][member_ref(LEAVES.registry_number)]["school_code"] == LEAVES.school_code


async def test_a_member_that_comes_back_may_upload_again() -> None:
    parts, objects, records, _ = fake_parts()
    await learn_parties(records, opened())
    await learn_parties(records, changed(STAYS, left=(LEAVES,)))
    await learn_parties(records, changed(STAYS, LEAVES, minutes=2))
    await store_evidence(parts, registrar(LEAVES), GROUP, LEAVES.registry_number, *multipart(("a.jpg", JPEG)))
    case = await records.case(GROUP) or {}
    assert objects.count() == 1 and case["departed"] == {}
    assert set(case["members"]) == {member_ref(STAYS.registry_number), member_ref(LEAVES.registry_number)}


async def test_a_late_copy_of_an_older_event_does_not_bring_a_member_back() -> None:
    parts, _, records, _ = fake_parts()
    await learn_parties(records, opened())
    await learn_parties(records, changed(STAYS, left=(LEAVES,), minutes=2))
    await learn_parties(records, changed(STAYS, LEAVES, minutes=1))  # another province's topic, late
    await learn_parties(records, opened())  # and the opening again, read a second time
    with pytest.raises(Refused):
        await store_evidence(parts, registrar(LEAVES), GROUP, LEAVES.registry_number,
                             *multipart(("a.jpg", JPEG)))
    assert set((await records.case(GROUP) or {})["members"]) == {member_ref(STAYS.registry_number)}


async def test_a_stranger_is_refused_as_a_stranger_and_an_unknown_member_is_unknown() -> None:
    parts, _, records, _ = fake_parts()
    await learn_parties(records, opened())
    await learn_parties(records, changed(STAYS, left=(LEAVES,)))
    with pytest.raises(OutsideJurisdiction):  # nothing said of who left, to another school
        await store_evidence(parts, registrar(STAYS), GROUP, LEAVES.registry_number,
                             *multipart(("a.jpg", JPEG)))
    stranger = brief(3, "110105")
    with pytest.raises(NotFound):
        await store_evidence(parts, registrar(stranger), GROUP, stranger.registry_number,
                             *multipart(("a.jpg", JPEG)))


async def test_the_evidence_of_a_member_that_left_stays_readable_by_its_parties_only() -> None:
    parts, _, records, _ = fake_parts()
    await learn_parties(records, opened())
    [stored] = await store_evidence(parts, registrar(LEAVES), GROUP, LEAVES.registry_number,
                                    *multipart(("a.jpg", JPEG)))
    await learn_parties(records, changed(STAYS, left=(LEAVES,)))
    bureau = Principal(subject="b", role=Role.BUREAU_REGISTRAR, organisation_code="110108")
    assert (await link_evidence(parts, bureau, stored.evidence_id)).startswith("https://s3.test/")
    assert await link_evidence(parts, registrar(LEAVES), stored.evidence_id)
    with pytest.raises(OutsideJurisdiction):
        await link_evidence(parts, registrar(STAYS), stored.evidence_id)


def test_departures_are_the_members_no_longer_named_and_never_a_registry_number() -> None:
    placement = {"school_code": "1101050001", "district_code": "110105", "province_code": "110000"}
    ref, gone = member_ref(STAYS.registry_number), member_ref(LEAVES.registry_number)
    before = {ref: placement, gone: placement, LEAVES.registry_number: placement}  # one kept the old way
    assert departures(before, {ref: placement}) == {gone: placement}
    assert departures(before, before) == {}


# A batch of case events, as the subscriber reads them: learnt as they are one by one.

ARBITRATING = ev.ArbitrationStateChanged(**COMMON, status=ArbitrationStatus.PENDING,
                                         arbiter_code="110000", occurred_at=NOW + timedelta(minutes=3))


async def one_by_one(events: list[ev.GroupOpened | ev.MembersChanged | ev.ArbitrationStateChanged]
                     ) -> dict[UUID, Doc]:
    records = FakeRecords()
    for event in events:
        await learn_parties(records, event)
    return records.cases


@pytest.mark.parametrize("events", [
    [opened(), changed(STAYS, left=(LEAVES,)), changed(STAYS, LEAVES, minutes=2), ARBITRATING],
    [opened(), changed(STAYS, left=(LEAVES,), minutes=2), changed(STAYS, LEAVES, minutes=1), opened()],
    [changed(STAYS, left=(LEAVES,)), ARBITRATING, opened()],
], ids=["left and came back, then arbitration", "late copies", "the opening read last"])
async def test_a_batch_leaves_each_case_as_its_events_one_by_one_would(
    events: list[ev.GroupOpened | ev.MembersChanged | ev.ArbitrationStateChanged]
) -> None:
    records = FakeRecords()
    await learn_parties_of(records, events)
    assert records.cases == await one_by_one(events) and records.bulk_writes == 1


async def test_a_batch_goes_on_from_what_was_known_before_it() -> None:
    records = FakeRecords()
    await learn_parties(records, opened())
    await learn_parties_of(records, [changed(STAYS, left=(LEAVES,))])
    assert records.cases == await one_by_one([opened(), changed(STAYS, left=(LEAVES,))])
    assert set(records.cases[GROUP]["departed"]) == {member_ref(LEAVES.registry_number)}


async def test_a_case_another_writer_changed_meanwhile_is_read_again_and_learnt_on_top() -> None:
    records = FakeRecords()
    await learn_parties(records, opened())

    async def another_replica() -> None:  # the same group's later event, from another province's topic
        records.before_write = None
        await learn_parties(records, changed(STAYS, left=(LEAVES,), minutes=2))

    records.before_write = another_replica
    await learn_parties_of(records, [changed(STAYS, LEAVES, minutes=1)])  # older: changes no member
    assert set(records.cases[GROUP]["members"]) == {member_ref(STAYS.registry_number)}
    assert set(records.cases[GROUP]["departed"]) == {member_ref(LEAVES.registry_number)}
