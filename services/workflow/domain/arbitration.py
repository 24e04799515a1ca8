"""Arbitration between districts of one side that both approved an attestation of one number (仲裁, §5)."""

from datetime import datetime

from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, SettlementOutcome

from .errors import Invalid, Refused
from .jurisdiction import arbiters_of, require_arbiter
from .settlement import Settlement
from .state import Actor, Stage


class Arbitration(Settlement):
    def decide_arbitration(self, actor: Actor, approved_rn: str, reason: str, now: datetime) -> None:
        """The lowest common superior of the side approves exactly one attestation; the others are
        rejected and their schools handle them again (amend or delete)."""
        require_arbiter(actor, actor.organisation_code in arbiters_of(self))
        mine = [s for s in self.sides.values()
                if s.arbitration is ArbitrationStatus.PENDING and s.arbiter_code == actor.organisation_code]
        if not mine:
            raise Refused("arbitration.pending", "this group has no arbitration pending before you")
        winner = self.members.get(approved_rn)
        side = next((s for s in mine if winner and self.side_of(winner) == s.code), None)
        contenders = [m for m in self.side_members(side.code) if m.stage is Stage.APPROVED] if side else []
        if winner is None or side is None or winner not in contenders:
            raise Invalid(f"{approved_rn} is not one of the approved attestations under your arbitration")
        rejected = [m for m in contenders if m.rn != approved_rn]
        for loser in rejected:
            loser.lost_arbitration, loser.rejected_reason = True, reason
            loser.end_request(now)
            self.record(now, actor, "arbitration_rejected", loser, reason=reason, before=Stage.APPROVED)
        self.emit(ev.ArbitrationDecided(
            **self.case_fields(),
            arbiter_code=side.arbiter_code or "",
            approved=winner.ref,
            rejected=tuple(m.ref for m in rejected),
            reason=reason,
            actor=actor.as_event_actor(),
            side_code=side.code,
        ))
        self.record(now, actor, "arbitration_approved", winner, reason=reason)
        side.decided = True
        self.settle_member(winner, SettlementOutcome.ATTESTED, now)
        self.settle(now)
