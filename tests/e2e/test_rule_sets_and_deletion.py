"""Scenario 3: an L record duplicated with a G record attests under rule set 2017 and is refused
under 2014; a G record is deleted with leader confirmation and bureau review; a pending record
is deleted by registrar and leader alone."""

import httpx
import pytest
from xueji_contracts.enums import Gender, RecordStatus, Role

from services.dedup.demo import synthetic_id_number

from ..unit.dedup.factories import record
from .conftest import System, eventually
from .people import attest_with_evidence, case_of, fresh_birth, register, upload_evidence

pytestmark = pytest.mark.integration
DELETE = {"action": "delete", "confirm": True}


def closed(client: httpx.Client, members: set[str]) -> bool:
    found = case_of(client, members)
    return bool(found and found["closed"])


async def test_l_with_g_attests_under_2017_and_the_g_record_is_deleted_after_bureau_review(
    system: System,
) -> None:
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, "110105", birth, Gender.MALE)
    g = record(0, number=number, prefix="G", status=RecordStatus.FORMAL, school="1101050041", birth=birth)
    low = record(rng.randrange(1000, 9999), number=number, school="1101050042", birth=birth)
    await register(g, low)
    members = {g.registry_number, low.registry_number}
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, low.school_code) as school_l,
        system.client("workflow", Role.SCHOOL_REGISTRAR, g.school_code) as school_g,
        system.client("workflow", Role.SCHOOL_LEADER, g.school_code) as leader_g,
        system.client("workflow", Role.BUREAU_REGISTRAR, "110105") as bureau,
    ):
        case = eventually(lambda: case_of(school_l, members))
        assert case["rule_set"] == "2017"
        group = case["group_id"]
        attest_with_evidence(system, school_l, group, low)  # 2017: an L record beside a G one may attest
        url_g = f"/v1/cases/{group}/members/{g.registry_number}"
        unconfirmed = school_g.post(f"{url_g}/actions", json={"action": "delete"})
        assert unconfirmed.status_code == 422  # an API deletion needs the explicit confirmation
        assert school_g.post(f"{url_g}/actions", json=DELETE).status_code == 200
        assert leader_g.post(f"{url_g}/deletion-confirmation").status_code == 200
        now = eventually(lambda: case_of(school_g, members))
        stages = {m["registry_number"]: m["stage"] for m in now["members"]}
        assert stages[g.registry_number] == "awaiting_review"  # a G record: the bureau reviews too
        assert bureau.post(f"{url_g}/review", json={"decision": "approved"}).status_code == 200
        assert eventually(lambda: closed(school_l, members))


async def test_a_pending_record_is_deleted_by_registrar_and_leader_alone(system: System) -> None:
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, "110108", birth, Gender.FEMALE)
    serial = rng.randrange(1000, 9998)
    a = record(serial, district="110108", number=number, gender=Gender.FEMALE, school="1101080043",
               birth=birth)
    b = record(serial + 1, district="110108", number=number, gender=Gender.FEMALE, school="1101080044",
               birth=birth)
    await register(a, b)
    members = {a.registry_number, b.registry_number}
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as school_b,
        system.client("workflow", Role.SCHOOL_LEADER, b.school_code) as leader_b,
        system.client("workflow", Role.BUREAU_REGISTRAR, "110108") as bureau,
    ):
        group = eventually(lambda: case_of(school_b, members))["group_id"]
        url_b = f"/v1/cases/{group}/members/{b.registry_number}"
        assert school_b.post(f"{url_b}/actions", json=DELETE).status_code == 200
        assert leader_b.post(f"{url_b}/deletion-confirmation").status_code == 200
        assert eventually(lambda: closed(school_b, members))  # no bureau review for a pending record
        reviews = bureau.get("/v1/reviews").json()["items"]
        assert group not in {c["group_id"] for c in reviews}


async def test_under_rule_set_2014_an_l_record_beside_a_g_record_may_not_attest(system: System) -> None:
    system.restart_with("workflow", {"XUEJI_RULE_SET": "2014"})
    try:
        rng, birth = fresh_birth()
        number = synthetic_id_number(rng, "120101", birth, Gender.MALE)
        g = record(0, district="120101", number=number, prefix="G", status=RecordStatus.FORMAL,
                   school="1201010045", birth=birth)
        low = record(rng.randrange(1000, 9999), district="120101", number=number, school="1201010046",
                     birth=birth)
        await register(g, low)
        with system.client("workflow", Role.SCHOOL_REGISTRAR, low.school_code) as school_l:
            case = eventually(lambda: case_of(school_l, {g.registry_number, low.registry_number}))
            assert case["rule_set"] == "2014"
            group = case["group_id"]
            evidence_id = upload_evidence(system, group, low)
            attest = {"action": "attest", "evidence_ids": [evidence_id], "opinion": "本校学生"}
            url = f"/v1/cases/{group}/members/{low.registry_number}/actions"

            def refused() -> dict[str, str] | None:
                response = school_l.post(url, json=attest)
                return response.json() if response.status_code == 409 else None

            problem = eventually(refused)
            assert problem["rule"] == "rule_set_2014.l_with_g_may_not_attest"
    finally:
        system.restart_with("workflow", {})
