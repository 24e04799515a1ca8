"""The evidence use cases against in-memory ports: no S3, no database, no broker."""

from uuid import UUID, uuid4

import pytest
from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, ProblemType, Role, RuleSet

from services.common.auth import Principal
from services.common.errors import NotFound, OutsideJurisdiction
from services.evidence.domain.files import FileRefused
from services.evidence.usecases import learn_parties, link_evidence, store_evidence

from ..workflow.factories import brief
from .fakes import NOW, FakeRecords, case_members, fake_parts, member_ref, multipart
from .samples import EXE, JPEG, OLE2

GROUP = uuid4()
MEMBER = brief(1, "110105")
RN, SCHOOL = MEMBER.registry_number, MEMBER.school_code
REGISTRAR = Principal(subject="r", role=Role.SCHOOL_REGISTRAR, organisation_code=SCHOOL)
COMMON = {"producer": "workflow", "group_id": GROUP, "problem_type": ProblemType.DUPLICATE_ID,
          "province_codes": ("110000",)}


def opened() -> ev.GroupOpened:
    return ev.GroupOpened(**COMMON, rule_set=RuleSet.R2017, members=case_members(MEMBER),
                          arbitration_status=ArbitrationStatus.NOT_NEEDED)


async def known(records: FakeRecords, arbiter: str | None = None) -> None:
    await learn_parties(records, opened())
    if arbiter:
        await learn_parties(records, ev.ArbitrationStateChanged(**COMMON, status=ArbitrationStatus.PENDING,
                                                                arbiter_code=arbiter))


async def test_an_upload_stores_each_file_and_announces_it_with_its_record() -> None:
    parts, objects, records, published = fake_parts()
    await known(records)
    headers, body = multipart(("证明.doc", OLE2), ("photo.jpg", JPEG))
    stored = await store_evidence(parts, REGISTRAR, GROUP, RN, headers, body)
    assert [(s.file.name, s.file.kind, s.new) for s in stored] == [("证明.doc", "doc", True),
                                                                   ("photo.jpg", "jpg", True)]
    assert objects.buckets == {"xueji-evidence-110000"} and objects.count() == 2
    record = records.evidence[str(stored[1].evidence_id)]
    assert (record["member_ref"], record["uploaded_by"], record["at"]) == (member_ref(RN), SCHOOL, NOW)
    assert record["key"] == f"{GROUP}/{stored[1].evidence_id}.jpg" and record["name"] == "photo.jpg"
    events = published.events()
    assert [e["event_type"] for e in events] == ["evidence.stored", "evidence.stored"]
    assert [UUID(e["evidence_id"]) for e in events] == [s.evidence_id for s in stored]
    assert {e["registry_number"] for e in events} == {RN}  # the workflow's internal topic keeps it


async def test_the_same_content_again_is_recorded_once_and_its_new_copy_removed() -> None:
    parts, objects, records, published = fake_parts()
    await known(records)
    first = await store_evidence(parts, REGISTRAR, GROUP, RN, *multipart(("a.jpg", JPEG)))
    again = await store_evidence(parts, REGISTRAR, GROUP, RN, *multipart(("b.jpg", JPEG)))
    assert again[0].evidence_id == first[0].evidence_id and not again[0].new
    assert objects.count() == 1 and len(records.evidence) == 1 and len(published.events()) == 1


async def test_only_the_members_school_uploads_and_a_stranger_stores_nothing() -> None:
    parts, objects, records, _ = fake_parts()
    await known(records)
    other = Principal(subject="o", role=Role.SCHOOL_REGISTRAR, organisation_code="1101050002")
    with pytest.raises(OutsideJurisdiction):
        await store_evidence(parts, other, GROUP, RN, *multipart(("a.jpg", JPEG)))
    with pytest.raises(NotFound):
        await store_evidence(parts, REGISTRAR, uuid4(), RN, *multipart(("a.jpg", JPEG)))
    assert objects.count() == 0


async def test_one_refused_file_stores_nothing_of_the_upload() -> None:
    parts, objects, records, published = fake_parts()
    await known(records)
    with pytest.raises(FileRefused) as refused:
        await store_evidence(parts, REGISTRAR, GROUP, RN, *multipart(("a.jpg", JPEG), ("b.jpg", EXE)))
    assert refused.value.rule == "file.content_matches_type"
    assert objects.count() == 0 and records.evidence == {} and published.written == []


async def test_a_link_goes_to_the_members_arbiter_and_is_audited_but_not_to_a_stranger() -> None:
    parts, _, records, _ = fake_parts()
    await known(records, arbiter="110000")
    [stored] = await store_evidence(parts, REGISTRAR, GROUP, RN, *multipart(("a.jpg", JPEG)))
    arbiter = Principal(subject="a", role=Role.ARBITER, organisation_code="110000")
    url = await link_evidence(parts, arbiter, stored.evidence_id)
    assert url.startswith("https://s3.test/xueji-evidence-110000/") and url.endswith("?expires=300")
    assert records.links == [{"evidence_id": str(stored.evidence_id), "subject": "a", "role": "arbiter",
                              "organisation_code": "110000", "expires_in_seconds": 300}]
    stranger = Principal(subject="s", role=Role.BUREAU_REGISTRAR, organisation_code="440103")
    with pytest.raises(OutsideJurisdiction):
        await link_evidence(parts, stranger, stored.evidence_id)
    with pytest.raises(NotFound):
        await link_evidence(parts, arbiter, uuid4())
    assert len(records.links) == 1


async def test_members_and_the_arbiter_are_learnt_from_the_events_that_tell() -> None:
    records = FakeRecords()
    await learn_parties(records, opened())
    joining = brief(2, "110108")
    await learn_parties(records, ev.MembersChanged(**COMMON, members=case_members(MEMBER, joining),
                                                   joined=(member_ref(joining.registry_number),)))
    await learn_parties(records, ev.ArbitrationStateChanged(**COMMON, status=ArbitrationStatus.NOT_NEEDED))
    case = await records.case(GROUP) or {}
    assert set(case["members"]) == {member_ref(RN), member_ref(joining.registry_number)}
    assert case["members"][member_ref(joining.registry_number)] == {
        "school_code": joining.school_code, "district_code": "110108", "province_code": "110000"}
    assert "arbiter_code" not in case  # an arbitration state without an arbiter names nobody
    await known(records, arbiter="110000")
    assert (await records.case(GROUP) or {})["arbiter_code"] == "110000"
