"""In-memory ports of the workflow, for use-case and subscriber tests without broker or database."""

import json
from datetime import datetime
from uuid import UUID

from xueji_contracts.enums import RuleSet

from services.common.outbox import Entry, Written
from services.workflow.cases import Cases
from services.workflow.domain.case import AuditEntry, Case
from services.workflow.ports import Query

from .factories import NOW


class FakeCaseStore:
    """Cases kept as their stored JSON and version, so a load is a fresh copy like the database's."""

    def __init__(self) -> None:
        self.docs: dict[UUID, tuple[dict[str, object], int]] = {}
        self.histories: dict[UUID, list[AuditEntry]] = {}
        self.evidence: set[tuple[UUID, str, UUID]] = set()
        self.due_groups: list[UUID] = []
        self.queries: list[tuple[Query | None, Query, int, int]] = []
        self.lose_next_writes = 0  # how many writes another writer wins first

    async def load(self, group_id: UUID) -> tuple[Case, list[Entry]] | None:
        if group_id not in self.docs:
            return None
        state, version = self.docs[group_id]
        return Case.model_validate({**state, "version": version}), []

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
        found = [await self.stored(g) for g in self.docs]
        return len(found) > offset + limit, found[offset : offset + limit]

    async def due(self, now: datetime, limit: int = 100) -> list[UUID]:
        return self.due_groups[:limit]

    async def history(self, group_id: UUID) -> list[AuditEntry]:
        return list(self.histories.get(group_id, []))

    async def add_evidence(self, evidence_id: UUID, group_id: UUID, registry_number: str) -> None:
        self.evidence.add((group_id, registry_number, evidence_id))

    async def evidence_of(self, group_id: UUID, registry_number: str) -> frozenset[UUID]:
        return frozenset(e for g, rn, e in self.evidence if (g, rn) == (group_id, registry_number))

    async def stored(self, group_id: UUID) -> Case:
        loaded = await self.load(group_id)
        assert loaded is not None
        return loaded[0]


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
    return Cases(store, publisher, RuleSet.R2017, clock=lambda: now), store, publisher
