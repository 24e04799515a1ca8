"""The deadline scan: reminders before a stage's deadline, escalations after it."""

from ..domain.deadlines import DeadlinePolicy
from .changing import Cases


async def fire_deadlines(cases: Cases, policy: DeadlinePolicy) -> int:
    """Fire the reminders and escalations now due; how many groups had one. Every replica may run
    this: the versioned write lets one win per case, and a fired timer is remembered on the case."""
    due = await cases.store.due(cases.clock())
    for group_id in due:
        await cases.change(group_id, lambda case, now: case.fire_due_timers(policy, now))
    return len(due)
