"""Producers honour what their consumers declared in pacts.py: in the schemas and in what they emit."""

import json
from typing import Any
from uuid import uuid4

import pytest
from xueji_contracts import spec
from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import Action, ProblemType, ReviewDecision, RuleSet
from xueji_contracts.problems import MembershipChanged, ProblemDetected

from services.dedup.domain.groups import Group
from services.evidence.domain.stored import stored_event
from services.evidence.upload import Received
from services.workflow.domain.handling import (
    apply_membership,
    confirm_deletion,
    decide_arbitration,
    open_case,
    review,
    submit_action,
)

from ..unit.workflow.factories import (
    EVIDENCE,
    NOW,
    REF,
    arbiter,
    attest,
    brief,
    bureau,
    case_of,
    leader,
    registrar,
)
from .pacts import PACTS, Pact

JSON_TYPES = {"string": str, "integer": int, "array": list, "object": dict, "boolean": bool}


def values_at(document: Any, path: str) -> list[Any]:
    """The values at a path; ``a[].b`` looks into every item of ``a``."""
    values = [document]
    for part in path.split("."):
        many = part.endswith("[]")
        name = part.removesuffix("[]")
        values = [v[name] for v in values if isinstance(v, dict) and v.get(name) is not None]
        if many:
            values = [item for v in values for item in v]
    return values


def schema_has(schema: dict[str, Any], path: str, kind: str) -> bool:
    definitions = schema.get("$defs", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = definitions[node["$ref"].rsplit("/", 1)[1]]
        for option in node.get("anyOf", []):  # optional fields are "X or null"
            if option.get("type") != "null":
                return resolve(option)
        return node

    node = resolve(schema)
    for part in path.split("."):
        node = resolve(node.get("properties", {}).get(part.removesuffix("[]"), {}))
        if part.endswith("[]"):
            node = resolve(node.get("items", {}))
    return node.get("type") == kind or (
        kind == "string" and "enum" in node and node.get("type") in (None, "string")
    )


def produced_messages() -> list[dict[str, Any]]:
    """Messages made by the producers' own code: dedup's groups, the workflow's cases, the evidence API."""
    messages: list[Any] = []
    group = Group("id:contract")
    a, b, c = brief(1), brief(2, "110108"), brief(3, "440103")
    for member in (a, b, c):
        group.put(member)
    group.drop(c.registry_number)
    group.drop(b.registry_number)
    messages += group.pending

    case = case_of(a, b)
    for member in (a, b):
        attest(case, member, approve=True, opinion="real")
    decide_arbitration(case, arbiter(case.arbiter_code or ""), a.registry_number, "older", NOW)
    submit_action(case, registrar(b), b.registry_number, Action.DELETE, NOW, confirmed=True)
    confirm_deletion(case, leader(b), b.registry_number, NOW)
    review(case, bureau(b), b.registry_number, ReviewDecision.APPROVED, None, NOW)  # b is formal: reviewed
    messages += case.pending
    detected = ProblemDetected(
        producer="dedup", group_id=uuid4(), problem_type=ProblemType.ID_NOT_FOUND, members=(a,)
    )
    id_case = open_case(detected, RuleSet.R2017, NOW, REF)
    submit_action(
        id_case,
        registrar(a),
        a.registry_number,
        Action.AMEND,
        NOW,
        evidence_ids=EVIDENCE,
        known_evidence=frozenset(EVIDENCE),
        amendment=AmendedFields(id_number="110105201201011234", name="张三"),
    )
    review(id_case, bureau(a), a.registry_number, ReviewDecision.APPROVED, None, NOW)
    messages += id_case.pending
    ngb = case_of(a, b, problem=ProblemType.DUPLICATE_NGB)
    for member in (a, b):
        attest(ngb, member, approve=True, opinion="twins")
    messages += ngb.pending
    id_attest = open_case(detected, RuleSet.R2017, NOW, REF)
    submit_action(
        id_attest,
        registrar(a),
        a.registry_number,
        Action.ATTEST,
        NOW,
        evidence_ids=EVIDENCE,
        known_evidence=frozenset(EVIDENCE),
        opinion="correct",
    )
    review(id_attest, bureau(a), a.registry_number, ReviewDecision.APPROVED, None, NOW)
    messages += id_attest.pending
    joined = case_of(a, b)
    apply_membership(
        joined,
        MembershipChanged(
            producer="dedup",
            group_id=joined.group_id,
            problem_type=joined.problem_type,
            members=(a, b, c),
            sequence=1,
        ),
        NOW,
        REF,
    )
    messages += joined.pending
    same_district = case_of(brief(4), brief(5))
    for member in (brief(4), brief(5)):
        submit_action(
            same_district,
            registrar(member),
            member.registry_number,
            Action.ATTEST,
            NOW,
            evidence_ids=EVIDENCE,
            known_evidence=frozenset(EVIDENCE),
            opinion="real",
        )
    review(same_district, bureau(brief(4)), brief(4).registry_number, ReviewDecision.APPROVED, None, NOW)
    messages += same_district.pending  # approving one auto-rejects the other
    received = Received("a.jpg", "jpg", bytearray(b"\xff\xd8\xff"), "0" * 64)
    messages.append(stored_event(uuid4(), uuid4(), a.registry_number, "110000", a.school_code, received))
    return [json.loads(m.model_dump_json()) for m in messages]


@pytest.mark.parametrize("pact", PACTS, ids=lambda p: f"{p.consumer}:{p.message}")
def test_the_committed_schema_carries_what_the_consumer_reads(pact: Pact) -> None:
    schema = json.loads((spec.SCHEMA_DIR / f"{pact.message}.json").read_text(encoding="utf-8"))
    missing = [path for path, kind in pact.fields.items() if not schema_has(schema, path, kind)]
    assert missing == [], f"{pact.consumer} reads {missing} from {pact.message}"


@pytest.mark.parametrize("pact", PACTS, ids=lambda p: f"{p.consumer}:{p.message}")
def test_the_producer_emits_what_the_consumer_reads(pact: Pact) -> None:
    samples = [m for m in produced_messages() if m["event_type"] == pact.message]
    assert samples, f"no producer code path made a {pact.message} here"
    for path, kind in pact.fields.items():
        found = [v for sample in samples for v in values_at(sample, path)]
        assert found and all(isinstance(v, JSON_TYPES[kind]) for v in found), (pact.consumer, path)
