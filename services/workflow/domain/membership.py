"""Who belongs to the group: opened from dedup's finding, kept up to date by dedup's changes (§4)."""

from datetime import datetime
from typing import Self

from xueji_contracts import cases as ev
from xueji_contracts.enums import RuleSet, SettlementOutcome
from xueji_contracts.problems import MembershipChanged, ProblemCleared, ProblemDetected

from .settlement import Settlement
from .state import Member, Stage


class Membership(Settlement):
    @classmethod
    def open(cls, event: ProblemDetected, rule_set: RuleSet, now: datetime) -> Self:
        """A group dedup found opens under the rule set in force; every member starts to handle."""
        case = cls(
            group_id=event.group_id,
            problem_type=event.problem_type,
            rule_set=rule_set,
            opened_at=now,
            members={m.registry_number: Member(brief=m, since=now) for m in event.members},
            suggested_id_number=event.suggested_id_number,
            dedup_sequence=event.sequence,
        )
        case.emit(ev.GroupOpened(**case.case_fields(), rule_set=rule_set, members=event.members,
                                 arbitration_status=case.arbitration))
        case.record(now, None, "group_opened")
        return case

    def apply_membership(self, event: MembershipChanged | ProblemCleared, now: datetime) -> bool:
        """Dedup's view of the group changed; False when the event is older than one applied."""
        if event.sequence <= self.dedup_sequence:
            return False
        self.dedup_sequence = event.sequence
        cleared = isinstance(event, ProblemCleared)
        present = {b.registry_number: b for b in event.members}
        joined = []
        for rn, brief in present.items():
            if rn in self.members:
                self.members[rn].brief = brief
            elif not cleared:
                self.members[rn] = Member(brief=brief, since=now)
                self.record(now, None, "member_joined", self.members[rn])
                joined.append(rn)
        left = [m.rn for m in self.members.values() if m.outcome is None and m.rn not in present]
        if joined or left:  # the evidence and notify services learn who belongs to the group from this
            members = tuple(m.brief for m in self.members.values())
            self.emit(ev.MembersChanged(**self.case_fields(), members=members, joined=tuple(joined),
                                        left=tuple(left)))
        for member in self.members.values():
            if member.outcome is None and (member.rn not in present or cleared):
                amended = member.stage is Stage.AWAITING_DEDUP
                outcome = SettlementOutcome.AMENDED if amended else SettlementOutcome.LEFT_GROUP
                self.settle_member(member, outcome, now)
        self.settle(now)
        return True
