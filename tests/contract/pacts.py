"""What each consumer reads from the messages it consumes (consumer-driven message contracts).

A consumer team adds the fields its code relies on here; `test_pacts.py` checks that the
committed JSON Schemas still carry them and that the producers' own code emits them.
Paths use ``[]`` for "every item of the array".
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Pact:
    consumer: str
    message: str  # event_type
    fields: dict[str, str]  # path → JSON type ("string", "integer", "array", "object", "boolean")


MEMBERS = {
    "members[].registry_number": "string",
    "members[].school_code": "string",
    "members[].district_code": "string",
    "members[].province_code": "string",
}
CASE_MEMBERS = {  # a case event names members by reference; a brief only for the topic's own province
    "members[].member_ref": "string",
    "members[].school_code": "string",
    "members[].district_code": "string",
    "members[].province_code": "string",
}
CASE = {
    "event_id": "string",
    "event_type": "string",
    "group_id": "string",
    "problem_type": "string",
    "province_codes": "array",
}

PACTS = [
    # the workflow reads dedup's problem events and the evidence service's announcements
    Pact(
        "workflow",
        "problem.detected",
        {
            "group_id": "string",
            "problem_type": "string",
            "sequence": "integer",
            "members[].registry_prefix": "string",
            "members[].status": "string",
            "members[].masked_name": "string",
            **MEMBERS,
        },
    ),
    Pact("workflow", "problem.membership_changed", {"group_id": "string", "sequence": "integer", **MEMBERS}),
    Pact("workflow", "problem.cleared", {"group_id": "string", "sequence": "integer"}),
    Pact(
        "workflow",
        "evidence.stored",
        {"evidence_id": "string", "group_id": "string", "registry_number": "string"},
    ),
    # dedup reads the workflow's commands
    Pact("dedup", "command.apply_amendment", {"registry_number": "string", "changes": "object"}),
    Pact("dedup", "command.delete_record", {"registry_number": "string"}),
    Pact("dedup", "command.mark_formal", {"registry_number": "string"}),
    Pact("dedup", "command.mark_attested_distinct", {"registry_numbers": "array"}),
    Pact("dedup", "command.accept_id_problem", {"registry_number": "string"}),
    # the evidence service learns members and arbiters from case events
    Pact("evidence", "case.group_opened", {"group_id": "string", **CASE_MEMBERS}),
    Pact("evidence", "case.members_changed", {"group_id": "string", **CASE_MEMBERS}),
    Pact("evidence", "case.arbitration_state_changed", {"group_id": "string", "status": "string"}),
    # notify works out recipients from every case event
    Pact("notify", "case.group_opened", {**CASE, **CASE_MEMBERS}),
    Pact("notify", "case.members_changed", {**CASE, "joined": "array"}),
    Pact(
        "notify",
        "case.action_submitted",
        {
            **CASE,
            "member_ref": "string",
            "needs_leader_confirmation": "boolean",
            "needs_review": "boolean",
        },
    ),
    Pact("notify", "case.reviewed", {**CASE, "member_ref": "string", "decision": "string"}),
    Pact("notify", "case.auto_rejected", {**CASE, "member_ref": "string"}),
    Pact("notify", "case.arbitration_decided", {**CASE, "approved": "string", "rejected": "array"}),
    Pact("notify", "case.member_settled", {**CASE, "member_ref": "string", "outcome": "string"}),
    Pact("notify", "case.group_closed", CASE),
    # a province system (contracts/examples/province_subscriber.py)
    Pact("province subscriber", "case.group_opened", {"occurred_at": "string", **CASE}),
]
