"""Scenario 4: re-initiate after attestation — refused while arbitration is undecided or pending,
accepted once the group is closed, as a new one-member group for that school and its bureau only."""

import pytest
from xueji_contracts.enums import Gender, Role

from services.dedup.demo import synthetic_id_number

from ..unit.dedup.factories import record
from .conftest import System, eventually
from .people import attest_with_evidence, case_of, fresh_birth, register

pytestmark = pytest.mark.integration


async def test_reinitiation_waits_for_arbitration_and_then_involves_one_side_only(system: System) -> None:
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, "110105", birth, Gender.MALE)
    a = record(rng.randrange(1000, 9999), number=number, school="1101050061", birth=birth)
    b = record(rng.randrange(1000, 9999), district="110108", number=number, school="1101080062", birth=birth)
    await register(a, b)
    members = {a.registry_number, b.registry_number}
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as school_a,
        system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as school_b,
        system.client("workflow", Role.SCHOOL_LEADER, b.school_code) as leader_b,
        system.client("workflow", Role.BUREAU_REGISTRAR, "110105") as bureau_a,
        system.client("workflow", Role.BUREAU_REGISTRAR, "110108") as bureau_b,
        system.client("workflow", Role.ARBITER, "110000") as city,
    ):
        group = eventually(lambda: case_of(school_a, members))["group_id"]
        attest_with_evidence(system, school_a, group, a)
        attest_with_evidence(system, school_b, group, b)
        url_a, url_b = (f"/v1/cases/{group}/members/{rec.registry_number}" for rec in (a, b))
        reinitiate = {"confirm": True}
        assert bureau_a.post(f"{url_a}/review", json={"decision": "approved"}).status_code == 200
        assert case_of(school_a, members)["arbitration_status"] == "undecided"  # type: ignore[index]
        assert school_a.post(f"{url_a}/reinitiation", json=reinitiate).status_code == 409
        assert bureau_b.post(f"{url_b}/review", json={"decision": "approved"}).status_code == 200
        assert case_of(school_a, members)["arbitration_status"] == "pending"  # type: ignore[index]
        assert school_a.post(f"{url_a}/reinitiation", json=reinitiate).status_code == 409
        decided = city.post(f"/v1/cases/{group}/arbitration",
                            json={"approved_registry_number": a.registry_number, "reason": "学籍信息一致"})
        assert decided.status_code == 200
        deletion = school_b.post(f"{url_b}/actions", json={"action": "delete", "confirm": True})
        assert deletion.status_code == 200
        assert leader_b.post(f"{url_b}/deletion-confirmation").status_code == 200
        # b is formal since its bureau approved its attestation: its deletion goes to that bureau
        assert bureau_b.post(f"{url_b}/review", json={"decision": "approved"}).status_code == 200
        eventually(lambda: (case_of(school_a, members) or {}).get("closed"))

        assert school_a.post(f"{url_a}/reinitiation", json={"confirm": False}).status_code == 422
        reopened = school_a.post(f"{url_a}/reinitiation", json=reinitiate)
        assert reopened.status_code == 200, reopened.text
        new = reopened.json()
        assert new["linked_group_id"] == group
        assert [m["registry_number"] for m in new["members"]] == [a.registry_number]
        assert bureau_a.get(f"/v1/cases/{new['group_id']}").status_code == 200
        for other_side in (school_b, bureau_b):  # the other side is not involved
            assert other_side.get(f"/v1/cases/{new['group_id']}").status_code == 403
            listed = other_side.get("/v1/cases", params={"page_size": 200}).json()["items"]
            assert new["group_id"] not in {c["group_id"] for c in listed}
