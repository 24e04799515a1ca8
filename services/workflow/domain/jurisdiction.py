"""Who may see and do what (DOMAIN §8): nobody acts outside their jurisdiction."""

from xueji_contracts.enums import Role

from .errors import OutsideJurisdiction
from .state import Actor, CaseState, Member

SCHOOL_ROLES = (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)


def require_school(actor: Actor, member: Member, role: Role) -> None:
    """The member's own school, in the given role."""
    if actor.role != role or actor.organisation_code != member.brief.school_code:
        raise OutsideJurisdiction(f"only the {role.value} of school {member.brief.school_code} may do this")


def require_bureau(actor: Actor, member: Member) -> None:
    """The district bureau of the member's school."""
    if actor.role != Role.BUREAU_REGISTRAR or actor.organisation_code != member.brief.district_code:
        raise OutsideJurisdiction(f"only the bureau of district {member.brief.district_code} may review this")


def require_arbiter(actor: Actor, assigned: bool) -> None:
    """An arbiter, and the one a pending arbitration of the group is assigned to."""
    if actor.role != Role.ARBITER or not assigned:
        raise OutsideJurisdiction("only the arbiter this group is assigned to may decide it")


def arbiters_of(case: CaseState) -> list[str]:
    """Every arbiter assigned to a side of the group, pending or decided."""
    return sorted({s.arbiter_code for s in case.sides.values() if s.arbiter_code})


def require_reviewer(actor: Actor) -> None:
    """Only district bureaus have requests to review."""
    if actor.role != Role.BUREAU_REGISTRAR:
        raise OutsideJurisdiction("only district bureaus review")


def require_arbiter_role(actor: Actor) -> None:
    """Only arbiters have groups to arbitrate."""
    if actor.role != Role.ARBITER:
        raise OutsideJurisdiction("only arbiters arbitrate")


def may_view(actor: Actor, case: CaseState) -> bool:
    org, members = actor.organisation_code, case.members.values()
    match actor.role:
        case Role.SCHOOL_REGISTRAR | Role.SCHOOL_LEADER:
            return any(m.brief.school_code == org for m in members)
        case Role.BUREAU_REGISTRAR:
            return any(m.brief.district_code == org for m in members)
        case Role.ARBITER:
            return org in arbiters_of(case)
        case Role.OPERATOR:
            return True
    return False


def require_view(actor: Actor, case: CaseState) -> None:
    if not may_view(actor, case):
        raise OutsideJurisdiction("this group is outside your jurisdiction")


def visible_scope(actor: Actor) -> dict[str, str] | None:
    """The query restricting a listing to the caller's jurisdiction (None: everything)."""
    org = actor.organisation_code
    match actor.role:
        case Role.SCHOOL_REGISTRAR | Role.SCHOOL_LEADER:
            return {"school_codes": org}
        case Role.BUREAU_REGISTRAR:
            return {"district_codes": org}
        case Role.ARBITER:
            return {"arbiters": org}
        case Role.OPERATOR:
            return None
    raise OutsideJurisdiction(f"the role {actor.role} has no case listing")
