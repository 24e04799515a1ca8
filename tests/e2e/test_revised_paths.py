"""The document's own paths that the revised DOMAIN.md decides (§4–6), through every service as a
process: outcomes survive a group's end, formal records go to the bureau, no arbitration across
provinces, no member waits for dedup forever, a record joining a closed group is handled.

(The arbiter of each kind of division, defect 3, is the parametrised arbitration scenario in
``test_scenarios.py``: city, province and municipality.)"""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from xueji_contracts.enums import Gender, Role
from xueji_contracts.students import StudentRecord

from services.dedup.demo import synthetic_id_number

from ..unit.dedup.factories import record
from .conftest import System, eventually
from .people import attest_with_evidence, case_of, fresh_birth, register, upload_evidence

pytestmark = pytest.mark.integration
APPROVED = {"decision": "approved"}


def url(group: str, rec: StudentRecord, what: str) -> str:
    return f"/v1/cases/{group}/members/{rec.registry_number}/{what}"


def member(case: dict[str, Any], rec: StudentRecord) -> dict[str, Any]:
    return dict(next(m for m in case["members"] if m["registry_number"] == rec.registry_number))


def amend(system: System, school: httpx.Client, group: str, rec: StudentRecord, number: str) -> None:
    body = {"action": "amend", "evidence_ids": [upload_evidence(system, group, rec)],
            "amendment": {"id_number": number, "name": rec.name}}
    eventually(lambda: school.post(url(group, rec, "actions"), json=body).status_code == 200)


def case_once(client: httpx.Client, members: set[str], ready: Callable[[dict[str, Any]], bool]
              ) -> dict[str, Any]:
    """The case of exactly these members, once ``ready`` holds of it."""
    def check() -> dict[str, Any] | None:
        found = case_of(client, members)
        return found if found and ready(found) else None

    return eventually(check)


def group_once(client: httpx.Client, group: str, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        response = client.get(f"/v1/cases/{group}")
        found: dict[str, Any] | None = response.json() if response.status_code == 200 else None
        return found if found and ready(found) else None

    return eventually(check)


def approve(system: System, group: str, rec: StudentRecord) -> None:
    with system.client("workflow", Role.BUREAU_REGISTRAR, rec.district_code) as bureau:
        answer = bureau.post(url(group, rec, "review"), json=APPROVED)
        assert answer.status_code == 200, answer.text


def attested_and_approved(system: System, group: str, rec: StudentRecord) -> None:
    with system.client("workflow", Role.SCHOOL_REGISTRAR, rec.school_code) as school:
        attest_with_evidence(system, school, group, rec)
    approve(system, group, rec)


def pair(district_a: str, district_b: str) -> tuple[StudentRecord, StudentRecord, str, Any]:
    """Two records of one ID number at schools of their own."""
    rng, birth = fresh_birth()
    number = synthetic_id_number(rng, district_a, birth, Gender.MALE)
    a, b = (record(rng.randrange(1000, 9999), district=d, number=number, school=f"{d}00{71 + i}",
                   birth=birth) for i, d in enumerate((district_a, district_b)))
    return a, b, number, rng


async def test_an_approved_attestation_survives_the_other_member_amended_away(system: System) -> None:
    """Defect 1: A's bureau approves A; B is amended away; A stays attested and re-initiable."""
    a, b, _, rng = pair("110105", "110108")
    await register(a, b)
    members = {a.registry_number, b.registry_number}
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as school_a,
        system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as school_b,
    ):
        group = eventually(lambda: case_of(school_a, members))["group_id"]
        attested_and_approved(system, group, a)
        assert case_of(school_a, members)["arbitration_status"] == "undecided"  # type: ignore[index]
        amend(system, school_b, group, b, synthetic_id_number(rng, "110108", b.birth_date, Gender.MALE))
        approve(system, group, b)
        closed = case_once(school_a, members, lambda c: c["closed"])
        assert member(closed, a)["outcome"] == "attested"  # never "left the group"
        assert member(closed, b)["outcome"] == "amended"
        assert "reinitiate" in member(closed, a)["next_steps"]
        reopened = school_a.post(url(group, a, "reinitiation"), json={"confirm": True})
        assert reopened.status_code == 200, reopened.text


async def test_the_arbitration_losers_deletion_goes_to_its_bureau(system: System) -> None:
    """Defect 2: the loser is formal since its bureau approved it: its deletion needs the bureau."""
    a, b, _, _ = pair("440103", "440104")
    await register(a, b)
    members = {a.registry_number, b.registry_number}
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as school_b,
        system.client("workflow", Role.SCHOOL_LEADER, b.school_code) as leader_b,
        system.client("workflow", Role.ARBITER, "440100") as city,
    ):
        group = eventually(lambda: case_of(school_b, members))["group_id"]
        attested_and_approved(system, group, a)
        attested_and_approved(system, group, b)
        case = city.get(f"/v1/cases/{group}").json()
        assert [member(case, r)["brief"]["status"] for r in (a, b)] == ["formal", "formal"]
        for side in (member(case, a), member(case, b)):  # the arbiter sees what each school submitted
            assert side["request"]["opinion"] and side["request"]["evidence"]
        file = member(case, b)["request"]["evidence"][0]
        assert file["file_name"] == "证明.jpg" and file["file_type"] == "jpg"
        with system.client("evidence", Role.ARBITER, "440100") as evidence:  # and may open every file
            assert eventually(lambda: evidence.post(file["link"]).status_code == 200)
        decided = city.post(f"/v1/cases/{group}/arbitration",
                            json={"approved_registry_number": a.registry_number, "reason": "先注册"})
        assert decided.status_code == 200, decided.text
        deletion = school_b.post(url(group, b, "actions"), json={"action": "delete", "confirm": True})
        assert deletion.status_code == 200
        confirmed = leader_b.post(url(group, b, "deletion-confirmation"))
        assert confirmed.status_code == 200
        assert member(confirmed.json(), b)["stage"] == "awaiting_review"  # not deleted by the school alone
        approve(system, group, b)
        case_once(school_b, members, lambda c: c["closed"])


async def test_a_cross_province_group_finishes_doubly_attested_then_a_newcomer_and_a_reinitiation(
    system: System,
) -> None:
    """Defects 4, 6 and 5(a): no arbitration across provinces (跨省双佐证); a record that joins the
    closed group reopens it for the newcomer only; a re-initiated member's amendment settles."""
    a, b, number, rng = pair("110105", "440103")
    await register(a, b)
    members = {a.registry_number, b.registry_number}
    with (
        system.client("workflow", Role.OPERATOR, "000000") as operator,
        system.client("workflow", Role.SCHOOL_REGISTRAR, b.school_code) as school_b,
    ):
        group = eventually(lambda: case_of(operator, members))["group_id"]
        attested_and_approved(system, group, a)
        halfway = operator.get(f"/v1/cases/{group}").json()
        assert halfway["finished_provinces"] == ["110000"] and halfway["arbitration_status"] == "not_needed"
        attested_and_approved(system, group, b)
        closed = operator.get(f"/v1/cases/{group}").json()
        assert closed["closed"] and closed["arbitration_status"] == "not_needed"
        assert [member(closed, r)["outcome"] for r in (a, b)] == ["attested", "attested"]

        newcomer = record(rng.randrange(1000, 9999), district="110105", number=number, school="1101050079",
                          birth=a.birth_date)
        await register(newcomer)
        everyone = members | {newcomer.registry_number}
        reopened = case_once(operator, everyone, lambda c: not c["closed"])
        assert [member(reopened, r)["outcome"] for r in (a, b)] == ["attested", "attested"]
        with (
            system.client("workflow", Role.SCHOOL_REGISTRAR, newcomer.school_code) as school_c,
            system.client("workflow", Role.SCHOOL_LEADER, newcomer.school_code) as leader_c,
        ):
            assert member(reopened, newcomer)["stage"] == "to_handle"
            seen = school_c.get(f"/v1/cases/{group}").json()
            allowed = set(member(seen, newcomer)["allowed_actions"])
            assert allowed == {"amend", "delete"}  # a's approved attestation counts
            delete = {"action": "delete", "confirm": True}
            assert school_c.post(url(group, newcomer, "actions"), json=delete).status_code == 200
            assert leader_c.post(url(group, newcomer, "deletion-confirmation")).status_code == 200
        case_once(operator, everyone, lambda c: c["closed"])

        new = school_b.post(url(group, b, "reinitiation"), json={"confirm": True})
        assert new.status_code == 200, new.text
        new_group = new.json()["group_id"]
        amend(system, school_b, new_group, b, synthetic_id_number(rng, "440103", b.birth_date, Gender.MALE))
        approve(system, new_group, b)
        settled = group_once(school_b, new_group, lambda c: c["closed"])
        assert member(settled, b)["outcome"] == "amended"  # dedup told the re-initiated group


async def test_an_amendment_that_keeps_the_number_returns_the_member_with_the_reason(system: System) -> None:
    """Defect 5(b): the amended record keeps its number: the school can act again, told why."""
    a, b, number, _ = pair("320102", "320102")
    await register(a, b)
    members = {a.registry_number, b.registry_number}
    with system.client("workflow", Role.SCHOOL_REGISTRAR, a.school_code) as school_a:
        group = eventually(lambda: case_of(school_a, members))["group_id"]
        amend(system, school_a, group, a, number)  # the same number, only retyped
        approve(system, group, a)

        def back() -> dict[str, Any] | None:
            seen = member(school_a.get(f"/v1/cases/{group}").json(), a)
            return seen if seen["stage"] == "to_handle" else None

        returned = eventually(back)
        assert "still duplicates" in returned["rejected_reason"]
        assert set(returned["allowed_actions"]) == {"attest", "amend", "delete"}
