"""What a caller sees of a case (DOMAIN §8): a member of another province is masked, and only the
member's own school is offered actions, those the rule set allows."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from xueji_contracts.enums import Action, ArbitrationStatus, ProblemType, Role, RuleSet
from xueji_contracts.problems import MemberBrief
from xueji_contracts.provinces import province_of

from .rules import allowed_actions
from .state import Actor, CaseState, Member


# One member, and the case, as the caller may see them: the API answers them as they are.
class MemberView(BaseModel):
    model_config = ConfigDict(frozen=True)

    brief: MemberBrief | None = Field(description="Masked brief; None for a member in another province.")
    registry_number: str | None
    school_code: str
    province_code: str
    stage: str
    action: Action | None = None
    rejected_reason: str | None = None
    outcome: str | None = None
    allowed_actions: list[Action] = []


class CaseView(BaseModel):
    model_config = ConfigDict(frozen=True)

    group_id: UUID
    problem_type: ProblemType
    rule_set: RuleSet
    arbitration_status: ArbitrationStatus
    arbiter_code: str | None
    closed: bool
    opened_at: datetime
    linked_group_id: UUID | None
    finished_provinces: list[str]
    suggested_id_number: str | None
    members: list[MemberView]


def sees_in_full(actor: Actor, member: Member) -> bool:
    """Arbiters and operators see everyone; others see the members of their own province."""
    return (actor.role in (Role.ARBITER, Role.OPERATOR)
            or province_of(actor.organisation_code[:6]) == member.brief.province_code)


def member_view(case: CaseState, member: Member, actor: Actor) -> MemberView:
    full = sees_in_full(actor, member)
    own = actor.organisation_code == member.brief.school_code
    return MemberView(
        brief=member.brief if full else None,
        registry_number=member.rn if full else None,
        school_code=member.brief.school_code,
        province_code=member.brief.province_code,
        stage=member.stage.value,
        action=member.action,
        outcome=member.outcome,
        rejected_reason=member.rejected_reason if full else None,
        allowed_actions=allowed_actions(case.rules, case.problem_type, member.brief, case.others(member.rn))
        if own and not case.closed
        else [],
    )


def case_view(case: CaseState, actor: Actor) -> CaseView:
    return CaseView(
        group_id=case.group_id,
        problem_type=case.problem_type,
        rule_set=case.rule_set,
        arbitration_status=case.arbitration,
        arbiter_code=case.arbiter_code,
        closed=case.closed,
        opened_at=case.opened_at,
        linked_group_id=case.linked_group_id,
        finished_provinces=case.finished_provinces,
        suggested_id_number=case.suggested_id_number,
        members=[member_view(case, m, actor) for m in case.members.values()],
    )
