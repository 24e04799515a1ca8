"""The identity index in MongoDB: groups with their outboxes, and the records they hold.

Both live in one collection, so that one insert can claim a key and store a record. Every
record has one *home* document, the one whose ``holder`` is the record's id (a unique
index): a record that registers alone on a key nobody holds yet is stored in that key's
group document, which it founds (one insert: the group with its one member, ``holder``
and the ``record``). The insert fails (E11000) when the key is held (``_id``) or the
record already has a home (``holder``); the record then takes the versioned path below,
and a record first stored there gets a home of its own (``_id`` its record id). A home
never moves: a record that changes keys stays stored where it was founded.

Concurrency: a group and a record have versions of their own (``version``,
``record_version``), so the writes to the group and to the record that share a document
never conflict with each other. A write is ``update_one`` filtered on the version it read,
with ``upsert=True``, or an insert when it read none: when another consumer wrote first,
either collides with the existing ``_id`` or ``holder`` (E11000) and the key is reported
as a conflict, to be re-read and recomputed. This is atomic per key without findAndModify
(STACK.md). A group's write sets its own fields only, a record's its ``record`` only. When one
change writes a group and the record its document holds, and no other group (a record founded
its key's group, and its brief there changes with it), both go in one update filtered on both
versions: an update costs the database several inserts. If that collides, the use case writes
each alone.
Outbox: events produced by a change of a group are pushed onto it in the same write, so
state and events are stored together; the relay (``services.common.outbox``) publishes
them, then empties the outbox if the document is still at the version that stored them.
A writer that finds entries left by an earlier one (which stopped before publishing)
publishes them with its own.
"""

from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from typing import Any
from uuid import UUID

from prometheus_client import Counter
from pymongo import ASCENDING, InsertOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from xueji_contracts.enums import IdType, PopulationOutcome, ProblemType, RecordStatus
from xueji_contracts.problems import MemberBrief

from services.common.mongo import find_in, in_lists, insert_new
from services.common.outbox import push, with_outbox

from ..domain.groups import Group
from ..domain.identity import RecordState, evolve
from ..ports import OutboxEntry, RecordWrite, StoredRecord
from .vault import ID_PREFIX, Vault

Doc = dict[str, Any]
ROUND_TRIPS = Counter("xueji_dedup_db_round_trips", "Database calls made by the identity index")
WRITTEN = Counter("xueji_dedup_documents_written", "Documents the identity index inserted or updated "
                  "(writes that collided with another writer's are not counted)", ["collection"])
COLLECTION = "dedup_groups"
HOMES = {"holder": {"$exists": True}}  # the documents that hold a record: one per record
GROUP_ONLY = {"holder": 0, "record": 0, "record_version": 0}  # a group's fields, not its record's


RECORD_FIELDS = tuple(f.name for f in fields(RecordState) if f.name != "registry_number")
# The registry number is never a field or key here: documents are found by its keyed hash and hold
# it sealed (``vault``), since a G registry number is the full ID number.


def record_to_doc(state: RecordState, vault: Vault, sealed: str | None = None) -> Doc:
    """The record's fields, its registry number sealed (``sealed``: sealed already)."""
    # every field is a scalar but these: a field-by-field copy, not ``asdict``'s deep one (hot path)
    doc: Doc = {name: getattr(state, name) for name in RECORD_FIELDS}
    doc["sealed_registry_number"] = sealed or vault.seal(state.registry_number)
    doc["birth_date"] = state.birth_date.isoformat()
    doc["id_birth"] = state.id_birth.isoformat() if state.id_birth else None
    doc["id_static_reasons"] = list(state.id_static_reasons)
    doc["applied_amendments"] = list(state.applied_amendments)
    doc["applied_sources"] = list(state.applied_sources)
    return doc


def record_from_doc(doc: Doc, vault: Vault) -> RecordState:
    values: dict[str, Any] = {name: doc.get(name) for name in RECORD_FIELDS}
    values["status"] = RecordStatus(values["status"])
    values["id_type"] = IdType(values["id_type"])
    values["birth_date"] = date.fromisoformat(values["birth_date"])
    values["id_birth"] = date.fromisoformat(values["id_birth"]) if values["id_birth"] else None
    values["population"] = PopulationOutcome(values["population"]) if values["population"] else None
    values["id_static_reasons"] = tuple(values["id_static_reasons"] or ())
    values["last_amendment_kept_key"] = bool(values["last_amendment_kept_key"])
    values["applied_amendments"] = tuple(values["applied_amendments"] or ())
    values["applied_sources"] = tuple(values["applied_sources"] or ())  # none on records stored before
    return RecordState(registry_number=vault.open(doc["sealed_registry_number"]), **values)


def group_to_doc(group: Group, vault: Vault, sealed: dict[str, tuple[str, str]] | None = None) -> Doc:
    """Members by the hash of their registry number, the number itself sealed in their brief
    (``sealed``: the record id and sealed number of some, made already)."""
    known = sealed or {}

    def member(rn: str) -> tuple[str, str]:
        return known.get(rn) or (vault.record_id(rn), vault.seal(rn))

    members = {rn: member(rn) for rn in group.members}
    return {
        "sealed_key": vault.seal(group.key) if group.key.startswith(ID_PREFIX) else group.key,
        "members": {members[rn][0]: {**brief.model_dump(mode="json"), "registry_number": members[rn][1]}
                    for rn, brief in group.members.items()},
        "group_id": str(group.group_id) if group.group_id else None,
        "problem_type": group.problem_type.value if group.problem_type else None,
        "reasons": list(group.reasons),
        "attested_sets": [[vault.seal(rn) for rn in sorted(s)] for s in group.attested_sets],
        "opened": group.opened,
        "sequence": group.sequence,
        "closed_group_id": str(group.closed_group_id) if group.closed_group_id else None,
        "closed_members": [vault.seal(rn) for rn in sorted(group.closed_members)],
    }


def group_from_doc(doc: Doc, vault: Vault) -> Group:
    key = doc["sealed_key"]
    members = [{**b, "registry_number": vault.open(b["registry_number"])} for b in doc["members"].values()]
    return Group(
        key=vault.open(key) if doc["_id"].startswith(ID_PREFIX) else key,
        members={b["registry_number"]: MemberBrief.model_validate(b) for b in members},
        group_id=UUID(doc["group_id"]) if doc["group_id"] else None,
        problem_type=ProblemType(doc["problem_type"]) if doc["problem_type"] else None,
        reasons=tuple(doc["reasons"]),
        attested_sets=[frozenset(map(vault.open, s)) for s in doc["attested_sets"]],
        opened=doc["opened"], sequence=doc["sequence"], version=doc["version"],
        closed_group_id=UUID(doc["closed_group_id"]) if doc.get("closed_group_id") else None,
        closed_members=frozenset(map(vault.open, doc.get("closed_members", []))),
    )


class IdentityStore:
    """The identity index in MongoDB (``ports.IdentityStore``)."""

    def __init__(self, db: AsyncDatabase[Doc], vault: Vault) -> None:
        self.vault = vault
        self.groups = db[COLLECTION]  # groups, and the records they hold
        self.answers = db["dedup_population_answers"]  # per batch: the request ids answered verified
        self.groups_name = self.groups.name
        self.round_trips = 0  # database calls made (also a metric, read by the benchmark)

    def group_document(self, key: str) -> str:
        return self.vault.group_id(key)

    def count_round_trips(self, count: int) -> None:
        self._trips(count)

    def _trips(self, count: int) -> None:
        self.round_trips += count
        ROUND_TRIPS.inc(count)

    async def ensure_indexes(self) -> None:
        await self.groups.create_index([("holder", ASCENDING)], unique=True, sparse=True)
        await self.groups.create_index([("has_outbox", ASCENDING)], sparse=True)

    async def load_records(self, registry_numbers: list[str]) -> dict[str, StoredRecord]:
        """The records with their versions; one awaiting an answer its batch has stored as verified
        is read as verified (``batches_verified``)."""
        holders = [self.vault.record_id(rn) for rn in registry_numbers]
        self._trips(len(in_lists(holders)))
        found = await find_in(self.groups, "holder", holders, projection={"record": 1, "record_version": 1})
        loaded = [(record_from_doc(d["record"], self.vault), d["record_version"], d["_id"]) for d in found]
        waiting = {state.population_batch_id for state, _, _ in loaded
                   if state.population_batch_id and state.awaits_population()}
        if waiting:
            self._trips(len(in_lists(waiting)))
            found_answers = await find_in(self.answers, "_id", sorted(waiting))
            answered = {d["_id"]: set(d["verified"]) for d in found_answers}
            loaded = [(_answered(state, answered), version, home) for state, version, home in loaded]
        return {state.registry_number: (state, version, home) for state, version, home in loaded}

    async def load_groups(self, keys: list[str]) -> dict[str, tuple[Group, list[OutboxEntry]]]:
        """Groups with their unpublished entries."""
        ids = [self.vault.group_id(k) for k in keys]
        self._trips(len(in_lists(ids)))
        loaded = [(group_from_doc(d, self.vault), d.get("outbox", []))
                  for d in await find_in(self.groups, "_id", ids, projection=GROUP_ONLY)]
        return {group.key: (group, outbox) for group, outbox in loaded}

    async def insert_new(self, founded: list[tuple[Group, RecordState]]) -> set[str]:
        """Store records with the one-member groups they found (one insert each); return the
        registry numbers not stored, because their key is held or they are stored already."""
        docs = []
        for group, state in founded:  # the record's id and sealed number made once, for both halves
            sealed = {state.registry_number: (self.vault.record_id(state.registry_number),
                                              self.vault.seal(state.registry_number))}
            docs.append({"_id": self.vault.group_id(group.key), **group_to_doc(group, self.vault, sealed),
                         "version": 1, **self._home(state, *sealed[state.registry_number])})
        return await self._write([InsertOne(d) for d in docs], [s.registry_number for _, s in founded])

    def _home(self, state: RecordState, record_id: str | None = None, sealed: str | None = None) -> Doc:
        return {"holder": record_id or self.vault.record_id(state.registry_number),
                "record": record_to_doc(state, self.vault, sealed), "record_version": 1}

    async def record_verified(self, answers: list[tuple[str, str]]) -> None:
        """Record ``verified`` answers (registry number, request id) of records still waiting for them.

        A verified answer raises no problem and touches no group, so one conditional update
        does: a stale answer (the record was amended and asked again) matches nothing, and
        the version bump sends a concurrent versioned writer back to re-read.
        """
        ops = [UpdateOne({"holder": self.vault.record_id(rn), "record.population_request_id": request_id,
                          "record.population": None},
                         {"$set": {"record.population": PopulationOutcome.VERIFIED.value},
                          "$inc": {"record_version": 1}})
               for rn, request_id in answers]
        await self._write(ops, [rn for rn, _ in answers])

    async def batches_verified(self, answers: dict[str, list[str]]) -> None:
        """Store the ``verified`` answers of population batches (batch id → request ids): one
        document per batch, no record written. A record awaiting one of them is read as verified
        (``load_records``); a stale answer (the record was asked again) names a request id the
        record no longer awaits, and a batch answered again collides on ``_id``."""
        ops = [InsertOne({"_id": batch_id, "verified": request_ids})
               for batch_id, request_ids in answers.items()]
        await self._write(ops, list(answers), self.answers)

    async def save_records(self, writes: list[RecordWrite]) -> set[str]:
        """Write records read at their versions; return the registry numbers that conflicted.

        A record read at no version gets a home of its own; a later write updates the home it
        has, found by ``holder``: when its version is gone, the upsert collides on ``holder``."""
        ops: list[InsertOne[Doc] | UpdateOne] = []
        for state, version in writes:
            home = self._home(state)
            if version == 0:
                ops.append(InsertOne({"_id": home["holder"], **home}))
            else:
                ops.append(UpdateOne({"holder": home["holder"], "record_version": version},
                                     {"$set": {"record": home["record"], "record_version": version + 1}},
                                     upsert=True))
        return await self._write(ops, [state.registry_number for state, _ in writes])

    async def save_groups(self, writes: list[tuple[Group, list[OutboxEntry]]],
                          along: dict[str, RecordWrite] | None = None) -> set[str]:
        """Write groups read at their versions, each with the record its document holds when that
        comes ``along`` (one update filtered on both versions); return the keys that conflicted."""
        ops = []
        for group, entries in writes:
            key, values = self.vault.group_id(group.key), group_to_doc(group, self.vault)
            if (record := (along or {}).get(group.key)) is None:
                ops.append(_versioned(key, group.version, values, entries))
                continue
            state, version = record
            home = self._home(state)
            ops.append(_versioned(key, group.version, {**values, "record": home["record"],
                                                        "record_version": version + 1}, entries,
                                  {"holder": home["holder"], "record_version": version}))
        return await self._write(ops, [group.key for group, _ in writes])

    async def _write(self, ops: Sequence[InsertOne[Doc] | UpdateOne], keys: list[str],
                     collection: Any = None) -> set[str]:
        """One bulk write; the keys of the operations another writer got to first."""
        if not ops:
            return set()
        collection = self.groups if collection is None else collection
        self._trips(1)
        collided = {keys[index] for index in await insert_new(collection, ops)}
        WRITTEN.labels(collection.name).inc(len(ops) - len(collided))
        return collided


def _answered(state: RecordState, answered: dict[str, set[str]]) -> RecordState:
    verified = answered.get(state.population_batch_id or "", set())
    if state.awaits_population() and state.population_request_id in verified:
        return evolve(state, population=PopulationOutcome.VERIFIED)
    return state


def _versioned(key: str, version: int, values: Doc, entries: list[OutboxEntry],
               also: Doc | None = None) -> InsertOne[Doc] | UpdateOne:
    """The write of a document read at ``version`` (0: it did not exist), with new outbox entries
    (``also``: more the document must still match, the record it holds at its version).

    Either way a concurrent writer makes it fail with E11000: a new document's insert collides
    with the other's, and an update filtered on a version no longer there upserts a duplicate _id.
    """
    for entry in entries:
        entry["version"] = str(version + 1)
    if version == 0:
        return InsertOne(with_outbox({"_id": key, **values, "version": 1}, entries))
    update: Doc = push({"$set": {**values, "version": version + 1}}, entries)
    return UpdateOne({"_id": key, "version": version, **(also or {})}, update, upsert=True)
