"""Dedup's problem events: a new group opens a case; a changed or cleared one updates its members."""

import logging

from xueji_contracts.problems import AmendmentApplied, MembershipChanged, ProblemCleared, ProblemDetected

from ..domain.case import Case
from ..domain.errors import CaseNotFound
from .changing import Cases

log = logging.getLogger(__name__)
ProblemEvent = ProblemDetected | MembershipChanged | ProblemCleared | AmendmentApplied


async def open_case(cases: Cases, event: ProblemDetected) -> bool:
    """Open the group's case; False when it is open already (a redelivered event)."""
    rule_set = cases.rule_set_for(tuple(sorted({m.province_code for m in event.members})))
    opened = await cases.create(Case.open(event, rule_set, cases.clock(), cases.ref))
    if not opened:
        log.info("case exists already", extra={"group_id": str(event.group_id)})
    return opened


async def apply_membership(cases: Cases, event: MembershipChanged | ProblemCleared) -> None:
    """Bring the case's members up to dedup's view; an event for an unknown group is dropped."""
    try:
        await cases.change(event.group_id, lambda case, now: case.apply_membership(event, now, cases.ref))
    except CaseNotFound:
        log.warning("membership event for an unknown group", extra={"group_id": str(event.group_id)})


async def apply_amendment_result(cases: Cases, event: AmendmentApplied) -> None:
    """Dedup applied an amendment the case approved: the member settles, or is to handle again."""
    try:
        await cases.change(event.group_id, lambda case, now: case.apply_amendment_result(event, now))
    except CaseNotFound:
        log.warning("amendment result for an unknown group", extra={"group_id": str(event.group_id)})


async def apply_problem(cases: Cases, event: ProblemEvent) -> None:
    """The one table from dedup's problem events to the use cases above."""
    if isinstance(event, ProblemDetected):
        await open_case(cases, event)
    elif isinstance(event, AmendmentApplied):
        await apply_amendment_result(cases, event)
    else:
        await apply_membership(cases, event)
