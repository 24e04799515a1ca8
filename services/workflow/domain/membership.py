"""Who belongs to the group: opened from dedup's finding, kept up to date by dedup's changes (§4, §6)."""

from datetime import datetime
from typing import Self

from xueji_contracts import cases as ev
from xueji_contracts.enums import ProblemType, RuleSet, SettlementOutcome
from xueji_contracts.problems import AmendmentApplied, MembershipChanged, ProblemCleared, ProblemDetected

from .rules import ID_PROBLEMS
from .settlement import Settlement
from .state import Member, Ref, Stage, masked_amendment

KEY_KEPT = ("变更后仍与本组其他学籍重复 (after the amendment the record still duplicates another member "
            "of this group: amend it again, attest or delete)")
ID_PROBLEM_KEPT = ("变更后身份证件号问题仍然存在 (after the amendment the ID number still has the same "
                   "problem: amend it again, attest or delete)")


class Membership(Settlement):
    @classmethod
    def open(cls, event: ProblemDetected, rule_set: RuleSet, now: datetime, ref: Ref) -> Self:
        """A group dedup found opens under the rule set in force; every member starts to handle."""
        case = cls(
            group_id=event.group_id,
            problem_type=event.problem_type,
            rule_set=rule_set,
            opened_at=now,
            members={m.registry_number: Member(brief=m, ref=ref(m.registry_number), since=now)
                     for m in event.members},
            suggested_id_number=event.suggested_id_number,
            reasons=event.reasons,
            dedup_sequence=event.sequence,
        )
        case.emit(ev.GroupOpened(**case.case_fields(), rule_set=rule_set,
                                 members=case.case_members(),
                                 arbitration_status=case.arbitration))
        case.record(now, None, "group_opened")
        return case

    def apply_membership(self, event: MembershipChanged | ProblemCleared, now: datetime, ref: Ref) -> bool:
        """Dedup's view of the group changed; False when the event is older than one applied.

        Every change of a member's details is followed (a record made formal, a masked name);
        a record that joins a closed group reopens it for the newcomer (§6); when the group
        clears, an approved attestation keeps its outcome and is never "left the group"."""
        if event.sequence <= self.dedup_sequence:
            return False
        self.dedup_sequence = event.sequence
        cleared = isinstance(event, ProblemCleared)
        present = {b.registry_number: b for b in event.members}
        joined, changed = [], []
        returning = set(getattr(event, "joined", ()))
        for rn, brief in present.items():
            known = self.members.get(rn)
            if known is not None and not (known.gone and rn in returning):
                if known.follow(brief):
                    changed.append(rn)
            elif not cleared:  # a newcomer, or a member that had gone and is back: to handle
                self.members[rn] = Member(brief=brief, ref=known.ref if known else ref(rn), since=now)
                self.record(now, None, "member_joined", self.members[rn])
                joined.append(rn)
        left = [m.rn for m in self.members.values() if m.outcome is None and m.rn not in present]
        if joined or left or changed:  # the evidence and notify services learn who belongs to the group
            self.emit(ev.MembersChanged(**self.case_fields(), members=self.case_members(),
                                        joined=tuple(map(self.ref_of, joined)),
                                        left=tuple(map(self.ref_of, left))))
        for rn in changed:
            self.record(now, None, "member_details_changed", self.members[rn])
        if joined and self.closed:
            self.reopen(joined, now)
        for member in self.members.values():
            if member.outcome is None and member.rn not in present:
                amended = member.stage is Stage.AWAITING_DEDUP
                gone = SettlementOutcome.AMENDED if amended else SettlementOutcome.LEFT_GROUP
                self.settle_member(member, gone, now)
            elif member.outcome is SettlementOutcome.ATTESTED and member.rn not in present and not cleared:
                # its record left the number (deleted or changed upstream): it no longer keeps it
                self.settle_member(member, SettlementOutcome.LEFT_GROUP, now)
        if cleared and not self.closed:
            self.settle(now)  # the conflict is gone: everything still open ends with the group
            if not self.closed:
                self._close(now)
        self.settle(now)
        return True

    def apply_amendment_result(self, event: AmendmentApplied, now: datetime) -> bool:
        """Dedup applied the amendment this case approved: the member settles as amended, or, when the
        record keeps its key or its ID problem, is to handle again with the reason (no member waits
        for dedup forever, §6). False when no member of the case awaits it (a redelivery)."""
        member = self.members.get(event.registry_number)
        if member is None or member.stage is not Stage.AWAITING_DEDUP:
            return False
        if member.amendment_command and str(event.causation_id) != member.amendment_command:
            return False  # the report of an earlier amendment, delivered again
        if event.member is None:
            self.settle_member(member, SettlementOutcome.LEFT_GROUP, now)
            self.settle(now)
            return True
        member.follow(event.member)
        if member.amendment is not None:  # the audit keeps the change, masked
            applied = masked_amendment(member.amendment).model_dump(exclude_unset=True, mode="json")
            self.record(now, None, "amendment_applied", member,
                        reason="; ".join(f"{k}: {v}" for k, v in sorted(applied.items())))
        reason = self._problem_kept(member, event)
        if reason is None:
            self.settle_member(member, SettlementOutcome.AMENDED, now)
        else:
            self.emit(ev.RequestEnded(**self.case_fields(), **self.mention(member), action=member.action,
                                      ended="problem_remains", was_awaiting="dedup", reason=reason))
            self.record(now, None, "amendment_left_problem", member, reason=reason, before=member.stage)
            member.end_request(now)
            member.rejected_reason = reason
        self.settle(now)
        return True

    def _problem_kept(self, member: Member, event: AmendmentApplied) -> str | None:
        if self.problem_type in ID_PROBLEMS:
            return ID_PROBLEM_KEPT if event.id_problem is self.problem_type else None
        others = [m for m in self.members.values() if m.rn != member.rn and not m.gone]
        duplicate = self.problem_type in (ProblemType.DUPLICATE_ID, ProblemType.DUPLICATE_NGB)
        return KEY_KEPT if duplicate and event.identity_key_kept and others else None
