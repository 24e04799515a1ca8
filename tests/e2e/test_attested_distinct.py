"""Scenario 6: a DUPLICATE_NGB group whose members are all attested and approved closes, and
those records are never flagged again."""

import pytest
from xueji_contracts.enums import IdType, Role

from ..unit.dedup.factories import record
from .conftest import System, eventually
from .people import attest_with_evidence, case_of, fresh_birth, register

pytestmark = pytest.mark.integration


async def test_ngb_duplicates_all_approved_close_and_are_never_flagged_again(system: System) -> None:
    rng, birth = fresh_birth()
    serial = rng.randrange(1000, 9996)
    a, b = (record(serial + i, id_type=IdType.PASSPORT, name="李 娜", school=f"11010500{51 + i}", birth=birth)
            for i in range(2))
    await register(a, b)
    members = {a.registry_number, b.registry_number}
    with (
        system.client("workflow", Role.BUREAU_REGISTRAR, "110105") as bureau,
        system.client("workflow", Role.OPERATOR, "000000") as operator,
    ):
        case = eventually(lambda: case_of(operator, members))
        assert case["problem_type"] == "DUPLICATE_NGB"
        group = case["group_id"]
        for rec in (a, b):
            with system.client("workflow", Role.SCHOOL_REGISTRAR, rec.school_code) as school:
                attest_with_evidence(system, school, group, rec)
            url = f"/v1/cases/{group}/members/{rec.registry_number}/review"
            assert bureau.post(url, json={"decision": "approved"}).status_code == 200  # both may pass

        def closed() -> bool:
            found = case_of(operator, members)
            return bool(found and found["closed"])

        assert eventually(closed)
        # registered again, they open nothing; a later pair of the same kind still does
        c, d = (record(serial + 2 + i, id_type=IdType.PASSPORT, name="王芳", school=f"11010500{53 + i}",
                       birth=birth) for i in range(2))
        await register(a, b)
        await register(c, d)
        eventually(lambda: case_of(operator, {c.registry_number, d.registry_number}))
        cases = operator.get("/v1/cases", params={"page_size": 200, "status": "open"}).json()["items"]
        assert not [x for x in cases if {m["registry_number"] for m in x["members"]} & members]
