"""Personal data travels only where DOMAIN §8 lets it (issue: a G registry number is an ID number).

The document's scenarios run with G, L and J records in two provinces; then every MongoDB
document of the system's database, every object key and its metadata, every message of the two
case topics for these groups, every API answer each party received and every service log are
scanned for the raw ID numbers, the raw G numbers and the names of students the reader may not
see. Leaves out, because the work needs them there (README "Personal data"): the registration
and population topics, the dead-letter topic, and outbox entries not yet published.
"""

import asyncio
import json
from typing import Any

import httpx
import pytest
from minio import Minio
from pymongo import MongoClient
from xueji_contracts.enums import Gender, IdType, RecordStatus, Role
from xueji_contracts.students import StudentRecord
from xueji_contracts.topics import case_topic

from services.common.settings import ServiceSettings
from services.dedup.demo import synthetic_id_number
from services.evidence.settings import EvidenceSettings

from ..consumer_groups import read_all
from ..messages import decoded_or_none
from ..unit.dedup.factories import record
from .conftest import System, eventually
from .people import attest_with_evidence, fresh_birth, register

pytestmark = pytest.mark.integration
BEIJING, GUANGDONG = "110000", "440000"


def j_record(district: str, school: str, name: str, birth: Any, serial: int) -> StudentRecord:
    """A J record: J + region + birth date + sequence + check, for a student without a usable ID."""
    return StudentRecord(registry_number=f"J{district}{birth:%Y%m%d}{serial % 1000:03d}X", name=name,
                         gender=Gender.FEMALE, birth_date=birth, id_type=IdType.PASSPORT,
                         id_number=f"E{serial:07d}", school_code=school, district_code=district)


def group_of(operator: httpx.Client, records: list[StudentRecord]) -> str:
    wanted = {r.registry_number for r in records}

    def found() -> str | None:
        for case in operator.get("/v1/cases", params={"page_size": 200}).json()["items"]:
            if {m["registry_number"] for m in case["members"]} == wanted:
                return str(case["group_id"])
        return None

    return eventually(found)


def approve(system: System, group: str, rec: StudentRecord) -> None:
    with (system.client("workflow", Role.SCHOOL_REGISTRAR, rec.school_code) as school,
          system.client("workflow", Role.BUREAU_REGISTRAR, rec.district_code) as bureau):
        attest_with_evidence(system, school, group, rec)
        url = f"/v1/cases/{group}/members/{rec.registry_number}/review"
        assert bureau.post(url, json={"decision": "approved"}).status_code == 200


def found_in(text: str, secrets: dict[str, str]) -> list[str]:
    return [what for what, secret in secrets.items() if secret in text]


async def test_personal_data_travels_only_where_the_document_allows(system: System) -> None:
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, "110105", birth, Gender.MALE)  # one person's number, three records
    other_number = synthetic_id_number(rng, "440103", birth, Gender.MALE)
    serial = rng.randrange(1000, 9000)
    a = record(serial, number=number, prefix="G", status=RecordStatus.FORMAL, school="1101050081",
               name="王小明", birth=birth)
    b = record(serial + 1, district="440103", number=number, school="4401030082", name="李小红", birth=birth,
               status=RecordStatus.FORMAL).model_copy(update={"registry_number": f"G{other_number}"})
    c = record(serial + 2, district="110108", number=number, school="1101080083", name="张小刚", birth=birth)
    j = j_record("110105", "1101050084", "赵敏", birth, serial + 3)
    k = record(serial + 4, district="440103", school="4401030085", name="赵敏", birth=birth,
               gender=Gender.FEMALE, id_type=IdType.PASSPORT, number=f"E{serial + 4:07d}")
    await register(a, b, c, j, k)
    names = {r.registry_number: r.name for r in (a, b, c, j, k)}
    answers: dict[str, list[str]] = {}  # reader → every API answer it received

    def read(reader: str, client: httpx.Client, path: str) -> Any:
        response = client.get(path)
        answers.setdefault(reader, []).append(response.text)
        return response.json()

    with system.client("workflow", Role.OPERATOR, "000000") as operator:
        duplicate, ngb = group_of(operator, [a, b, c]), group_of(operator, [j, k])
        approve(system, duplicate, a)  # Beijing's side: undecided while c can still attest
        approve(system, duplicate, b)  # Guangdong's side finishes on its own (no arbitration)
        with (system.client("workflow", Role.SCHOOL_REGISTRAR, c.school_code) as school_c,
              system.client("workflow", Role.SCHOOL_LEADER, c.school_code) as leader_c):
            url = f"/v1/cases/{duplicate}/members/{c.registry_number}"
            delete = {"action": "delete", "confirm": True}
            assert school_c.post(f"{url}/actions", json=delete).status_code == 200
            assert leader_c.post(f"{url}/deletion-confirmation").status_code == 200
        approve(system, ngb, j)
        approve(system, ngb, k)
        eventually(lambda: all(operator.get(f"/v1/cases/{g}").json()["closed"] for g in (duplicate, ngb)))

    parties = {
        "school a": (Role.SCHOOL_REGISTRAR, a.school_code),
        "school b": (Role.SCHOOL_REGISTRAR, b.school_code),
        "school c": (Role.SCHOOL_REGISTRAR, c.school_code),
        "leader c": (Role.SCHOOL_LEADER, c.school_code),
        "bureau 110105": (Role.BUREAU_REGISTRAR, "110105"),
        "bureau 440103": (Role.BUREAU_REGISTRAR, "440103"),
        "school j": (Role.SCHOOL_REGISTRAR, j.school_code),
        "school k": (Role.SCHOOL_REGISTRAR, k.school_code),
        "province 440000": (Role.PROVINCE_SUBSCRIBER, GUANGDONG),
    }
    for reader, (role, org) in parties.items():
        with system.client("workflow", role, org) as workflow, system.client("notify", role, org) as notify:
            for group in (duplicate, ngb):
                if workflow.get(f"/v1/cases/{group}").status_code == 200:
                    read(reader, workflow, f"/v1/cases/{group}")
                    read(reader, workflow, f"/v1/cases/{group}/history")
            read(reader, workflow, "/v1/cases?page_size=200")
            read(reader, notify, "/v1/inbox?page_size=200")

    # what each reader may not see: names of other schools' students, and the ID and G numbers of
    # every student outside the reader's own school (and, across provinces, of the other province)
    every_name = {f"name of {rn}": name for rn, name in names.items()}
    g_numbers = {"a's G number (its ID number)": number, "b's G number": other_number}
    forbidden = {
        "school a": {**{k: v for k, v in every_name.items() if a.registry_number not in k},
                     "b's G number": other_number},
        "school b": {**{k: v for k, v in every_name.items() if b.registry_number not in k},
                     "a's G number (its ID number)": number},
        "school c": {**every_name, **g_numbers},
        "leader c": {**every_name, **g_numbers},
        "bureau 110105": {**every_name, "b's G number": other_number},
        "bureau 440103": {**every_name, "a's G number (its ID number)": number},
        "school j": {**every_name, **g_numbers},
        "school k": {**every_name, **g_numbers},
        "province 440000": {**every_name, "a's G number (its ID number)": number},
    }
    leaks = {reader: found_in("\n".join(texts), forbidden[reader]) for reader, texts in answers.items()}
    assert all(not found for found in leaks.values()), leaks

    # case topics: a province's copy names the other province's members by reference only
    for province, other in ((BEIJING, "b's G number"), (GUANGDONG, "a's G number (its ID number)")):
        ours = [m.value.decode() for m in await read_all(case_topic(province))
                if (e := decoded_or_none(m.value)) and e.get("group_id") in (duplicate, ngb)]
        assert ours and found_in("\n".join(ours), {**every_name, other: g_numbers[other]}) == []

    # MongoDB: no name anywhere; ID and G numbers only in the workflow's cases (the owning school's view)
    client: MongoClient[dict[str, Any]] = MongoClient(ServiceSettings().MONGO_URI.get_secret_value())
    try:
        db = client[system.database]
        owner_view = json.dumps(db["workflow_cases"].find_one({"_id": duplicate}), default=str)
        assert number in owner_view  # the scan sees a G number where it may be (a's school's own view)
        for name in db.list_collection_names():
            for doc in db[name].find({}, {"outbox": 0}):
                text = json.dumps(doc, default=str, ensure_ascii=False)
                allowed = {} if name == "workflow_cases" else g_numbers
                assert found_in(text, {**every_name, **allowed}) == [], (name, doc["_id"])
    finally:
        client.close()

    # object store: keys and metadata name nobody
    settings = EvidenceSettings()
    s3 = Minio(settings.S3_ENDPOINT, settings.S3_ACCESS_KEY, settings.S3_SECRET_KEY.get_secret_value(),
               secure=settings.S3_SECURE, region=settings.S3_REGION)
    objects = 0
    for bucket in (b.name for b in s3.list_buckets() if b.name.startswith(f"e2e-{system.unique}")):
        for item in s3.list_objects(bucket, recursive=True):
            stat = s3.stat_object(bucket, item.object_name or "")
            text = f"{item.object_name} {json.dumps(dict(stat.metadata or {}), ensure_ascii=False)}"
            assert found_in(text, {**every_name, **g_numbers}) == [], text
            objects += 1
    assert objects >= 4  # one evidence file per attestation

    # logs: as clean as ever
    await asyncio.sleep(1)
    for log in system.home.glob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert found_in(text, {**every_name, **g_numbers}) == [], log
