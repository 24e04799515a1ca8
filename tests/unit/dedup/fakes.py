"""In-memory ports of dedup, for use-case and subscriber tests without broker or database.

The store keeps versions as MongoDB does: a write read at a version another writer passed
conflicts, an insert of a held key is refused, and a load hands out copies.
"""

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from xueji_contracts.enums import PopulationOutcome
from xueji_contracts.topics import POPULATION_REQUESTS, PROBLEMS

from services.dedup.domain.groups import Group
from services.dedup.domain.identity import RecordState
from services.dedup.ports import UNSTORED, OutboxEntry, Produced, RecordWrite, StoredRecord
from services.dedup.usecases import Dedup, Indexer

from .factories import PEPPER, TODAY


class FakeIdentityStore:
    groups_name = "dedup_groups"

    def group_document(self, key: str) -> str:
        return key

    def __init__(self) -> None:
        self.records: dict[str, tuple[RecordState, int]] = {}
        self.homes: dict[str, str] = {}  # registry number → the document holding the record
        self.combined_writes = 0  # group writes that took their document's record along
        self.groups: dict[str, tuple[Group, list[OutboxEntry]]] = {}
        self.lose_next_writes = 0  # how many record writes another writer wins first
        self.answered: dict[str, set[str]] = {}  # batch id → request ids answered verified
        # another consumer's change, landing just before the next record write
        self.interleave: Callable[[], Awaitable[None]] | None = None

    async def load_records(self, registry_numbers: list[str]) -> dict[str, StoredRecord]:
        return {rn: (*self._as_read(*self.records[rn]), self.homes[rn])
                for rn in registry_numbers if rn in self.records}

    def _as_read(self, state: RecordState, version: int) -> tuple[RecordState, int]:
        """A record awaiting an answer its batch stored as verified is read as verified."""
        verified = self.answered.get(state.population_batch_id or "", set())
        if state.awaits_population() and state.population_request_id in verified:
            return replace(state, population=PopulationOutcome.VERIFIED), version
        return state, version

    async def batches_verified(self, answers: dict[str, list[str]]) -> None:
        for batch_id, request_ids in answers.items():
            self.answered.setdefault(batch_id, set(request_ids))  # a batch answered again changes nothing

    async def load_groups(self, keys: list[str]) -> dict[str, tuple[Group, list[OutboxEntry]]]:
        return {k: (self.groups[k][0].snapshot(), list(self.groups[k][1])) for k in keys if k in self.groups}

    async def insert_new(self, founded: list[tuple[Group, RecordState]]) -> set[str]:
        unstored = set()
        for group, state in founded:
            if group.key in self.groups or state.registry_number in self.records:
                unstored.add(state.registry_number)
            else:
                self.groups[group.key] = (replace(group.snapshot(), version=1), [])
                self.records[state.registry_number] = (state, 1)
                self.homes[state.registry_number] = group.key  # the key's document (group_document)
        return unstored

    async def record_verified(self, answers: list[tuple[str, str]]) -> None:
        for rn, request_id in answers:
            state, version = self.records.get(rn, (None, 0))
            if state and state.population_request_id == request_id and state.population is None:
                self.records[rn] = (replace(state, population=PopulationOutcome.VERIFIED), version + 1)

    async def save_records(self, writes: list[RecordWrite]) -> set[str]:
        if self.interleave is not None:
            other_writer, self.interleave = self.interleave, None
            await other_writer()
        return {state.registry_number for state, version in writes if not self._save_record(state, version)}

    def _save_record(self, state: RecordState, version: int) -> bool:
        rn = state.registry_number
        if self.lose_next_writes:
            self.lose_next_writes -= 1
            self._another_writer(rn)
            return False
        if self.records.get(rn, (None, 0))[1] != version:
            return False
        self.records[rn] = (state, version + 1)
        self.homes.setdefault(rn, rn)  # a record stored first here has a document of its own
        return True

    async def save_groups(self, writes: list[tuple[Group, list[OutboxEntry]]],
                          along: dict[str, RecordWrite] | None = None) -> set[str]:
        conflicts = set()
        for group, entries in writes:
            stored = self.groups.get(group.key)
            record = (along or {}).get(group.key)
            if record is not None:
                assert self.homes[record[0].registry_number] == group.key, "only the document's own record"
            moved = (stored[0].version if stored else 0) != group.version
            if moved or (record and not self._save_record(*record)):
                conflicts.add(group.key)
                continue
            self.combined_writes += record is not None
            outbox = [*stored[1], *entries] if stored else list(entries)
            stored_now = replace(group.snapshot(), version=group.version + 1, pending=[])
            self.groups[group.key] = (stored_now, outbox)
        return conflicts

    def _another_writer(self, rn: str) -> None:
        if rn in self.records:  # the other writer's version, same state
            state, version = self.records[rn]
            self.records[rn] = (state, version + 1)

    def record(self, rn: str) -> RecordState:
        """The record as the index reads it."""
        return self._as_read(*self.records[rn])[0]

    def members(self, key_prefix: str = "") -> dict[str, set[str]]:
        """The stored groups' members by key."""
        return {k: set(g.members) for k, (g, _) in self.groups.items() if k.startswith(key_prefix)}


class RecordingPublisher:
    """Records what it was handed and empties the groups' outboxes, as the relay does."""

    def __init__(self, store: FakeIdentityStore) -> None:
        self.store = store
        self.produced: Produced = []

    async def publish(self, produced: Produced) -> None:
        self.produced += produced
        for collection, key, _ in produced:
            if collection != UNSTORED and key in self.store.groups:
                self.store.groups[key] = (self.store.groups[key][0], [])

    def payloads(self, topic: str) -> list[dict[str, Any]]:
        return [json.loads(e["payload"]) for _, _, e in self.produced if e["topic"] == topic]

    def questions(self) -> list[dict[str, Any]]:
        """The questions to the population database, out of the batches they travel in."""
        return [q for batch in self.payloads(POPULATION_REQUESTS) for q in batch["questions"]]

    def event_types(self, topic: str = PROBLEMS) -> list[str]:
        return [p["event_type"] for p in self.payloads(topic)]

    def clear(self) -> None:
        self.produced = []


def fake_dedup() -> tuple[Dedup, FakeIdentityStore, RecordingPublisher]:
    store = FakeIdentityStore()
    published = RecordingPublisher(store)
    return Dedup(Indexer(store, PEPPER, lambda: TODAY), published), store, published
