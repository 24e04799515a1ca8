"""DOMAIN §8: a G registry number is ``G`` + the full ID number, so nothing the evidence service
keeps or hands out carries one. Object keys, object metadata, evidence records, what it knows of a
group's members and the links name a member by its ``member_ref`` or the evidence id only."""

import json
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from minio import Minio
from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, ProblemType, Role, RuleSet

from services.common.auth import Principal
from services.common.errors import OutsideJurisdiction
from services.evidence.adapters.objects import ObjectStore
from services.evidence.domain.keys import evidence_id, object_key
from services.evidence.ports import Parts
from services.evidence.usecases import Stored, learn_parties, link_evidence, store_evidence

from ..workflow.factories import brief
from .fakes import (
    FakeObjects,
    FakeRecords,
    RecordingPublisher,
    case_members,
    fake_parts,
    member_ref,
    multipart,
)
from .samples import JPEG, OLE2

GROUP = uuid4()
MEMBER, OTHER = brief(1, "110105", prefix="G"), brief(2, "440103", prefix="G")
RN, SCHOOL = MEMBER.registry_number, MEMBER.school_code
NUMBERS = [n for m in (MEMBER, OTHER) for n in (m.registry_number, m.registry_number[1:])]  # with ID numbers
BUCKET = "xueji-evidence-110000"
NAMES = ("张三的证明.jpg", "户口本.doc")
COMMON = {"producer": "workflow", "group_id": GROUP, "problem_type": ProblemType.DUPLICATE_ID,
          "province_codes": ("110000", "440000")}


def registrar(organisation: str = SCHOOL) -> Principal:
    return Principal(subject="r", role=Role.SCHOOL_REGISTRAR, organisation_code=organisation)


def text(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def carries_the_number(value: Any) -> bool:
    """Whether a member's G number or its 18-digit ID number appears anywhere in ``value``."""
    return any(number in text(value) for number in NUMBERS)


Upload = tuple[Parts, list[Stored], FakeObjects, FakeRecords, RecordingPublisher]


async def stored_for_a_g_member() -> Upload:
    parts, objects, records, published = fake_parts()
    opened = ev.GroupOpened(**COMMON, rule_set=RuleSet.R2017, members=case_members(MEMBER, OTHER),
                            arbitration_status=ArbitrationStatus.PENDING)
    await learn_parties(records, opened)
    await learn_parties(records, ev.ArbitrationStateChanged(**COMMON, status=ArbitrationStatus.PENDING,
                                                            arbiter_code="000000"))
    upload = multipart((NAMES[0], JPEG), (NAMES[1], OLE2))
    stored = await store_evidence(parts, registrar(), GROUP, RN, *upload)
    return parts, stored, objects, records, published


def test_the_samples_are_g_numbers_of_18_digit_id_numbers() -> None:
    for member in (MEMBER, OTHER):
        number = member.registry_number
        assert number.startswith("G") and len(number[1:]) == 18 and number[1:].isdigit()


async def test_object_keys_and_metadata_name_the_member_by_member_ref_and_carry_no_file_name() -> None:
    _, stored, objects, _, _ = await stored_for_a_g_member()
    ids = {str(s.evidence_id) for s in stored}
    assert {key for _, key in objects.versions} == {f"{GROUP}/{s.evidence_id}.{s.file.kind}" for s in stored}
    for (bucket, key), versions in objects.versions.items():
        assert bucket == BUCKET and not carries_the_number(key)
        for _, _, metadata in versions:
            assert not carries_the_number(metadata), metadata
            assert metadata["member-ref"] == member_ref(RN) and metadata["evidence-id"] in ids
            assert metadata["group-id"] == str(GROUP) and metadata["uploaded-by"] == SCHOOL
            for name in NAMES:  # a file name may carry a student's name: neither plain nor hex-encoded
                assert name not in text(metadata) and name.encode().hex() not in text(metadata)


async def test_records_and_the_known_members_hold_no_registry_number() -> None:
    _, stored, _, records, published = await stored_for_a_g_member()
    for one in stored:
        record = {k: v for k, v in records.evidence[str(one.evidence_id)].items() if k != "outbox"}
        assert not carries_the_number(record), record
        assert record["member_ref"] == member_ref(RN)
        assert record["name"] == one.file.name  # kept for the reviewer's list
    case = records.cases[GROUP]
    assert not carries_the_number(case), case
    assert set(case["members"]) == {member_ref(RN), member_ref(OTHER.registry_number)}
    # the event keeps the number: an internal topic, and the workflow matches evidence to members by it
    assert {e["registry_number"] for e in published.events()} == {RN}


@pytest.mark.parametrize(
    ("role", "organisation", "allowed"),
    [
        (Role.SCHOOL_REGISTRAR, SCHOOL, True),
        (Role.SCHOOL_LEADER, SCHOOL, True),
        (Role.BUREAU_REGISTRAR, "110105", True),
        (Role.ARBITER, "000000", True),
        (Role.SCHOOL_REGISTRAR, OTHER.school_code, False),
        (Role.BUREAU_REGISTRAR, "440103", False),
        (Role.ARBITER, "110000", False),
        (Role.OPERATOR, "000000", False),
    ],
)
async def test_links_carry_no_registry_number_and_go_only_to_the_members_parties(
    role: Role, organisation: str, allowed: bool
) -> None:
    parts, stored, _, records, _ = await stored_for_a_g_member()
    reader = Principal(subject="p", role=role, organisation_code=organisation)
    for one in stored:
        if not allowed:
            with pytest.raises(OutsideJurisdiction):
                await link_evidence(parts, reader, one.evidence_id)
            continue
        url = await link_evidence(parts, reader, one.evidence_id)
        assert not carries_the_number(url) and f"{GROUP}/{one.evidence_id}.{one.file.kind}" in url
    assert len(records.links) == (len(stored) if allowed else 0) and not carries_the_number(records.links)


async def test_the_real_adapters_presigned_link_names_only_the_bucket_and_the_object() -> None:
    # signing happens locally once the region is known: no server is reached
    store = ObjectStore(Minio("127.0.0.1:9", access_key="key", secret_key="secret", secure=False,
                              region="us-east-1"))
    evidence = evidence_id(BUCKET, GROUP, member_ref(RN), "ab" * 32, "jpg")
    key = object_key(GROUP, evidence, "jpg")
    url = await store.link(BUCKET, key, 300)
    assert not carries_the_number(url) and urlsplit(url).path == f"/{BUCKET}/{key}"
    assert "response-content-disposition" not in url.lower()  # no download name that could carry one


def test_one_evidence_id_per_content_member_and_group() -> None:
    ref, sha = member_ref(RN), "ab" * 32
    same = evidence_id(BUCKET, GROUP, ref, sha, "jpg")
    assert same == evidence_id(BUCKET, GROUP, ref, sha, "jpg")
    others = {
        evidence_id(BUCKET, GROUP, member_ref(OTHER.registry_number), sha, "jpg"),  # another member
        evidence_id(BUCKET, uuid4(), ref, sha, "jpg"),  # another group
        evidence_id(BUCKET, GROUP, ref, "cd" * 32, "jpg"),  # other content
    }
    assert len(others) == 3 and same not in others
    assert object_key(GROUP, same, "jpg") == f"{GROUP}/{same}.jpg"


async def test_evidence_and_members_kept_before_by_registry_number_are_still_found() -> None:
    parts, objects, records, _ = fake_parts()
    placement = {"school_code": SCHOOL, "district_code": "110105", "province_code": "110000"}
    records.cases[GROUP] = {"members": {RN: placement}, "arbiter_code": "000000"}  # as written before
    old = uuid4()
    records.evidence[str(old)] = {"_id": str(old), "group_id": str(GROUP), "registry_number": RN,
                                  "bucket": BUCKET, "key": f"{GROUP}/{RN}/{'ab' * 32}.jpg"}
    assert (await link_evidence(parts, registrar(), old)).startswith(f"https://s3.test/{BUCKET}/")
    assert set(records.cases[GROUP]["members"]) == {member_ref(RN)}  # moved to its member_ref
    [new] = await store_evidence(parts, registrar(), GROUP, RN, *multipart(("a.jpg", JPEG)))
    assert not carries_the_number(records.evidence[str(new.evidence_id)]["key"])
    assert not carries_the_number([key for key in objects.versions])  # the new upload's key
    with pytest.raises(OutsideJurisdiction):
        await link_evidence(parts, registrar(OTHER.school_code), old)
    # the group's next membership event adds to what it knows, by member_ref only
    joined = ev.MembersChanged(**COMMON, members=case_members(MEMBER, OTHER),
                               joined=(member_ref(OTHER.registry_number),))
    await learn_parties(records, joined)
    assert set(records.cases[GROUP]["members"]) == {member_ref(RN), member_ref(OTHER.registry_number)}
    assert (await link_evidence(parts, registrar(), old)).startswith(f"https://s3.test/{BUCKET}/")
