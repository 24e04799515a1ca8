"""After every change: arbitration status, settled attestations, finished sides, closure (§5–6)."""

from datetime import datetime

from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, ProblemType, SettlementOutcome

from .case import Case, Stage
from .divisions import lowest_common_superior

OPEN_ARBITRATION = (ArbitrationStatus.UNDECIDED, ArbitrationStatus.PENDING)


def arbitration_status(case: Case) -> ArbitrationStatus:
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


def conflict_remains(case: Case) -> bool:
    live = [m for m in case.members.values() if not m.gone]
    match case.problem_type:
        case ProblemType.DUPLICATE_ID:
            return len(live) > 1
        case ProblemType.DUPLICATE_NGB:
            return len(live) > 1 and any(m.outcome is not SettlementOutcome.ATTESTED for m in live)
    return any(m.outcome is None for m in live)


def settle(case: Case, now: datetime) -> None:
    if case.closed:
        return
    status = arbitration_status(case)
    if status is not case.arbitration:
        case.arbitration, case.arbitration_since = status, now
        if status is ArbitrationStatus.PENDING:
            case.arbiter_code = lowest_common_superior(case.arbitration_districts())
        case.emit(
            ev.ArbitrationStateChanged(**case.case_fields(), status=status, arbiter_code=case.arbiter_code)
        )
        case.record(now, None, f"arbitration_{status.value}")
    if status not in OPEN_ARBITRATION:
        for member in case.members.values():
            if member.stage is Stage.APPROVED:
                case.settle_member(member, SettlementOutcome.ATTESTED, now)
    _finish_sides(case, now)
    if not conflict_remains(case):
        _close(case, now)


def _finish_sides(case: Case, now: datetime) -> None:
    """单方处理结束: a province's members all settled and no arbitration open."""
    provinces = case.province_codes
    if len(provinces) < 2 or case.arbitration in OPEN_ARBITRATION:
        return
    for province in provinces:
        members = [m for m in case.members.values() if m.brief.province_code == province]
        if province not in case.finished_provinces and all(m.outcome is not None for m in members):
            case.finished_provinces.append(province)
            case.emit(ev.SideFinished(**case.case_fields(), province_code=province))
            case.record(now, None, f"side_finished_{province}")


def _close(case: Case, now: datetime) -> None:
    live = [m.rn for m in case.members.values() if not m.gone]
    if case.problem_type is ProblemType.DUPLICATE_NGB and len(live) > 1:
        case.command_attested_distinct(sorted(live))
    case.closed = True
    case.emit(ev.GroupClosed(**case.case_fields()))
    case.record(now, None, "group_closed")
