"""Applying record changes to the identity index and its groups: load → decide → save.

Most registrations are of a record nobody else shares a key with. Those are stored with
one insert each, all in one bulk write per batch: the record with the one-member group of
its key, in one document (``IdentityStore.insert_new``).

Population requests are sent without an outbox, and records have none: a record stores
the id of the request it awaits. The questions of one call go out together, in batches of
up to ``MAX_BATCH`` (one message each, keyed by its batch id). If the process stops before
sending, the message is read again (registrations and commands are acked only after the
handler returns: ``AckPolicy.NACK_ON_ERROR``; with an ack-first policy these requests would
need an outbox),
and ``domain.membership.population_request`` finds the record still awaiting that request
and asks again under the same id (in a new batch).

A ``verified`` population answer raises no problem and touches no group. The verified answers
of a batch are stored as one document per batch, and no record is written
(``IdentityStore.batches_verified``): a record keeps the batch its question travelled in, and is
read as verified once that batch says so. A single verified answer (one not in a batch) is one
conditional update of its record (``IdentityStore.record_verified``).

Everything else (duplicates, ID problems, records seen before, decisions) takes the
versioned path, with a handful of round trips per batch: read the records, derive each
record's net change, read the groups it touches, apply the domain rules, write groups
then records (each conditional on the version read; conflicts are re-read and
recomputed). Groups are written before records, so a record is never stored without its
group membership. When a record's write collides, another writer may have changed the record
after this attempt wrote its groups; read again, the groups then follow from both the state read
and the one the lost attempt gave them to the new one, so nothing of that attempt (a membership,
a brief, an ID problem raised by an answer gone stale) stays behind.

A record stored in the document of a group (it founded its key's group) whose change touches
that group and no other is written in that group's update, both conditional on their versions;
if that collides, the group is written again alone and the record after it, as any other. A
change that also touches another group (an amendment moving the record to another key) writes
the record after every group, so that no stored record claims a membership its group does not
yet hold.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID, uuid4

from xueji_contracts.envelope import Envelope
from xueji_contracts.population import MAX_BATCH, PopulationQuestion, PopulationVerificationBatchRequested
from xueji_contracts.topics import POPULATION_REQUESTS, PROBLEMS

from services.common.outbox import entry as outbox_entry

from ..domain.groups import PRODUCER, Group
from ..domain.identity import RecordState
from ..domain.membership import GroupOp, KeyOps, membership_ops, population_request
from ..ports import UNSTORED, Clock, IdentityStore, OutboxEntry, Produced, RecordWrite

MAX_ATTEMPTS = 20

Compute = Callable[[RecordState | None], RecordState | None]


@dataclass
class Change:
    """One message's effect on one record: new state from old (None: unknown record)."""

    registry_number: str
    compute: Compute
    population_request: tuple[str, str] | None = None  # (raw ID number, name) when known
    verified_request: str | None = None  # a verified answer to this request id (stored without a read)
    verified_batch: str | None = None  # the batch that answered it, if it came in one
    suggested_id_number: str | None = None
    group_ops: Callable[[RecordState | None], KeyOps] | None = None
    fresh: bool = False  # may be a record not indexed yet (a registration)
    report: Callable[[RecordState | None], Envelope] | None = None  # an event about the record as stored


class Asking:
    """The questions of one call, each given its batch (up to ``MAX_BATCH``, ``batch``) before the
    record that awaits it is stored, since the record keeps its batch."""

    def __init__(self) -> None:
        self.batches: dict[str, list[PopulationQuestion]] = {}
        self._current, self._assigned = "", 0

    def batch(self) -> str:
        """The batch now being filled, for one more question."""
        if not self._current or self._assigned >= MAX_BATCH:
            self._current, self._assigned = str(uuid4()), 0
        self._assigned += 1
        return self._current

    def ask(self, state: RecordState, question: PopulationQuestion) -> None:
        """Send the question, once its record is stored (under the batch ``batch`` gave it)."""
        self.batches.setdefault(state.population_batch_id or str(uuid4()), []).append(question)

    def produced(self) -> Produced:
        """The batch requests, keyed by batch id (no registry number as a Kafka key)."""
        produced: Produced = []
        for batch_id, questions in self.batches.items():
            if questions:
                batch = PopulationVerificationBatchRequested(producer=PRODUCER, batch_id=UUID(batch_id),
                                                             questions=tuple(questions))
                produced.append((UNSTORED, batch_id, outbox_entry(POPULATION_REQUESTS, batch_id, batch)))
        return produced


class Indexer:
    """The identity index: the store it lives in, the pepper of its keys, the day its ID checks
    are run on, and the key of the name hash the workflow finds records by (none: not findable)."""

    def __init__(self, store: IdentityStore, pepper: bytes, today: Clock, search_key: bytes = b"") -> None:
        self.store = store
        self.pepper = pepper
        self.today = today
        self.search_key = search_key

    async def apply(self, changes: list[Change]) -> Produced:
        """Apply changes (in order per record); return the outbox entries they produced."""
        by_record: dict[str, list[Change]] = defaultdict(list)
        for change in changes:
            by_record[change.registry_number].append(change)
        produced: Produced = []
        asking = Asking()
        verified = {rn: c[0] for rn, c in by_record.items() if len(c) == 1 and c[0].verified_request}
        if verified:
            await self._store_verified(list(verified.items()))
            by_record = {rn: c for rn, c in by_record.items() if rn not in verified}
        todo = list(by_record)
        if any(c.fresh for c in changes):
            stored = await self._insert_new(by_record, asking)
            todo = [rn for rn in todo if rn not in stored]
        pushed: dict[str, RecordState] = {}  # the state a lost attempt gave a record's groups
        for _ in range(MAX_ATTEMPTS):
            if not todo:
                return produced + asking.produced()
            todo = sorted(await self._apply_records({rn: by_record[rn] for rn in todo}, produced, asking,
                                                    pushed))
        raise RuntimeError(f"{len(todo)} records kept conflicting")

    async def _store_verified(self, verified: list[tuple[str, Change]]) -> None:
        """Verified answers: per batch one document, single answers one conditional update each."""
        batches: dict[str, list[str]] = defaultdict(list)
        singles = []
        for rn, change in verified:
            request_id = change.verified_request or ""
            if change.verified_batch:
                batches[change.verified_batch].append(request_id)
            else:
                singles.append((rn, request_id))
        if batches:
            await self.store.batches_verified(dict(batches))
        if singles:
            await self.store.record_verified(singles)

    async def _apply_records(self, by_record: dict[str, list[Change]], produced: Produced,
                             asking: Asking, pushed: dict[str, RecordState]) -> set[str]:
        """One attempt; the registry numbers whose record write collided, each in ``pushed`` with the
        state its groups were given. Read again, such a record may have been changed by another writer
        after those groups: they then also follow from that state to the new one, so that no
        membership, brief or ID problem of the attempt that lost is left behind."""
        stored = await self.store.load_records(list(by_record))
        group_ops: dict[str, list[GroupOp]] = defaultdict(list)
        record_writes: list[RecordWrite] = []
        homes: dict[str, str] = {}  # registry number → the document that holds the record
        touched: dict[str, set[str]] = defaultdict(set)  # registry number → the group keys its change touches
        news: dict[str, RecordState] = {}
        reports: dict[str, list[OutboxEntry]] = {}
        asked: dict[str, list[tuple[RecordState, PopulationQuestion]]] = {}
        for rn, record_changes in by_record.items():
            old, version, home = stored.get(rn, (None, 0, ""))
            new = old
            reports[rn], asked[rn] = [], []
            for change in record_changes:
                new = change.compute(new)
                for key, op in change.group_ops(new) if change.group_ops else ():
                    group_ops[key].append(op)
                    touched[rn].add(key)
                if new is not None:
                    new, question = population_request(new, change.population_request, asking.batch)
                    if question:
                        asked[rn].append((new, question))
                if change.report:  # sent again on redelivery, like a population request
                    event = change.report(new)
                    reports[rn].append(outbox_entry(PROBLEMS, str(getattr(event, "group_id", rn)), event))
            if new is None:
                continue
            suggested = next((c.suggested_id_number for c in record_changes if c.suggested_id_number), None)
            earlier = pushed.get(rn)
            for base in (old, earlier) if earlier is not None and earlier != old else (old,):
                for key, op in membership_ops(rn, base, new, self.pepper, suggested):
                    group_ops[key].append(op)
                    touched[rn].add(key)
            news[rn] = new
            if new != old:
                record_writes.append((new, version))
                homes[rn] = home
        along = self._along(record_writes, homes, touched, list(group_ops))
        group_produced, written = await self._apply_groups(group_ops, along)
        # a group an earlier attempt of this call wrote still holds that attempt's entries, unsent
        sent = {e["id"] for _, _, e in produced if e.get("id")}
        produced += [p for p in group_produced if not p[2].get("id") or p[2]["id"] not in sent]
        conflicts = await self.store.save_records([(state, version) for state, version in record_writes
                                                   if state.registry_number not in written])
        pushed.update((rn, news[rn]) for rn in conflicts)
        produced += [(UNSTORED, rn, e)
                     for rn, entries in reports.items() if rn not in conflicts for e in entries]
        for rn, pairs in asked.items():
            for state, question in pairs if rn not in conflicts else ():
                asking.ask(state, question)
        return conflicts

    def _along(self, writes: list[RecordWrite], homes: dict[str, str], touched: dict[str, set[str]],
               keys: list[str]) -> dict[str, RecordWrite]:
        """The record writes to make in the update of the group their document holds, by group key:
        those whose change touches no group but that one. A record whose change also joins or leaves
        another group is written after all of them, as any record."""
        documents = {self.store.group_document(key): key for key in keys}
        along: dict[str, RecordWrite] = {}
        for state, version in writes:
            key = documents.get(homes[state.registry_number])
            if version and key is not None and touched[state.registry_number] <= {key}:
                along[key] = (state, version)
        return along

    async def _apply_groups(self, ops: dict[str, list[GroupOp]],
                            along: dict[str, RecordWrite]) -> tuple[Produced, set[str]]:
        """Change each group, then store it with its new events (and any an earlier writer left);
        the first attempt takes ``along`` the records their documents hold (by group key). The events,
        and the registry numbers of the records written along. After a conflict each is written
        alone: the group again here, the record by the caller (it is not among those returned)."""
        produced: Produced = []
        todo = dict(ops)
        earlier: dict[str, list[OutboxEntry]] = {}
        written: set[str] = set()
        for _ in range(MAX_ATTEMPTS):
            if not todo:
                return produced, written
            loaded = await self.store.load_groups(list(todo))
            writes = []
            for key, key_ops in todo.items():
                group, pending = loaded.get(key, (Group(key), []))
                before = group.snapshot() if key in loaded else None
                for op in key_ops:
                    op(group)
                entries = [outbox_entry(PROBLEMS, str(event.group_id), event) for event in group.pending]
                if entries or group != before:
                    writes.append((group, entries))
                    earlier[key] = pending
            taking = {g.key: along[g.key] for g, _ in writes if g.key in along and g.version}
            conflicts = await self.store.save_groups(writes, taking)
            produced += [(self.store.groups_name, self.store.group_document(g.key), e)
                         for g, entries in writes if g.key not in conflicts
                         for e in [*earlier[g.key], *entries]]
            written |= {state.registry_number for key, (state, _) in taking.items() if key not in conflicts}
            todo, along = {k: todo[k] for k in conflicts}, {}
        raise RuntimeError(f"{len(todo)} groups kept conflicting")

    async def _insert_new(self, by_record: dict[str, list[Change]], asking: Asking) -> set[str]:
        """Insert the records that hold a key alone and have no ID problem; return those stored."""
        candidates: dict[str, tuple[Change, RecordState, str]] = {}
        for rn, record_changes in by_record.items():
            change = record_changes[0]
            state = change.compute(None) if len(record_changes) == 1 and change.fresh else None
            key = state.identity_key(self.pepper) if state else None
            if state is not None and key and state.id_problem() is None:
                candidates[rn] = (change, state, key)
        keys = Counter(key for _, _, key in candidates.values())
        # two of the batch on one key: the versioned path decides
        founded, asked = [], []
        for rn, (change, state, key) in candidates.items():
            if keys[key] > 1:
                continue
            state, question = population_request(state, change.population_request, asking.batch)
            if question:
                asked.append((state, question))
            founded.append((Group(key, members={rn: state.brief()}), state))
        unstored = await self.store.insert_new(founded)
        for state, question in asked:
            if state.registry_number not in unstored:
                asking.ask(state, question)
        return {state.registry_number for _, state in founded} - unstored
