"""Dedup's problem events: a new group opens a case; a changed or cleared one updates its members.

A batch of events is applied in its order, except that the new groups among consecutive events
open their cases together, in one write: each group's events stay in order (its opening comes first).
"""

import logging

from xueji_contracts.problems import AmendmentApplied, MembershipChanged, ProblemCleared, ProblemDetected

from ..domain.case import Case
from ..domain.errors import CaseNotFound
from .changing import Cases

log = logging.getLogger(__name__)
ProblemEvent = ProblemDetected | MembershipChanged | ProblemCleared | AmendmentApplied


async def open_case(cases: Cases, event: ProblemDetected) -> bool:
    """Open the group's case; False when it is open already (a redelivered event)."""
    return (await open_cases(cases, [event]))[0]


async def open_cases(cases: Cases, events: list[ProblemDetected]) -> list[bool]:
    """Open the groups' cases in one write; for each, False when it is open already."""
    now = cases.clock()
    rule_sets = [cases.rule_set_for(tuple(sorted({m.province_code for m in e.members}))) for e in events]
    new = [Case.open(e, rule_set, now, cases.ref) for e, rule_set in zip(events, rule_sets, strict=True)]
    opened = await cases.create_many(new)
    for event, done in zip(events, opened, strict=True):
        if not done:
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
    await apply_problems(cases, [event])


async def apply_problems(cases: Cases, events: list[ProblemEvent]) -> None:
    """A batch of problem events, in order; consecutive openings in one write."""
    openings: list[ProblemDetected] = []
    for event in events:
        if isinstance(event, ProblemDetected):
            openings.append(event)
            continue
        if openings:
            await open_cases(cases, openings)
            openings = []
        if isinstance(event, AmendmentApplied):
            await apply_amendment_result(cases, event)
        else:
            await apply_membership(cases, event)
    if openings:
        await open_cases(cases, openings)
