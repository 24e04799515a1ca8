"""What the console's pages show, shaped from the APIs' answers (no decision made here).

A listing's rows are the members the user takes part in (their own school's, their district's;
every member for an arbiter or operator), as the API showed them.
"""

from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]
SCHOOL_ROLES = ("school_registrar", "school_leader")
NATIONAL = "000000"  # the side of a group arbitrated across provinces (rule set ``national``)


def takes_part(role: str, org: str, member: JSON) -> bool:
    brief = member.get("brief") or {}
    if role in SCHOOL_ROLES:
        return bool(member.get("school_code") == org)
    if role == "bureau_registrar":
        return bool(brief.get("district_code") == org)
    return role in ("arbiter", "operator")


def shown_number(member: JSON) -> str:
    brief = member.get("brief") or {}
    return str(member.get("registry_number") or brief.get("registry_number") or "（外省学籍）")


@dataclass(frozen=True)
class Row:
    case: JSON
    member: JSON

    @property
    def number(self) -> str:
        return shown_number(self.member)

    @property
    def actionable(self) -> bool:
        return bool(self.member.get("registry_number"))


def rows(cases: list[JSON], role: str, org: str, stage: str | None = None) -> list[Row]:
    found = []
    for case in cases:
        for member in case.get("members", []):
            if takes_part(role, org, member) and (stage is None or member.get("stage") == stage):
                found.append(Row(case, member))
    return found


def arbitrating(case: JSON, org: str) -> bool:
    """The user is the arbiter of a pending side of the group."""
    return any(s.get("arbiter_code") == org and s.get("arbitration") == "pending"
               for s in case.get("sides", []))


def candidates(case: JSON, org: str) -> list[JSON]:
    """The approved attestations an arbiter picks one of: the members of the sides it arbitrates."""
    sides = {s.get("code") for s in case.get("sides", [])
             if s.get("arbiter_code") == org and s.get("arbitration") == "pending"}
    return [m for m in case.get("members", []) if m.get("stage") == "approved" and m.get("registry_number")
            and (m.get("province_code") in sides or NATIONAL in sides)]
