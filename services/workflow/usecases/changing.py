"""The one read-decide-write loop every changing use case shares, over the ports.

A change reads the case at its version, lets the case's own method decide, and writes
conditionally on that version. When another request or consumer wrote first, the case is
read again and decided again (a second click then meets the new state and is refused by
the domain, not by luck). The events are written with the state (the outbox) and then
published, and the progress counters then count the new version (best effort: the
service's progress sweep counts whatever this misses).
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from xueji_contracts.commands import (
    AcceptIdProblem,
    ApplyAmendment,
    DeleteRecord,
    MarkAttestedDistinct,
    MarkFormal,
)
from xueji_contracts.enums import RuleSet
from xueji_contracts.envelope import Envelope
from xueji_contracts.topics import DEDUP_COMMANDS, case_topic

from services.common.outbox import Entry, entry

from ..domain.case import Case
from ..domain.deadlines import DeadlinePolicy
from ..domain.disclosure import for_province
from ..domain.errors import CaseNotFound, Refused
from ..domain.rules import rule_set_for
from ..domain.state import Ref
from ..domain.statistics import DivisionCounts
from ..ports import CaseStore, Clock, Progress, Publisher

log = logging.getLogger(__name__)
ATTEMPTS = 10
COMMANDS = (AcceptIdProblem, ApplyAmendment, DeleteRecord, MarkAttestedDistinct, MarkFormal)


def outbox_entries(case: Case, events: list[Envelope], ref: Ref) -> list[Entry]:
    """Case events go to every province topic of the group; commands go to dedup, keyed by their
    member's ``member_ref`` (one record's commands in order, and no registry number as a key: a G
    number is the full ID number)."""
    entries = []
    for event in events:
        if isinstance(event, COMMANDS):
            rn = getattr(event, "registry_number", None)
            entries.append(entry(DEDUP_COMMANDS, ref(rn) if rn else str(case.group_id), event))
        else:
            provinces = getattr(event, "province_codes", case.province_codes)
            entries += [entry(case_topic(p), str(case.group_id), for_province(event, p, case))
                        for p in provinces]
    return entries


def utc_now() -> datetime:
    return datetime.now(UTC)


class Uncounted:
    """No progress counters (a ``Progress`` that counts nothing): for tools and tests that need none."""

    async def project(self, group_id: UUID) -> None:
        return None

    async def division(self, code: str) -> DivisionCounts | None:
        return None

    async def children(self, code: str) -> list[DivisionCounts]:
        return []

    async def pending(self) -> int:
        return 0


class Cases:
    """The ports a use case works with, and the versioned write they share."""

    def __init__(self, store: CaseStore, relay: Publisher, rule_set: RuleSet, ref: Ref,
                 clock: Clock = utc_now, by_province: dict[str, RuleSet] | None = None,
                 name_search_key: bytes = b"", progress: Progress | None = None,
                 policy: DeadlinePolicy | None = None, count_inline: bool = True) -> None:
        self.store, self.relay, self.rule_set, self.ref, self.clock = store, relay, rule_set, ref, clock
        self.by_province = by_province or {}
        self.name_search_key = name_search_key  # dedup's key of each brief's ``name_key`` (finding by name)
        self.progress: Progress = progress or Uncounted()
        self.policy = policy or DeadlinePolicy()  # the deadlines an export shows
        self.count_inline = count_inline  # count each write at once (else the progress sweep does)

    def rule_set_for(self, provinces: tuple[str, ...]) -> RuleSet:
        """The rule set new groups of these provinces open under (``XUEJI_RULE_SETS``)."""
        return rule_set_for(provinces, self.by_province, self.rule_set)

    async def load(self, group_id: UUID) -> Case:
        loaded = await self.store.load(group_id)
        if loaded is None:
            raise CaseNotFound(str(group_id))
        loaded[0].fill_refs(self.ref)
        return loaded[0]

    async def change(self, group_id: UUID, decide: Callable[[Case, datetime], object]) -> Case:
        """Apply ``decide`` to the current case until the write wins; domain refusals propagate."""
        for _ in range(ATTEMPTS):
            loaded = await self.store.load(group_id)
            if loaded is None:
                raise CaseNotFound(str(group_id))
            case, left_behind = loaded
            case.fill_refs(self.ref)
            decide(case, self.clock())
            if not case.pending and not case.audit:
                return case  # nothing happened: nothing to write
            if await self._write(case, left_behind):
                return case
        raise Refused("concurrency.retry", "the group is changing too fast; try again")

    async def create(self, case: Case) -> bool:
        """Store a new case; False when it exists already (a redelivered or repeated opening)."""
        return (await self.create_many([case]))[0]

    async def create_many(self, new: list[Case]) -> list[bool]:
        """Store new cases in one write, then publish their events; for each, False when it exists
        already (a redelivered or repeated opening, or the same case twice in ``new``)."""
        first = {case.group_id: n for n, case in reversed(list(enumerate(new)))}
        unique = [case for n, case in enumerate(new) if first[case.group_id] == n]
        items = [(case, outbox_entries(case, case.pending, self.ref), case.audit) for case in unique]
        stored = await self.store.insert(items)
        await self.relay.publish([(str(case.group_id), case.version + 1, entries)
                                  for n, (case, entries, _) in enumerate(items) if n in stored])
        if self.count_inline:
            for n in sorted(stored):
                await self._count(unique[n].group_id)
        created = {unique[n].group_id for n in stored}
        return [first[case.group_id] == n and case.group_id in created for n, case in enumerate(new)]

    async def _write(self, case: Case, left_behind: list[Entry]) -> bool:
        entries = outbox_entries(case, case.pending, self.ref)
        if not await self.store.save(case, entries, case.audit):
            return False
        await self.relay.publish([(str(case.group_id), case.version + 1, [*left_behind, *entries])])
        if self.count_inline:
            await self._count(case.group_id)
        return True

    async def _count(self, group_id: UUID) -> None:
        """Count the new version now; a failure only delays it to the progress sweep."""
        try:
            await self.progress.project(group_id)
        except Exception:
            log.warning("progress left for the sweep", extra={"group_id": str(group_id)}, exc_info=True)
