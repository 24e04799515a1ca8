"""佐证后发起重新处理 (DOMAIN §6): an attest-approved member of a finished group (or finished side)
is handled again, in a new one-member group linked to the old one."""

from datetime import datetime
from typing import Self

from xueji_contracts import cases as ev
from xueji_contracts.enums import Role, RuleSet, SettlementOutcome

from .errors import Invalid, Refused
from .jurisdiction import require_school
from .rules import may_reinitiate
from .settlement import OPEN_ARBITRATION
from .state import Actor, CaseState, Member


def reinitiation_refusal(case: CaseState, member: Member) -> Refused | None:
    """Why this member's school may not re-initiate it now (None: it may)."""
    if forbidden := may_reinitiate(case.rules):
        return Refused(forbidden, "the group's rule set has no re-initiation")
    side = case.sides.get(case.side_of(member))
    if side is not None and side.arbitration in OPEN_ARBITRATION:
        return Refused("reinitiate.arbitration_open", f"arbitration is {side.arbitration.value}")
    if member.outcome is not SettlementOutcome.ATTESTED or member.reinitiated:
        return Refused("reinitiate.attest_approved_member",
                       "only an attest-approved member can be re-initiated")
    if not (case.closed or member.brief.province_code in case.finished_provinces):
        return Refused("reinitiate.finished", "the group (or this province's side) has not finished")
    return None


class Reinitiation(CaseState):
    def reinitiate(self, actor: Actor, rn: str, confirmed: bool, current: RuleSet, now: datetime) -> Self:
        """Mark the member re-initiated and return the new group, opened under the ``current`` rule set."""
        member = self.member(rn)
        require_school(actor, member, Role.SCHOOL_REGISTRAR)
        if refused := reinitiation_refusal(self, member):
            raise refused
        if not confirmed:
            raise Invalid("re-initiation must be confirmed: send confirm=true")
        member.reinitiated = True
        new = type(self)(
            group_id=self.reinitiated_group_id(rn),
            problem_type=self.problem_type,
            rule_set=current,
            members={rn: Member(brief=member.brief, ref=member.ref, since=now)},
            opened_at=now,
            linked_group_id=self.group_id,
            reasons=self.reasons,
        )
        self.emit(ev.Reinitiated(**self.case_fields(), **self.mention(member), new_group_id=new.group_id,
                                 actor=actor.as_event_actor()))
        self.record(now, actor, "reinitiated", member)
        new.emit(ev.GroupOpened(**new.case_fields(), rule_set=current, members=new.case_members(),
                                arbitration_status=new.arbitration, linked_group_id=self.group_id))
        new.record(now, actor, "group_opened_by_reinitiation", new.members[rn])
        return new
