"""After every change: each side's arbitration, settled attestations, finished sides, closure (§5–6)."""

from datetime import datetime

from xueji_contracts import cases as ev
from xueji_contracts.commands import MarkAttestedDistinct
from xueji_contracts.enums import ArbitrationStatus, ProblemType, SettlementOutcome

from .divisions import lowest_common_superior
from .state import PRODUCER, CaseState, Member, Stage

OPEN_ARBITRATION = (ArbitrationStatus.UNDECIDED, ArbitrationStatus.PENDING)
URGENCY = (ArbitrationStatus.PENDING, ArbitrationStatus.UNDECIDED, ArbitrationStatus.DECIDED)
CANCELLED = "问题已消除，申请已取消 (the problem is gone: the request is cancelled)"
AWAITING = {Stage.AWAITING_LEADER: "leader", Stage.AWAITING_REVIEW: "review", Stage.AWAITING_DEDUP: "dedup"}


def side_status(case: CaseState, members: list[Member], decided: bool) -> ArbitrationStatus:
    """``undecided``: one district of the side approved and another can still attest; ``pending``:
    two did. Sides never arbitrate with each other (unless the rule set says ``national``)."""
    if case.problem_type is not ProblemType.DUPLICATE_ID:
        return ArbitrationStatus.NOT_NEEDED
    if decided:
        return ArbitrationStatus.DECIDED
    approved = [m for m in members if m.stage is Stage.APPROVED]
    if not approved:
        return ArbitrationStatus.NOT_NEEDED
    if len({m.brief.district_code for m in approved}) > 1:
        return ArbitrationStatus.PENDING
    district = approved[0].brief.district_code
    rivals = [
        m for m in members
        if m.outcome is None and m.stage is not Stage.APPROVED and m.brief.district_code != district
        and not m.lost_arbitration
    ]
    return ArbitrationStatus.UNDECIDED if rivals else ArbitrationStatus.NOT_NEEDED


def conflict_remains(case: CaseState) -> bool:
    """DUPLICATE_ID: two live members on one side, or live members across sides not all attested
    (跨省双佐证 finishes the group); DUPLICATE_NGB: a live member not attested; ID problems: a member
    not settled."""
    live = [m for m in case.members.values() if not m.gone]
    if case.linked_group_id is not None:  # a re-initiated member: until it is settled again
        return any(m.outcome is None for m in live)
    match case.problem_type:
        case ProblemType.DUPLICATE_ID:
            sides = [case.side_of(m) for m in live]
            return len(sides) != len(set(sides)) or (
                len(live) > 1 and any(m.outcome is not SettlementOutcome.ATTESTED for m in live))
        case ProblemType.DUPLICATE_NGB:
            return len(live) > 1 and any(m.outcome is not SettlementOutcome.ATTESTED for m in live)
    return any(m.outcome is None for m in live)


class Settlement(CaseState):
    """What follows from the members' stages, applied after every rule that moved one."""

    def settle(self, now: datetime) -> None:
        if self.closed:
            return
        for code in sorted({self.side_of(m) for m in self.members.values()}):
            self._settle_side(code, now)
        self._summarise_arbitration()
        self._finish_sides(now)
        if not conflict_remains(self):
            self._close(now)

    def _settle_side(self, code: str, now: datetime) -> None:
        side, members = self.side(code), self.side_members(code)
        status = side_status(self, members, side.decided)
        arbiter = side.arbiter_code if status is ArbitrationStatus.DECIDED else None
        if status is ArbitrationStatus.PENDING:  # recomputed over every approved member (§5)
            approved = [m.brief.district_code for m in members if m.stage is Stage.APPROVED]
            arbiter = lowest_common_superior(approved)
        if (status, arbiter) != (side.arbitration, side.arbiter_code):
            if status is not side.arbitration or arbiter != side.arbiter_code:
                side.since = now  # a new arbiter has its own full time
            side.arbitration, side.arbiter_code = status, arbiter
            self.emit(ev.ArbitrationStateChanged(**self.case_fields(), status=status, arbiter_code=arbiter,
                                                 side_code=code))
            self.record(now, None, f"arbitration_{status.value}", reason=arbiter)
        if status not in OPEN_ARBITRATION:
            for member in members:
                if member.stage is Stage.APPROVED:
                    self.settle_member(member, SettlementOutcome.ATTESTED, now)

    def _summarise_arbitration(self) -> None:
        """The case's status is its most urgent side's (one side in a group of one province)."""
        ranked = sorted(self.sides.values(), key=lambda s: URGENCY.index(s.arbitration)
                        if s.arbitration in URGENCY else len(URGENCY))
        top = ranked[0] if ranked else None
        self.arbitration = top.arbitration if top else ArbitrationStatus.NOT_NEEDED
        self.arbiter_code = top.arbiter_code if top else None

    def open_arbitration(self, member: Member) -> bool:
        return self.side(self.side_of(member)).arbitration in OPEN_ARBITRATION

    def _finish_sides(self, now: datetime) -> None:
        """单方处理结束: a province's members all settled and no arbitration open for them."""
        provinces = self.province_codes
        if len(provinces) < 2:
            return
        for province in provinces:
            members = [m for m in self.members.values() if m.brief.province_code == province]
            if (province not in self.finished_provinces and all(m.outcome is not None for m in members)
                    and not any(self.open_arbitration(m) for m in members)):
                self.finished_provinces.append(province)
                self.emit(ev.SideFinished(**self.case_fields(), province_code=province))
                self.record(now, None, f"side_finished_{province}")

    def _close(self, now: datetime) -> None:
        """No conflict remains: whatever is still open ends here, never left in a queue (§4)."""
        for member in self.members.values():
            if member.outcome is None:
                self._end_with_group(member, now)
        live = sorted(m.rn for m in self.members.values() if not m.gone)
        if self.problem_type is ProblemType.DUPLICATE_NGB and len(live) > 1:
            self.emit(MarkAttestedDistinct(producer=PRODUCER, group_id=self.group_id,
                                           registry_numbers=tuple(live)))
        self.closed = True
        self.emit(ev.GroupClosed(**self.case_fields()))
        self.record(now, None, "group_closed")

    def _end_with_group(self, member: Member, now: datetime) -> None:
        if member.stage is Stage.APPROVED:
            self.settle_member(member, SettlementOutcome.ATTESTED, now)
            return
        if member.stage is Stage.AWAITING_DEDUP:  # the amendment was approved and sent
            self.settle_member(member, SettlementOutcome.AMENDED, now)
            return
        if member.stage in AWAITING:
            self.emit(ev.RequestEnded(**self.case_fields(), **self.mention(member), action=member.action,
                                      ended="cancelled", was_awaiting=AWAITING[member.stage],
                                      reason=CANCELLED))
            self.record(now, None, "request_cancelled", member, reason=CANCELLED, before=member.stage)
            member.end_request(now)
        self.settle_member(member, SettlementOutcome.CLEARED, now)

    def reopen(self, joined: list[str], now: datetime) -> None:
        """A record joined the closed group (DOMAIN §6 [decided]): the case reopens for it. Settled
        members keep their outcomes; one that never had to act (cleared) is to handle again."""
        self.closed = False
        for member in self.members.values():
            if member.outcome is SettlementOutcome.CLEARED:
                member.outcome = None
                member.move(Stage.TO_HANDLE, now)
        joined_provinces = {self.members[rn].brief.province_code for rn in joined}
        self.finished_provinces = [p for p in self.finished_provinces if p not in joined_provinces]
        self.emit(ev.GroupReopened(**self.case_fields(), joined=tuple(map(self.ref_of, joined))))
        self.record(now, None, "group_reopened")
