"""The district bureau's review of a school's request (核办, DOMAIN §4–5)."""

from datetime import datetime

from xueji_contracts import cases as ev
from xueji_contracts.commands import AcceptIdProblem
from xueji_contracts.enums import Action, ProblemType, ReviewDecision, SettlementOutcome

from .actions import one_attestation_per_district
from .errors import Invalid, Refused
from .jurisdiction import require_bureau
from .rules import ID_PROBLEMS
from .settlement import Settlement
from .state import PRODUCER, Actor, CaseState, Member, Stage

AUTO_REJECTION = ("同一区县另一条佐证已核办通过，本条自动不通过 "
                  "(another attestation of this number was approved in the same district)")


def rejected_by_approving(case: CaseState, member: Member) -> list[str]:
    """What approving this attestation would reject at once (told to the bureau beforehand)."""
    if member.action is not Action.ATTEST or case.problem_type is not ProblemType.DUPLICATE_ID:
        return []
    return [o.rn for o in case.members.values() if o.rn != member.rn
            and o.brief.district_code == member.brief.district_code
            and o.action is Action.ATTEST and o.stage is Stage.AWAITING_REVIEW]


class Review(Settlement):
    def review(
        self, actor: Actor, rn: str, decision: ReviewDecision, reason: str | None, now: datetime
    ) -> None:
        """The district bureau approves, or rejects with a reason (核办)."""
        member = self.member(rn)
        require_bureau(actor, member)
        if member.stage is not Stage.AWAITING_REVIEW and member.auto_rejected_by:
            raise Refused("review.auto_rejected",
                          f"这条佐证已被自动驳回：同一区县 {member.auto_rejected_by} 的佐证已核办通过 "
                          f"(this attestation was rejected automatically when the attestation of "
                          f"{member.auto_rejected_by} was approved)")
        if member.stage is not Stage.AWAITING_REVIEW or member.action is None:
            raise Refused("review.awaiting_review", "no request of this member awaits review")
        if decision is ReviewDecision.REJECTED and not (reason and reason.strip()):
            raise Invalid("a rejection needs a reason")
        action = member.action
        if decision is ReviewDecision.APPROVED and action is Action.ATTEST and (
                refused := one_attestation_per_district(self, member)):
            raise refused
        self.emit(ev.Reviewed(**self.case_fields(), **self.mention(member), action=action, decision=decision,
                              reason=reason, actor=actor.as_event_actor()))
        before = member.stage
        if decision is ReviewDecision.REJECTED:
            member.rejected_reason = reason
            member.move(Stage.TO_HANDLE, now)
        elif action is Action.ATTEST:
            self.approve_attestation(member, now)
        elif action is Action.AMEND:
            member.move(Stage.AWAITING_DEDUP, now)
            member.make_formal()
            self.command_amend(member)
            self.command_formal(rn)
        else:
            self.delete_member(member, now)
        self.record(now, actor, f"reviewed_{decision.value}", member, reason=reason, before=before)
        self.settle(now)

    def approve_attestation(self, member: Member, now: datetime) -> None:
        """The record becomes formal; a duplicated number waits for the other districts."""
        member.make_formal()
        self.command_formal(member.rn)
        if self.problem_type in ID_PROBLEMS:  # dedup accepts the identity and does not flag it again
            self.emit(AcceptIdProblem(producer=PRODUCER, group_id=self.group_id, registry_number=member.rn))
        if self.problem_type is not ProblemType.DUPLICATE_ID:
            self.settle_member(member, SettlementOutcome.ATTESTED, now)
            return
        member.move(Stage.APPROVED, now)
        self.auto_reject_others(member, now)

    def auto_reject_others(self, approved: Member, now: datetime) -> None:
        """另外一个自动不通过: the other attestations of the same district awaiting review go back."""
        for rn in rejected_by_approving(self, approved):
            other = self.members[rn]
            other.rejected_reason, other.auto_rejected_by = AUTO_REJECTION, approved.rn
            other.move(Stage.TO_HANDLE, now)
            self.emit(ev.AutoRejected(**self.case_fields(), **self.mention(other),
                                      because_of=approved.ref, reason=AUTO_REJECTION))
            self.record(now, None, "auto_rejected", other, reason=AUTO_REJECTION,
                        before=Stage.AWAITING_REVIEW)
