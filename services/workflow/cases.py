"""The workflow's use cases: load a case, let the domain decide, store state and events, publish.

Every change runs in a loop: read the case at its version, apply the domain function,
write conditionally on that version. When another request or consumer wrote first, the
case is read again and the domain decides again (a second click then meets the new
state and is refused by the domain, not by luck).
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from xueji_contracts.enums import RuleSet
from xueji_contracts.problems import MembershipChanged, ProblemCleared, ProblemDetected

from services.common.outbox import OutboxRelay

from .adapters.store import CaseStore, outbox_entries
from .domain.case import Actor, Case
from .domain.deadlines import DeadlinePolicy, fire_due_timers
from .domain.errors import CaseNotFound, Refused
from .domain.handling import apply_membership, open_case, reinitiate

log = logging.getLogger(__name__)
ATTEMPTS = 10


class Cases:
    def __init__(
        self,
        store: CaseStore,
        relay: OutboxRelay,
        rule_set: RuleSet,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.relay, self.rule_set, self.clock = store, relay, rule_set, clock

    async def change(self, group_id: UUID, decide: Callable[[Case, datetime], object]) -> Case:
        """Apply ``decide`` to the current case until the write wins; domain refusals propagate."""
        for _ in range(ATTEMPTS):
            loaded = await self.store.load(group_id)
            if loaded is None:
                raise CaseNotFound(str(group_id))
            case, left_behind = loaded
            decide(case, self.clock())
            if not case.pending and not case.audit:
                return case  # nothing happened: nothing to write
            if await self._write(case, left_behind):
                return case
        raise Refused("concurrency.retry", "the group is changing too fast; try again")

    async def create(self, case: Case) -> bool:
        """Store a new case; False when it exists already (a redelivered or repeated opening)."""
        return await self._write(case, [])

    async def _write(self, case: Case, left_behind: list[dict[str, str]]) -> bool:
        entries = outbox_entries(case, case.pending)
        if not await self.store.save(case, entries, case.audit):
            return False
        await self.relay.publish([(str(case.group_id), case.version + 1, [*left_behind, *entries])])
        return True

    async def fire_deadlines(self, policy: DeadlinePolicy) -> int:
        """Fire the reminders and escalations now due. Every replica may run this: the
        versioned write lets one win per case, and a fired timer is remembered on the case."""
        due = await self.store.due(self.clock())
        for group_id in due:
            await self.change(group_id, lambda case, now: fire_due_timers(case, policy, now))
        return len(due)

    async def reinitiate(self, group_id: UUID, actor: Actor, registry_number: str, confirmed: bool) -> Case:
        """佐证后发起重新处理: the new one-member group is written first (its id is derived from the old
        group and the member, so a retry finds it), then the old group records the re-initiation."""
        loaded = await self.store.load(group_id)
        if loaded is None:
            raise CaseNotFound(str(group_id))
        # decided on the loaded copy first: a refusal writes nothing
        new = reinitiate(loaded[0], actor, registry_number, confirmed, self.rule_set, self.clock())
        await self.create(new)
        await self.change(group_id, lambda case, now: reinitiate(case, actor, registry_number, confirmed,
                                                                 self.rule_set, now))
        return new

    async def on_problem(self, event: ProblemDetected | MembershipChanged | ProblemCleared) -> None:
        """Dedup's problem events: open a case, or bring its members up to date."""
        if isinstance(event, ProblemDetected):
            if not await self.create(open_case(event, self.rule_set, self.clock())):
                log.info("case exists already", extra={"group_id": str(event.group_id)})
            return
        try:
            await self.change(event.group_id, lambda case, now: apply_membership(case, event, now))
        except CaseNotFound:
            log.warning("membership event for an unknown group", extra={"group_id": str(event.group_id)})
