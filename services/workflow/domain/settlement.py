"""After every change: arbitration status, settled attestations, finished sides, closure (§5–6)."""

from datetime import datetime

from xueji_contracts import cases as ev
from xueji_contracts.commands import MarkAttestedDistinct
from xueji_contracts.enums import ArbitrationStatus, ProblemType, SettlementOutcome

from .divisions import lowest_common_superior
from .state import PRODUCER, CaseState, Stage

OPEN_ARBITRATION = (ArbitrationStatus.UNDECIDED, ArbitrationStatus.PENDING)


def arbitration_status(case: CaseState) -> ArbitrationStatus:
    """``undecided``: one district approved and another can still attest; ``pending``: two did."""
    if case.problem_type is not ProblemType.DUPLICATE_ID:
        return ArbitrationStatus.NOT_NEEDED
    if case.arbitration_decided:
        return ArbitrationStatus.DECIDED
    approved = [m for m in case.members.values() if m.stage is Stage.APPROVED]
    if not approved:
        return ArbitrationStatus.NOT_NEEDED
    if len({m.brief.district_code for m in approved}) > 1:
        return ArbitrationStatus.PENDING
    district = approved[0].brief.district_code
    rivals = [
        m
        for m in case.members.values()
        if m.outcome is None
        and m.stage is not Stage.APPROVED
        and m.brief.district_code != district
        and not m.lost_arbitration
    ]
    return ArbitrationStatus.UNDECIDED if rivals else ArbitrationStatus.NOT_NEEDED


def conflict_remains(case: CaseState) -> bool:
    live = [m for m in case.members.values() if not m.gone]
    match case.problem_type:
        case ProblemType.DUPLICATE_ID:
            return len(live) > 1
        case ProblemType.DUPLICATE_NGB:
            return len(live) > 1 and any(m.outcome is not SettlementOutcome.ATTESTED for m in live)
    return any(m.outcome is None for m in live)


class Settlement(CaseState):
    """What follows from the members' stages, applied after every rule that moved one."""

    def settle(self, now: datetime) -> None:
        if self.closed:
            return
        status = arbitration_status(self)
        if status is not self.arbitration:
            self.arbitration, self.arbitration_since = status, now
            if status is ArbitrationStatus.PENDING:
                self.arbiter_code = lowest_common_superior(self.arbitration_districts())
            self.emit(ev.ArbitrationStateChanged(**self.case_fields(), status=status,
                                                 arbiter_code=self.arbiter_code))
            self.record(now, None, f"arbitration_{status.value}")
        if status not in OPEN_ARBITRATION:
            for member in self.members.values():
                if member.stage is Stage.APPROVED:
                    self.settle_member(member, SettlementOutcome.ATTESTED, now)
        self._finish_sides(now)
        if not conflict_remains(self):
            self._close(now)

    def _finish_sides(self, now: datetime) -> None:
        """单方处理结束: a province's members all settled and no arbitration open."""
        provinces = self.province_codes
        if len(provinces) < 2 or self.arbitration in OPEN_ARBITRATION:
            return
        for province in provinces:
            members = [m for m in self.members.values() if m.brief.province_code == province]
            if province not in self.finished_provinces and all(m.outcome is not None for m in members):
                self.finished_provinces.append(province)
                self.emit(ev.SideFinished(**self.case_fields(), province_code=province))
                self.record(now, None, f"side_finished_{province}")

    def _close(self, now: datetime) -> None:
        live = sorted(m.rn for m in self.members.values() if not m.gone)
        if self.problem_type is ProblemType.DUPLICATE_NGB and len(live) > 1:
            self.emit(MarkAttestedDistinct(producer=PRODUCER, group_id=self.group_id,
                                           registry_numbers=tuple(live)))
        self.closed = True
        self.emit(ev.GroupClosed(**self.case_fields()))
        self.record(now, None, "group_closed")
