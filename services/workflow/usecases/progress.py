"""The campaign's progress (限期消化处理): a division and those directly below it, from the counters."""

from ..domain.case import Actor
from ..domain.statistics import Statistics, no_counts, require_division, statistics, statistics_root
from .changing import Cases


async def read_statistics(cases: Cases, actor: Actor, division: str | None = None) -> Statistics:
    """The caller's own division (or ``division``, which must lie within its jurisdiction) and the
    divisions directly below it: records by problem type and stage, overdue, cleared per week."""
    code = division or statistics_root(actor)
    counted = await cases.progress.division(code)
    require_division(actor, code, counted.parent_code if counted else None)
    children = await cases.progress.children(code)
    return statistics(counted or no_counts(code), children, await cases.progress.pending(), cases.clock())
