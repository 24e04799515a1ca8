"""DOMAIN.md's people using the running system: registrations in through Kafka, everything else over HTTP."""

import json
import random
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from xueji_contracts.enums import Gender, Role
from xueji_contracts.students import StudentRecord

from services.dedup.demo import synthetic_id_number

from ..unit.dedup.factories import BIRTH, record
from .conftest import System, eventually
from .people import attest_with_evidence, case_of, register, upload_evidence

pytestmark = pytest.mark.integration


async def test_same_district_duplicate_attested_approved_auto_rejected_deleted_and_closed(
    system: System,
) -> None:
    rng = random.Random(uuid.uuid4().int)
    birth = BIRTH + timedelta(days=rng.randrange(3000))  # with the sequence digits: numbers never collide
    number = synthetic_id_number(rng, "110105", birth, Gender.MALE)
    serial = rng.randrange(1000, 9999)
    a = record(serial, number=number, school="1101050011", birth=birth)
    b = record(serial + 1, number=number, school="1101050012", birth=birth)
    await register(a, b)
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as school_a,
        system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as school_b,
        system.client("workflow", Role.SCHOOL_LEADER, b.school_code) as leader_b,
        system.client("workflow", Role.BUREAU_REGISTRAR, "110105") as bureau,
    ):
        case = eventually(lambda: case_of(school_a, {a.registry_number, b.registry_number}))
        group = case["group_id"]
        for school, rec in ((school_a, a), (school_b, b)):
            evidence_id = upload_evidence(system, group, rec)
            attest = {"action": "attest", "evidence_ids": [evidence_id], "opinion": "两个不同的学生"}
            url = f"/v1/cases/{group}/members/{rec.registry_number}/actions"

            def attested(
                client: httpx.Client = school, url: str = url, body: dict[str, Any] = attest
            ) -> bool:
                return client.post(url, json=body).status_code == 200  # once the evidence event has arrived

            eventually(attested)
        approved = bureau.post(
            f"/v1/cases/{group}/members/{a.registry_number}/review", json={"decision": "approved"}
        )
        assert approved.status_code == 200, approved.text
        member_b = next(m for m in approved.json()["members"] if m["registry_number"] == b.registry_number)
        assert member_b["stage"] == "to_handle" and member_b["rejected_reason"]
        url_b = f"/v1/cases/{group}/members/{b.registry_number}"
        assert (
            school_b.post(f"{url_b}/actions", json={"action": "delete", "confirm": True}).status_code == 200
        )
        assert leader_b.post(f"{url_b}/deletion-confirmation").status_code == 200

        # dedup deletes the record, its membership event reaches the workflow, and the group closes
        def closed() -> bool:
            found = case_of(school_a, {a.registry_number, b.registry_number})
            return bool(found and found["closed"])

        assert eventually(closed)
    for role, organisation, expected in (
        (Role.SCHOOL_REGISTRAR, a.school_code, "case.group_closed"),
        (Role.SCHOOL_REGISTRAR, b.school_code, "case.auto_rejected"),
        (Role.BUREAU_REGISTRAR, "110105", "case.action_submitted"),
    ):
        with system.client("notify", role, organisation) as inbox:

            def received(kind: str = expected) -> bool:
                items = inbox.get("/v1/inbox", params={"page_size": 200}).json()["items"]
                return any(n["group_id"] == group and n["event_type"] == kind for n in items)

            assert eventually(received)


def amended_until_closed(system: System, rec: StudentRecord, problem: str, number: str) -> dict[str, Any]:
    """The record's ID problem appears; its school amends it to ``number`` with evidence, its bureau
    approves, dedup re-keys and re-checks the record, and the group closes. The case as it opened."""
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, rec.school_code) as school,
        system.client("workflow", Role.BUREAU_REGISTRAR, rec.district_code) as bureau,
    ):
        case = eventually(lambda: case_of(school, {rec.registry_number}))
        assert case["problem_type"] == problem
        url = f"/v1/cases/{case['group_id']}/members/{rec.registry_number}"
        amend = {
            "action": "amend",
            "evidence_ids": [upload_evidence(system, case["group_id"], rec)],
            "amendment": {"id_number": number, "name": rec.name},
        }
        eventually(lambda: school.post(f"{url}/actions", json=amend).status_code == 200)
        assert bureau.post(f"{url}/review", json={"decision": "approved"}).status_code == 200

        def closed() -> bool:
            found = case_of(school, {rec.registry_number})
            return bool(found and found["closed"])

        assert eventually(closed)
    return case


async def test_id_changed_from_the_population_database_is_amended_to_the_new_number_and_clears(
    system: System,
) -> None:
    rng = random.Random(uuid.uuid4().int)
    birth = BIRTH + timedelta(days=rng.randrange(3000))  # with the sequence digits: numbers never collide
    old = synthetic_id_number(rng, "440103", birth, Gender.MALE)
    new = synthetic_id_number(rng, "440103", birth, Gender.MALE)
    entry = {"id_number": old, "name": "王五", "outcome": "changed", "new_id_number": new}
    with system.population_fixture.open("a", encoding="utf-8") as fixture:
        fixture.write(json.dumps(entry, ensure_ascii=False) + "\n")
    rec = record(
        rng.randrange(1000, 9999),
        district="440103",
        number=old,
        name="王五",
        school="4401030021",
        birth=birth,
    )
    await register(rec)
    case = amended_until_closed(system, rec, "ID_CHANGED", new)
    assert case["suggested_id_number"] == new


async def test_a_bad_check_digit_is_id_not_found_and_amending_to_the_right_number_clears(
    system: System,
) -> None:
    rng = random.Random(uuid.uuid4().int)
    birth = BIRTH + timedelta(days=rng.randrange(3000))  # with the sequence digits: numbers never collide
    right = synthetic_id_number(rng, "320102", birth, Gender.FEMALE)
    wrong = right[:17] + next(c for c in "0123456789X" if c != right[17])  # one check digit off
    rec = record(
        rng.randrange(1000, 9999),
        district="320102",
        number=wrong,
        school="3201020031",
        gender=Gender.FEMALE,
        birth=birth,
    )
    await register(rec)
    amended_until_closed(system, rec, "ID_NOT_FOUND", right)


@pytest.mark.parametrize(
    ("district_a", "district_b", "arbiter"),
    [
        ("440103", "440104", "440100"),  # one city: the city arbitrates
        ("440103", "440303", "440000"),  # two cities of one province: the province arbitrates
        ("110105", "110108", "110000"),  # two districts of a municipality: the municipality (§1)
    ],
)
async def test_two_districts_approve_the_lowest_common_superior_arbitrates_and_the_loser_amends(
    system: System, district_a: str, district_b: str, arbiter: str
) -> None:
    rng = random.Random(uuid.uuid4().int)
    birth = BIRTH + timedelta(days=rng.randrange(3000))  # with the sequence digits: numbers never collide
    number = synthetic_id_number(rng, district_a, birth, Gender.MALE)
    a = record(
        rng.randrange(1000, 9999), district=district_a, number=number, school=f"{district_a}0031", birth=birth
    )
    b = record(
        rng.randrange(1000, 9999), district=district_b, number=number, school=f"{district_b}0032", birth=birth
    )
    await register(a, b)
    members = {a.registry_number, b.registry_number}
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as school_a,
        system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as school_b,
        system.client("workflow", Role.ARBITER, arbiter) as arbiter_client,
        system.client("workflow", Role.OPERATOR, "000000") as operator,
    ):
        group = eventually(lambda: case_of(operator, members))["group_id"]
        for school, rec in ((school_a, a), (school_b, b)):
            attest_with_evidence(system, school, group, rec)
            with system.client("workflow", Role.BUREAU_REGISTRAR, rec.district_code) as bureau:
                url = f"/v1/cases/{group}/members/{rec.registry_number}/review"
                assert bureau.post(url, json={"decision": "approved"}).status_code == 200
        pending = arbiter_client.get("/v1/arbitrations").json()["items"]
        assert group in {c["group_id"] for c in pending}
        decided = arbiter_client.post(
            f"/v1/cases/{group}/arbitration",
            json={"approved_registry_number": a.registry_number, "reason": "先注册"},
        )
        assert decided.status_code == 200 and decided.json()["arbitration_status"] == "decided"
        new_number = synthetic_id_number(rng, district_b, birth, Gender.MALE)
        evidence_id = upload_evidence(system, group, b)
        amend = {
            "action": "amend",
            "evidence_ids": [evidence_id],
            "amendment": {"id_number": new_number, "name": b.name},
        }
        url_b = f"/v1/cases/{group}/members/{b.registry_number}"
        assert school_b.post(f"{url_b}/actions", json=amend).status_code == 200
        with system.client("workflow", Role.BUREAU_REGISTRAR, b.district_code) as bureau_b:
            assert bureau_b.post(f"{url_b}/review", json={"decision": "approved"}).status_code == 200

        def closed() -> bool:
            found = case_of(operator, members)
            return bool(found and found["closed"])

        assert eventually(closed)  # dedup re-keyed b to its new number: no duplicate remains
