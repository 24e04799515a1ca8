"""In-memory ports of the workflow, for use-case and subscriber tests without broker or database."""

import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from uuid import UUID

from xueji_contracts.enums import RuleSet
from xueji_contracts.evidence import EvidenceStored

from services.common.outbox import Entry, Written
from services.workflow.adapters.store import query_fields
from services.workflow.cases import Cases
from services.workflow.domain.case import AuditEntry, Case
from services.workflow.domain.deadlines import DeadlinePolicy
from services.workflow.domain.progress import NO_PARENT, Key, tally
from services.workflow.domain.statistics import DivisionCounts
from services.workflow.domain.views import EvidenceFile, link_of
from services.workflow.ports import Query

from .factories import NOW, REF

NAME_SEARCH_KEY = b"test-name-search-key"
POLICY = DeadlinePolicy()


class FakeCaseStore:
    """Cases kept as their stored JSON and version, so a load is a fresh copy like the database's."""

    def __init__(self) -> None:
        self.docs: dict[UUID, tuple[dict[str, object], int]] = {}
        self.histories: dict[UUID, list[AuditEntry]] = {}
        self.evidence: set[tuple[UUID, str, UUID]] = set()
        self.files: dict[UUID, EvidenceFile] = {}
        self.due_groups: list[UUID] = []
        self.queries: list[tuple[Query | None, Query, int, int]] = []
        self.lose_next_writes = 0  # how many writes another writer wins first
        self.inserts: list[list[UUID]] = []  # the new cases of each insert

    async def load(self, group_id: UUID) -> tuple[Case, list[Entry]] | None:
        if group_id not in self.docs:
            return None
        state, version = self.docs[group_id]
        return Case.model_validate({**state, "version": version}), []

    async def insert(self, new: list[tuple[Case, list[Entry], list[AuditEntry]]]) -> set[int]:
        self.inserts.append([case.group_id for case, _, _ in new])
        return {n for n, (case, entries, audit) in enumerate(new)
                if case.group_id not in self.docs and await self.save(case, entries, audit)}

    async def save(self, case: Case, entries: list[Entry], audit: list[AuditEntry]) -> bool:
        stored = self.docs.get(case.group_id)
        if self.lose_next_writes or (stored[1] if stored else 0) != case.version:
            self.lose_next_writes = max(0, self.lose_next_writes - 1)
            return False
        self.docs[case.group_id] = (case.model_dump(mode="json", exclude={"version"}), case.version + 1)
        self.histories.setdefault(case.group_id, []).extend(audit)
        return True

    async def find(
        self, scope: Query | None, filters: Query, offset: int, limit: int
    ) -> tuple[bool, list[Case]]:
        self.queries.append((scope, filters, offset, limit))
        found = [case for case in [await self.stored(g) for g in self.docs] if searched(case, filters)]
        return len(found) > offset + limit, found[offset : offset + limit]

    async def batches(self, scope: Query | None, filters: Query, size: int) -> AsyncIterator[list[Case]]:
        found = await self.matching(scope, filters)
        for start in range(0, len(found), size):
            yield found[start : start + size]

    async def count_members(self, scope: Query | None, filters: Query, cases_at_most: int) -> int:
        return sum(len(case.members) for case in (await self.matching(scope, filters))[:cases_at_most])

    async def matching(self, scope: Query | None, filters: Query) -> list[Case]:
        """The cases the store's query would find, newest first (over the fields it derives)."""
        found = [case for case in [await self.stored(g) for g in self.docs]
                 if matches(query_fields(case, POLICY), {**filters, **(scope or {})})]
        return sorted(found, key=lambda case: case.opened_at, reverse=True)

    async def due(self, now: datetime, limit: int = 100) -> list[UUID]:
        return self.due_groups[:limit]

    async def history(self, group_id: UUID) -> list[AuditEntry]:
        return list(self.histories.get(group_id, []))

    async def add_evidence(self, event: EvidenceStored, member_ref: str) -> None:
        self.evidence.add((event.group_id, member_ref, event.evidence_id))
        self.files[event.evidence_id] = EvidenceFile(
            evidence_id=event.evidence_id, file_name=event.file_name, file_type=event.file_type,
            size_bytes=event.size_bytes, uploaded_at=event.occurred_at, link=link_of(event.evidence_id))

    async def evidence_files(self, evidence_ids: set[UUID]) -> dict[UUID, EvidenceFile]:
        return {e: f for e, f in self.files.items() if e in evidence_ids}

    async def evidence_of(self, group_id: UUID, member_ref: str) -> frozenset[UUID]:
        return frozenset(e for g, ref, e in self.evidence if (g, ref) == (group_id, member_ref))

    async def stored(self, group_id: UUID) -> Case:
        loaded = await self.load(group_id)
        assert loaded is not None
        return loaded[0]


def searched(case: Case, filters: Query) -> bool:
    """The store's ``registry_numbers`` and ``name_keys`` filters: some member has that value."""
    members = case.members.values()
    held: dict[str, set[str | None]] = {"registry_numbers": {m.rn for m in members},
                                        "name_keys": {m.brief.name_key for m in members}}
    return all(filters[field] in values for field, values in held.items() if field in filters)


def matches(fields: dict[str, Any], query: Query) -> bool:
    """Equality with a field's value or one of its values, and ``$gte``/``$lt`` ranges."""
    for name, wanted in query.items():
        held = fields.get(name)
        if isinstance(wanted, dict):
            if ("$gte" in wanted and held < wanted["$gte"]) or ("$lt" in wanted and held >= wanted["$lt"]):
                return False
        elif wanted not in (held if isinstance(held, list) else [held]):
            return False
    return True


class FakeProgress:
    """The progress counters as the sums of the stored cases' tallies, counted when projected."""

    def __init__(self, store: FakeCaseStore, policy: DeadlinePolicy = POLICY) -> None:
        self.store, self.policy = store, policy
        self.tallies: dict[UUID, dict[str, int]] = {}
        self.pending_changes = 0

    async def project(self, group_id: UUID) -> None:
        self.tallies[group_id] = tally(await self.store.stored(group_id), self.policy)

    def _divisions(self) -> dict[str, DivisionCounts]:
        sums: dict[str, Counter[str]] = {}
        places: dict[str, tuple[str, str | None]] = {}
        for counted in self.tallies.values():
            for key, n in counted.items():
                level, code, parent, metric = Key.parse(key)
                sums.setdefault(code, Counter())[metric] += n
                places[code] = (level, None if parent == NO_PARENT else parent)
        return {code: DivisionCounts(code, *places[code], dict(n)) for code, n in sums.items()}

    async def division(self, code: str) -> DivisionCounts | None:
        return self._divisions().get(code)

    async def children(self, code: str) -> list[DivisionCounts]:
        return [d for d in self._divisions().values() if d.parent_code == code]

    async def pending(self) -> int:
        return self.pending_changes


class RecordingPublisher:
    def __init__(self) -> None:
        self.written: Written = []

    async def publish(self, written: Written) -> None:
        self.written += written

    def event_types(self) -> list[str]:
        return [json.loads(e["payload"]).get("event_type", "") for _, _, es in self.written for e in es]

    def topics(self) -> set[str]:
        return {e["topic"] for _, _, es in self.written for e in es}


def fake_cases(now: datetime = NOW) -> tuple[Cases, FakeCaseStore, RecordingPublisher]:
    """The use cases' unit over an in-memory store, a recording publisher and a fixed clock."""
    store, publisher = FakeCaseStore(), RecordingPublisher()
    cases = Cases(store, publisher, RuleSet.R2017, REF, clock=lambda: now, name_search_key=NAME_SEARCH_KEY)
    return cases, store, publisher


def counted_cases(now: datetime = NOW) -> tuple[Cases, FakeCaseStore, FakeProgress]:
    """``fake_cases`` with progress counters that count each write."""
    store = FakeCaseStore()
    progress = FakeProgress(store)
    cases = Cases(store, RecordingPublisher(), RuleSet.R2017, REF, clock=lambda: now,
                  name_search_key=NAME_SEARCH_KEY, progress=progress, policy=POLICY)
    return cases, store, progress
