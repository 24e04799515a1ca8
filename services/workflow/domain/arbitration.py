"""Arbitration between districts that both approved an attestation of one number (仲裁, DOMAIN §5)."""

from datetime import datetime

from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, SettlementOutcome

from .errors import Invalid, Refused
from .jurisdiction import require_arbiter
from .settlement import Settlement
from .state import Actor, Stage


class Arbitration(Settlement):
    def decide_arbitration(self, actor: Actor, approved_rn: str, reason: str, now: datetime) -> None:
        """The lowest common superior approves exactly one attestation; the others are rejected."""
        require_arbiter(actor, self)
        if self.arbitration is not ArbitrationStatus.PENDING:
            raise Refused("arbitration.pending", "this group has no pending arbitration")
        contenders = [m for m in self.members.values() if m.stage is Stage.APPROVED]
        if approved_rn not in {m.rn for m in contenders}:
            raise Invalid(f"{approved_rn} is not one of the approved attestations under arbitration")
        rejected = [m for m in contenders if m.rn != approved_rn]
        for loser in rejected:
            loser.lost_arbitration, loser.rejected_reason = True, reason
            loser.move(Stage.TO_HANDLE, now)
            self.record(now, actor, "arbitration_rejected", loser, reason=reason, before=Stage.APPROVED)
        self.emit(ev.ArbitrationDecided(
            **self.case_fields(),
            arbiter_code=self.arbiter_code or "",
            approved=approved_rn,
            rejected=tuple(m.rn for m in rejected),
            reason=reason,
            actor=actor.as_event_actor(),
        ))
        winner = self.members[approved_rn]
        self.record(now, actor, "arbitration_approved", winner, reason=reason)
        self.arbitration_decided = True
        self.settle_member(winner, SettlementOutcome.ATTESTED, now)
        self.settle(now)
