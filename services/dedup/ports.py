"""What the dedup use cases need from outside, as protocols: ``adapters/`` implement them (the
MongoDB identity store, the outbox relay) and the unit tests hand in fakes."""

from datetime import date
from typing import Protocol

from services.common.outbox import Entry

from .domain.groups import Group
from .domain.identity import RecordState

OutboxEntry = Entry  # plus "version": the version of the document that stored it
Produced = list[tuple[str, str, OutboxEntry]]  # (collection, document id, entry)
StoredRecord = tuple[RecordState, int, str]  # state, version, the id of the document that holds it
RecordWrite = tuple[RecordState, int]  # the new state, the version it was read at
UNSTORED = ""  # the collection named by entries no outbox holds: sent, never cleared


class IdentityStore(Protocol):
    """The identity index: records and groups, every write conditional on the version read."""

    groups_name: str  # the collection of groups, as ``Produced`` names it

    def group_document(self, key: str) -> str:
        """The stored id of a group's document (what ``Produced`` names it by)."""

    async def load_records(self, registry_numbers: list[str]) -> dict[str, StoredRecord]:
        """The records stored of these, with their versions."""

    async def load_groups(self, keys: list[str]) -> dict[str, tuple[Group, list[OutboxEntry]]]:
        """The groups stored of these keys, with the entries of their outboxes not yet published."""

    async def insert_new(self, founded: list[tuple[Group, RecordState]]) -> set[str]:
        """Store records not indexed yet, each with the one-member group of a key nobody holds yet,
        in one write each; return the registry numbers not stored (key held, or record stored)."""

    async def record_verified(self, answers: list[tuple[str, str]]) -> None:
        """Store ``verified`` answers (registry number, request id) of records still awaiting them."""

    async def batches_verified(self, answers: dict[str, list[str]]) -> None:
        """Store the ``verified`` answers of population batches (batch id → request ids), read into
        the records awaiting them when they are loaded."""

    async def save_records(self, writes: list[RecordWrite]) -> set[str]:
        """Write records read at their versions; return the registry numbers that conflicted."""

    async def save_groups(self, writes: list[tuple[Group, list[OutboxEntry]]],
                          along: dict[str, RecordWrite] | None = None) -> set[str]:
        """Write groups read at their versions with new outbox entries; return the keys that conflicted.

        ``along``, by group key: a record that the group's document holds (``load_records`` names
        the document), written in the same update: both are written, or neither when either was
        changed by another writer (its key is then among those returned)."""


class Publisher(Protocol):
    async def publish(self, produced: Produced) -> None:
        """Publish what a change stored in outboxes (or did not store), in order per key."""


class Clock(Protocol):
    def __call__(self) -> date: ...
