"""The workflow API on the real local stack: handling paths, errors, history, concurrency."""

import asyncio
from uuid import uuid4

import httpx
import pytest
from xueji_contracts.enums import ProblemType, Role, RuleSet
from xueji_contracts.names import name_key
from xueji_contracts.problems import MemberBrief, ProblemDetected

from services.workflow.cases import Cases
from services.workflow.domain.handling import open_case
from services.workflow.settings import WorkflowSettings

from ...unit.workflow.factories import EVIDENCE, NOW, REF, brief, evidence_stored
from .conftest import Client, problem_of

pytestmark = pytest.mark.integration
ATTEST = {"action": "attest", "evidence_ids": [str(EVIDENCE[0])], "opinion": "two real children"}


async def opened(cases: Cases, *members: MemberBrief, problem: ProblemType = ProblemType.DUPLICATE_ID) -> str:
    event = ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=problem, members=members)
    assert await cases.create(open_case(event, RuleSet.R2017, NOW, REF))
    for member in members:  # as the evidence service's events would have told it
        await cases.store.add_evidence(evidence_stored(event.group_id, member), REF(member.registry_number))
    return str(event.group_id)


def member_url(group: str, b: MemberBrief, what: str) -> str:
    return f"/v1/cases/{group}/members/{b.registry_number}/{what}"


async def test_same_district_path_through_the_api_with_history(cases: Cases, as_party: Client) -> None:
    a, b = brief(1), brief(2)
    group = await opened(cases, a, b)
    school_a, school_b = (
        as_party(Role.SCHOOL_REGISTRAR, a.school_code),
        as_party(Role.SCHOOL_REGISTRAR, b.school_code),
    )
    bureau = as_party(Role.BUREAU_REGISTRAR, a.district_code)
    assert (await school_a.post(member_url(group, a, "actions"), json=ATTEST)).status_code == 200
    assert (await school_b.post(member_url(group, b, "actions"), json=ATTEST)).status_code == 200
    reviews = (await bureau.get("/v1/reviews")).json()
    assert [item["group_id"] for item in reviews["items"]] == [group]
    assert reviews["has_more"] is False
    approved = await bureau.post(member_url(group, a, "review"), json={"decision": "approved"})
    stages = {m["registry_number"]: m["stage"] for m in approved.json()["members"]}
    assert stages[b.registry_number] == "to_handle"  # auto-rejected
    again = await school_b.post(member_url(group, b, "actions"), json=ATTEST)
    assert again.status_code == 409
    assert problem_of(again)["rule"] == "duplicate_id.number_already_attested"
    unconfirmed = await school_b.post(member_url(group, b, "actions"), json={"action": "delete"})
    assert unconfirmed.status_code == 422
    await school_b.post(member_url(group, b, "actions"), json={"action": "delete", "confirm": True})
    leader = as_party(Role.SCHOOL_LEADER, b.school_code)
    closed = await leader.post(member_url(group, b, "deletion-confirmation"))
    assert closed.json()["closed"] is True
    history = (await school_a.get(f"/v1/cases/{group}/history")).json()
    whats = [h["what"] for h in history]
    assert whats[0] == "group_opened" and "auto_rejected" in whats and whats[-1] == "group_closed"
    assert any(h["actor_organisation"] == a.district_code for h in history)
    assert all(h["actor_subject"] is None for h in history)  # who exactly: operators only
    # 佐证后发起重新处理: a new one-member group for school A only, linked to the closed one
    url = member_url(group, a, "reinitiation")
    assert (await school_a.post(url, json={"confirm": False})).status_code == 422
    reopened = await school_a.post(url, json={"confirm": True})
    assert reopened.status_code == 200, reopened.text
    new = reopened.json()
    assert new["linked_group_id"] == group
    assert [m["registry_number"] for m in new["members"]] == [a.registry_number]
    assert (await school_a.get(f"/v1/cases/{new['group_id']}")).status_code == 200
    other_side = await school_b.get(f"/v1/cases/{new['group_id']}")
    assert other_side.status_code == 403  # the other side sees nothing
    again = await school_a.post(url, json={"confirm": True})
    assert again.status_code == 409 and problem_of(again)["rule"] == "reinitiate.attest_approved_member"


async def test_errors_are_problem_documents(cases: Cases, as_party: Client) -> None:
    a, b = brief(1), brief(2)
    group = await opened(cases, a, b)
    school = as_party(Role.SCHOOL_REGISTRAR, a.school_code)
    unheard_of = {**ATTEST, "evidence_ids": [str(uuid4())]}
    unknown = await school.post(member_url(group, a, "actions"), json=unheard_of)
    assert unknown.status_code == 409 and problem_of(unknown)["code"] == "evidence_not_known_yet"
    assert unknown.headers["Retry-After"]  # its announcement may still be on its way
    bad = await school.post(member_url(group, a, "actions"), json={"action": "fly"})
    assert bad.status_code == 422 and problem_of(bad)["code"] == "invalid_input"
    missing = await school.get(f"/v1/cases/{uuid4()}")
    assert missing.status_code == 404 and problem_of(missing)["code"] == "group_not_found"
    foreign = await as_party(Role.SCHOOL_REGISTRAR, "4401030001").get(f"/v1/cases/{group}")
    assert foreign.status_code == 403 and problem_of(foreign)["code"] == "outside_jurisdiction"
    async with httpx.AsyncClient(transport=school._transport, base_url="http://workflow") as anonymous:
        unauthenticated = await anonymous.get("/v1/cases")
    assert unauthenticated.status_code == 401 and problem_of(unauthenticated)["code"] == "unauthenticated"


async def test_two_bureaus_approving_at_the_same_moment_leave_one_consistent_group(
    cases: Cases, as_party: Client
) -> None:
    a, b = brief(1, "110105"), brief(2, "110108")
    group = await opened(cases, a, b)
    for m in (a, b):
        await as_party(Role.SCHOOL_REGISTRAR, m.school_code).post(
            member_url(group, m, "actions"), json=ATTEST
        )
    answers = await asyncio.gather(
        *(
            as_party(Role.BUREAU_REGISTRAR, m.district_code).post(
                member_url(group, m, "review"), json={"decision": "approved"}
            )
            for m in (a, b)
        )
    )
    assert [r.status_code for r in answers] == [200, 200]
    case = (await as_party(Role.OPERATOR, "000000").get(f"/v1/cases/{group}")).json()
    assert (case["arbitration_status"], case["arbiter_code"]) == ("pending", "110000")
    double_click = await asyncio.gather(
        *(
            as_party(Role.ARBITER, "110000").post(
                f"/v1/cases/{group}/arbitration",
                json={"approved_registry_number": a.registry_number, "reason": "registered first"},
            )
            for _ in range(2)
        )
    )
    assert sorted(r.status_code for r in double_click) == [200, 409]


async def test_members_in_other_provinces_show_only_province_and_school(
    cases: Cases, as_party: Client
) -> None:
    a, b = brief(1, "110105"), brief(2, "440103")
    group = await opened(cases, a, b)
    view = (await as_party(Role.SCHOOL_REGISTRAR, a.school_code).get(f"/v1/cases/{group}")).json()
    other = next(m for m in view["members"] if m["province_code"] == "440000")
    assert other["brief"] is None and other["registry_number"] is None
    assert other["school_code"] == b.school_code
    own = next(m for m in view["members"] if m["province_code"] == "110000")
    assert set(own["allowed_actions"]) == {"attest", "amend", "delete"}


async def test_a_school_finds_its_record_by_registry_number_or_by_name(
    cases: Cases, as_party: Client, workflow_settings: WorkflowSettings
) -> None:
    key = workflow_settings.NAME_SEARCH_KEY.get_secret_value().encode()
    maimaiti, zhang_san = name_key(key, "买买提·艾力"), name_key(key, "张三")
    a = brief(1).model_copy(update={"name_key": maimaiti})
    b = brief(2).model_copy(update={"name_key": zhang_san})
    group = await opened(cases, a, b)
    await opened(cases, brief(3, "110108"), brief(4, "110108"))
    school = as_party(Role.SCHOOL_REGISTRAR, a.school_code)
    lower_case = {"registry_number": a.registry_number.lower(), "status": "open"}
    by_number = await school.get("/v1/cases", params=lower_case)
    assert by_number.status_code == 200, by_number.text
    assert [item["group_id"] for item in by_number.json()["items"]] == [group]
    by_name = await school.get("/v1/cases", params={"name": " 买买提 ・艾力"})
    assert [item["group_id"] for item in by_name.json()["items"]] == [group]
    assert maimaiti not in by_name.text and zhang_san not in by_name.text  # never shown
    # another school's member, in the shared case or elsewhere, is not found
    assert (await school.get("/v1/cases", params={"name": "张三"})).json()["items"] == []
    other = await as_party(Role.SCHOOL_REGISTRAR, "1101080003").get(
        "/v1/cases", params={"registry_number": a.registry_number})
    assert other.json()["items"] == []
    bureau = as_party(Role.BUREAU_REGISTRAR, a.district_code)
    found = await bureau.get("/v1/cases", params={"name": "张三", "registry_number": b.registry_number})
    assert [item["group_id"] for item in found.json()["items"]] == [group]
    invalid = await school.get("/v1/cases", params={"registry_number": "L123"})
    assert invalid.status_code == 422 and problem_of(invalid)["code"] == "invalid_input"
    too_long = await school.get("/v1/cases", params={"name": "张" * 65})
    assert too_long.status_code == 422
