"""Authorisation matrix: every endpoint × every role × own and foreign organisation."""

from uuid import uuid4

import pytest
from xueji_contracts.enums import Action, ProblemType, ReviewDecision, Role, RuleSet
from xueji_contracts.problems import ProblemDetected

from services.workflow.cases import Cases
from services.workflow.domain.case import Actor
from services.workflow.domain.handling import open_case, review, submit_action

from ...unit.workflow.factories import EVIDENCE, NOW, REF, brief
from .conftest import Client

pytestmark = pytest.mark.integration

A, B = brief(1, "110105"), brief(2, "110108")  # two districts of 北京: arbitration at 110000
PARTIES = {
    "own registrar": (Role.SCHOOL_REGISTRAR, A.school_code),
    "foreign registrar": (Role.SCHOOL_REGISTRAR, "4401030001"),
    "own leader": (Role.SCHOOL_LEADER, A.school_code),
    "foreign leader": (Role.SCHOOL_LEADER, "4401030001"),
    "own bureau": (Role.BUREAU_REGISTRAR, A.district_code),
    "foreign bureau": (Role.BUREAU_REGISTRAR, "440103"),
    "own arbiter": (Role.ARBITER, "110000"),
    "foreign arbiter": (Role.ARBITER, "440100"),
    "operator": (Role.OPERATOR, "000000"),
    "province subscriber": (Role.PROVINCE_SUBSCRIBER, "110000"),
}
VIEWERS = {"own registrar", "own leader", "own bureau", "own arbiter", "operator"}
MEMBER = f"members/{A.registry_number}"
NOT_A_MEMBER = "L11010520120101" + "9999"
ENDPOINTS = [  # method, path under the group, body, parties allowed
    ("GET", "", None, VIEWERS),
    ("GET", "/history", None, VIEWERS),
    ("POST", f"/{MEMBER}/actions", {"action": "delete", "confirm": True}, {"own registrar"}),
    ("POST", f"/{MEMBER}/deletion-confirmation", None, {"own leader"}),
    ("POST", f"/{MEMBER}/review", {"decision": "approved"}, {"own bureau"}),
    ("POST", "/arbitration", {"approved_registry_number": NOT_A_MEMBER, "reason": "x"}, {"own arbiter"}),
    ("POST", f"/{MEMBER}/reinitiation", {"confirm": True}, {"own registrar"}),
]
LISTINGS = [  # path, parties allowed (each sees only its own jurisdiction)
    ("/v1/cases", set(PARTIES) - {"province subscriber"}),
    ("/v1/reviews", {"own bureau", "foreign bureau"}),
    ("/v1/arbitrations", {"own arbiter", "foreign arbiter"}),
]


async def case_under_arbitration(cases: Cases) -> str:
    event = ProblemDetected(
        producer="dedup", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID, members=(A, B)
    )
    case = open_case(event, RuleSet.R2017, NOW, REF)
    for m in (A, B):
        submit_action(
            case,
            Actor(role=Role.SCHOOL_REGISTRAR, organisation_code=m.school_code),
            m.registry_number,
            Action.ATTEST,
            NOW,
            evidence_ids=EVIDENCE,
            known_evidence=frozenset(EVIDENCE),
            opinion="real",
        )
        review(
            case,
            Actor(role=Role.BUREAU_REGISTRAR, organisation_code=m.district_code),
            m.registry_number,
            ReviewDecision.APPROVED,
            None,
            NOW,
        )
    assert case.arbitration.value == "pending"
    assert await cases.create(case)
    return str(case.group_id)


async def test_every_endpoint_refuses_every_party_outside_its_jurisdiction(
    cases: Cases, as_party: Client
) -> None:
    group = await case_under_arbitration(cases)
    wrong = []
    for party, (role, organisation) in PARTIES.items():
        client = as_party(role, organisation)
        for method, path, body, allowed in ENDPOINTS:
            response = await client.request(method, f"/v1/cases/{group}{path}", json=body)
            refused = response.status_code == 403
            if refused == (party in allowed) or response.status_code in (401, 500):
                wrong.append(f"{party} {method} {path or '/'}: {response.status_code}")
        for path, allowed in LISTINGS:
            response = await client.get(path)
            if (response.status_code == 403) == (party in allowed):
                wrong.append(f"{party} GET {path}: {response.status_code}")
            elif response.status_code == 200 and not party.startswith(("own", "operator")):
                assert group not in {item["group_id"] for item in response.json()["items"]}, (party, path)
    assert wrong == []
