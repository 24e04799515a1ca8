"""The orphan sweep: what a crash between an object's write and its record left is removed once old
enough, and counted; young objects and objects a record names stay."""

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest
from prometheus_client import REGISTRY
from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, ProblemType, Role, RuleSet

from services.common.auth import Principal
from services.common.outbox import Entry
from services.evidence.ports import Doc, Parts
from services.evidence.usecases import learn_parties, store_evidence, sweep_orphans

from ..workflow.factories import brief
from .fakes import NOW, FakeObjects, FakeRecords, case_members, fake_parts, multipart
from .samples import JPEG, OLE2, RAR5

GROUP = uuid4()
MEMBER = brief(1, "110105")
REGISTRAR = Principal(subject="r", role=Role.SCHOOL_REGISTRAR, organisation_code=MEMBER.school_code)
BUCKET = "xueji-evidence-110000"
METRIC = "xueji_evidence_orphans_removed_total"


class CrashingRecords(FakeRecords):
    """The same groups as ``records``, but the process dies after an object was written and before
    its record was."""

    def __init__(self, records: FakeRecords) -> None:
        super().__init__()
        self.cases = records.cases

    async def add(self, record: Doc, entries: list[Entry]) -> bool:
        raise ConnectionError("the database went away")


def removed_so_far() -> float:
    return REGISTRY.get_sample_value(METRIC) or 0.0


async def crash_while_storing(parts: Parts, name: str, content: bytes) -> None:
    with pytest.raises(ConnectionError):
        await store_evidence(parts, REGISTRAR, GROUP, MEMBER.registry_number, *multipart((name, content)))


async def a_group(records: FakeRecords) -> None:
    await learn_parties(records, ev.GroupOpened(
        producer="workflow", group_id=GROUP, problem_type=ProblemType.DUPLICATE_ID,
        province_codes=("110000",), rule_set=RuleSet.R2017, members=case_members(MEMBER),
        arbitration_status=ArbitrationStatus.NOT_NEEDED))


def kinds_left(objects: FakeObjects) -> set[str]:
    return {key.rsplit(".", 1)[1] for (_, key), versions in objects.versions.items() if versions}


def at(parts: Parts, minutes: int) -> Parts:
    return replace(parts, clock=lambda: NOW + timedelta(minutes=minutes))


async def test_an_old_orphan_is_removed_and_counted_a_young_one_and_a_recorded_one_stay() -> None:
    parts, objects, records, _ = fake_parts()
    await a_group(records)
    [recorded] = await store_evidence(parts, REGISTRAR, GROUP, MEMBER.registry_number,
                                      *multipart(("kept.jpg", JPEG)))
    crashing = replace(parts, records=CrashingRecords(records))
    await crash_while_storing(crashing, "orphan.doc", OLE2)  # written at NOW
    objects.now = NOW + timedelta(minutes=10)
    await crash_while_storing(crashing, "young.rar", RAR5)  # written ten minutes later
    assert objects.count() == 3
    before = removed_so_far()

    assert await sweep_orphans(at(parts, 20)) == 1  # the bound is 15 minutes
    assert kinds_left(objects) == {"jpg", "rar"} and objects.count() == 2
    assert removed_so_far() == before + 1
    assert (BUCKET, f"{GROUP}/{recorded.evidence_id}.jpg") in objects.versions

    assert await sweep_orphans(at(parts, 30)) == 1  # the young one, once old enough
    assert kinds_left(objects) == {"jpg"} and removed_so_far() == before + 2
    assert await sweep_orphans(at(parts, 24 * 60)) == 0  # the recorded one stays for good


async def test_every_unrecorded_version_in_every_provinces_bucket_is_removed() -> None:
    parts, objects, records, _ = fake_parts()
    for bucket in (BUCKET, "xueji-evidence-440000"):
        for _ in range(2):  # two versions of one key, both unrecorded
            await objects.put(bucket, f"{uuid4()}/{uuid4()}.jpg", b"", "image/jpeg", {})
            await objects.put(bucket, f"{GROUP}/same.jpg", b"\xff\xd8\xff", "image/jpeg", {})
    await objects.put("another-prefix-110000", f"{GROUP}/x.jpg", b"", "image/jpeg", {})  # not ours
    before = removed_so_far()
    assert await sweep_orphans(at(parts, 16)) == 8
    assert objects.count() == 1 and removed_so_far() == before + 8
    assert records.evidence == {}


async def test_objects_kept_before_under_their_old_keys_stay_while_their_records_do() -> None:
    parts, objects, records, _ = fake_parts()
    old_key = f"{GROUP}/{MEMBER.registry_number}/{'ab' * 32}.jpg"
    await objects.put(BUCKET, old_key, JPEG, "image/jpeg", {})
    records.evidence["old"] = {"_id": "old", "group_id": str(GROUP),
                               "registry_number": MEMBER.registry_number, "bucket": BUCKET, "key": old_key}
    assert await sweep_orphans(at(parts, 60)) == 0 and objects.count() == 1
