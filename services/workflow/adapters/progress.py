"""The progress counters in MongoDB: each case's ``tally`` (``domain/progress.py``) counted once
per version of the case, with no multi-document transaction (STACK.md: SecantusDB).

- ``workflow_progress``: a division's counters, ``{_id: code, level, parent_code, n: {metric: sum},
  marks: {group_id: version}, applied: {projector: seq}}``;
- ``workflow_progress_cases``: what a case has contributed, ``{_id: group_id, version, tally}``,
  with ``intent`` while a change is being applied and ``marked`` until its marks are removed;
- ``workflow_progress_batches``: the batches being counted (below).

A change of a case is applied in steps, each of them safe to repeat, so a crash at any step
followed by a retry counts it exactly once:

1. ``record`` the intent ``{version, tally, delta = new − contributed, at}`` on the contribution
   document, only if that is still at the version read, with no intent or marks left;
2. ``apply`` to each division its part of the delta with ``$inc``, setting ``marks.<group>`` to the
   version in the same update, unless the division is marked with that version (or a newer one);
3. ``finish``: the contribution becomes ``{version, tally}``, the intent goes, ``marked`` lists
   the divisions to unmark;
4. ``unmark`` those divisions, then drop ``marked``;
5. ``clear`` the case's ``tally_pending``, if the case is still at that version.

A version whose tally is the one counted already only moves the contribution's version; one at
or below the contributed version is skipped (a change that arrives late).

Many cases are counted together in a **batch** (``project_many``: the sweep, and the workflow's
outbox relay for the cases it has just published, whose emptying of their outboxes is step 5,
``count_and_empty``). A batch has no per-case marks to remove: each store (a ``projector``) counts
its batches one at a time, numbered in order, and a division remembers the number of the last
batch of each projector it counted (``applied.<projector>``):

1. ``open`` the batch: ``workflow_progress_batches`` ``{_id, projector, seq, cases, at}``;
2. ``record`` each case's intent as above, naming the batch; a new case (no contribution yet) has
   its contribution inserted as it will be, ``{version, tally, batch}``, which counts once the
   batch is closed; a case another projector changed or created first is counted alone afterwards;
3. ``apply`` to each division the sum of the batch's deltas, setting ``applied.<projector>`` to
   ``seq``, unless it is at ``seq`` already (or later);
4. ``finish`` the contribution of each case that had one; 5. ``close`` the batch (delete it),
   and clear the cases.

That is one write per new case (two for a case counted before) and one per division, against
three and two. A projector whose batch failed part-way takes a new name, so no later batch of its
old name can pass a division the failed one had yet to reach. A batch left behind is resumed the
same way as a case's intent: after ``takeover_seconds``, by claiming the batch, and it is applied,
finished and closed whole.

An intent left behind is resumed by the next projection of the case, but only once it is older than
``takeover_seconds`` and after claiming it: until then the projector that recorded it is at work
on it, and two projectors applying one intent would let one's unmark undo the other's mark. (A
projector stalled for longer than that, mid-way, could count its part twice: the one limit.)
"""

import asyncio
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from itertools import count
from uuid import UUID, uuid4

from pymongo import ASCENDING, InsertOne, UpdateMany, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.clock import Clock, utc_now
from services.common.mongo import find_in, find_leaving, in_lists, insert_new
from services.common.outbox import Written, clear

from ..domain.progress import Tally, difference
from ..domain.statistics import DivisionCounts
from .contributions import Contribution, Doc, Intent

ATTEMPTS = 5
COUNTED_AT_ONCE = 200  # cases counted together, by the relay and by a sweep
BUSY_PAUSE_SECONDS = 0.05  # another projector is applying the case's previous change: it takes a moment


@dataclass(frozen=True)
class Batch:
    """Cases counted together by one projector (the module's docstring): ``seq`` orders its batches."""
    projector: str
    seq: int
    cases: list[str]
    at: datetime

    @property
    def id(self) -> str:
        return f"{self.projector}:{self.seq}"


class ProgressStore:
    """The ``Progress`` port in MongoDB: the projection's steps, its sweep, and the reads."""

    def __init__(self, db: AsyncDatabase[Doc], clock: Clock = utc_now,
                 takeover_seconds: float = 60.0) -> None:
        self.cases = db["workflow_cases"]
        self.counters = db["workflow_progress"]
        self.contributions = db["workflow_progress_cases"]
        self.batches = db["workflow_progress_batches"]
        self.clock, self.takeover = clock, timedelta(seconds=takeover_seconds)
        self._projector, self._sequence = uuid4().hex, count(1)
        self._one_batch = asyncio.Lock()  # this projector's batches, one at a time and in order

    async def ensure_indexes(self) -> None:
        await self.counters.create_index([("parent_code", ASCENDING)])

    # the projection, step by step
    async def contribution(self, group_id: UUID) -> Contribution:
        return Contribution.of(await self.contributions.find_one({"_id": str(group_id)}))

    def _unchanged(self, group_id: UUID, contributed: Contribution) -> Doc:
        """The contribution as read, with no change of it under way."""
        return {"_id": str(group_id), "version": contributed.version, "intent": {"$exists": False},
                "marked": {"$exists": False}}

    async def record(self, group_id: UUID, contributed: Contribution, version: int,
                     tally: Tally) -> Intent | None:
        """Step 1; None when another projector changed the contribution first."""
        intent = Intent(version, tally, difference(tally, contributed.tally), self.clock())
        try:
            await self.contributions.update_one(self._unchanged(group_id, contributed),
                                                {"$set": {"intent": asdict(intent)}}, upsert=True)
        except DuplicateKeyError:
            return None
        return intent

    async def advance(self, group_id: UUID, contributed: Contribution, version: int) -> bool:
        """A version whose tally is the one counted already: only the version moves (steps 1–4 at once)."""
        try:
            await self.contributions.update_one(self._unchanged(group_id, contributed),
                                                {"$set": {"version": version, "tally": contributed.tally},
                                                 "$unset": {"batch": ""}}, upsert=True)
        except DuplicateKeyError:
            return False
        return True

    async def apply(self, group_id: UUID, intent: Intent, codes: set[str] | None = None) -> None:
        """Step 2, for every division of the delta (or only ``codes``)."""
        mark = f"marks.{group_id}"
        parts = {c: p for c, p in intent.divisions().items() if codes is None or c in codes}
        updates = [({"_id": code, mark: {"$not": {"$gte": intent.version}}},
                    {"$inc": {f"n.{metric}": change for metric, change in part.items()},
                     "$set": {"level": level, "parent_code": parent, mark: intent.version}})
                   for code, (level, parent, part) in parts.items()]
        collided = await insert_new(self.counters, [UpdateOne(f, u, upsert=True) for f, u in updates])
        for index in sorted(collided):  # the division is marked already (the update matched nothing and
            await self.counters.update_one(*updates[index])  # its upsert collided), or was just created

    async def finish(self, group_id: UUID, intent: Intent) -> None:
        """Step 3."""
        await self.contributions.update_one(
            {"_id": str(group_id), "intent.version": intent.version},
            {"$set": {"version": intent.version, "tally": intent.tally, "marked": sorted(intent.divisions())},
             "$unset": {"intent": "", "batch": ""}})

    async def unmark(self, group_id: UUID, version: int, codes: list[str]) -> None:
        """Step 4."""
        mark = f"marks.{group_id}"
        if codes:
            await self.counters.bulk_write([UpdateOne({"_id": code, mark: version}, {"$unset": {mark: ""}})
                                            for code in codes], ordered=False)
        await self.contributions.update_one({"_id": str(group_id), "version": version},
                                            {"$unset": {"marked": ""}})

    async def clear(self, group_id: UUID, version: int) -> None:
        """Step 5."""
        await self.cases.update_one({"_id": str(group_id), "version": version, "tally_pending": True},
                                    {"$unset": {"tally_pending": ""}})

    async def settled(self, group_id: UUID) -> Contribution | None:
        """The contribution with whatever an earlier projection left unfinished completed; None while
        another projector is still at work on its intent."""
        contributed = await self.contribution(group_id)
        if contributed.batch is not None and not await self.resume_batch(contributed.batch):
            return None  # written by a batch still open: counted once that is closed
        intent = contributed.intent
        if intent is not None and intent.batch is not None:
            if self.clock() - intent.at < self.takeover or not await self.resume_batch(intent.batch):
                return None
            await self.contributions.update_one(  # a batch gone (see ``resume_batch``) left it behind
                {"_id": str(group_id), "intent.batch": intent.batch}, {"$unset": {"intent": ""}})
            contributed = await self.contribution(group_id)
            if contributed.intent is not None:  # another projector's, recorded since
                return None
            intent = None
        if intent is not None:
            now = self.clock()
            if now - intent.at < self.takeover:
                return None
            claim = {"_id": str(group_id), "intent.version": intent.version, "intent.at": intent.at}
            if (await self.contributions.update_one(claim, {"$set": {"intent.at": now}})).matched_count != 1:
                return None
            await self.apply(group_id, intent)
            await self.finish(group_id, intent)
            contributed = Contribution(intent.version, intent.tally, None, sorted(intent.divisions()))
        if contributed.marked is not None:
            await self.unmark(group_id, contributed.version, contributed.marked)
        return Contribution(contributed.version, contributed.tally)

    async def project_version(self, group_id: UUID, version: int, tally: Tally, wait: bool = True) -> bool:
        """Count the case at ``version`` (every step above); False when it is left for the sweep (another
        projector is at work on the case, and ``wait`` is off or that took too long)."""
        for _ in range(ATTEMPTS):
            contributed = await self.settled(group_id)
            if contributed is None:
                if not wait:
                    return False
                await asyncio.sleep(BUSY_PAUSE_SECONDS)
                continue
            if version > contributed.version and not await self._count(group_id, contributed, version, tally):
                continue
            await self.clear(group_id, version)
            return True
        return False

    async def _count(self, group_id: UUID, contributed: Contribution, version: int, tally: Tally) -> bool:
        if not difference(tally, contributed.tally):
            return await self.advance(group_id, contributed, version)
        intent = await self.record(group_id, contributed, version, tally)
        if intent is None:
            return False
        await self.apply(group_id, intent)
        await self.finish(group_id, intent)
        await self.unmark(group_id, version, sorted(intent.divisions()))
        return True

    async def project(self, group_id: UUID, wait: bool = True) -> None:
        wanted = {"version": 1, "tally": 1, "tally_pending": 1}
        doc = await self.cases.find_one({"_id": str(group_id)}, wanted)
        if doc is not None and doc.get("tally_pending"):
            await self.project_version(group_id, doc["version"], doc.get("tally", {}), wait)

    async def sweep(self, limit: int = COUNTED_AT_ONCE, leave: Collection[str] = ()) -> int:
        """Count the cases whose projection did not happen after their write (a crash, a busy case);
        a case another projector is at work on is left for the next sweep, and so are the cases in
        ``leave`` (those the process's relay is about to count: two projectors on one case slow each
        other). How many it took up."""
        left = self.batches.find({"at": {"$lt": self.clock() - self.takeover}}, {"_id": 1}).limit(limit)
        for batch_id in [d["_id"] async for d in left]:  # a batch whose projector stopped
            await self.resume_batch(batch_id)
        found = await find_leaving(self.cases, {"tally_pending": True}, {"version": 1, "tally": 1}, limit,
                                   set(leave))
        pending = [(UUID(d["_id"]), d["version"], d.get("tally", {})) for d in found]
        for group_id in await self.project_many(pending):
            await self.project(group_id, wait=False)
        return len(pending)

    async def project_many(self, pending: list[tuple[UUID, int, Tally]],
                           empty_outboxes: bool = False) -> list[UUID]:
        """Count many cases at their versions together, each step one bulk write; the cases left to
        be counted alone (a change of them under way or left unfinished, a version whose tally is
        counted already, or another projector first). With ``empty_outboxes`` (their entries are
        published), the update that clears a counted case's ``tally_pending`` empties its outbox too."""
        if not pending:
            return []
        async with self._one_batch:
            try:
                return await self._project_batch(pending, empty_outboxes)
            except BaseException:
                self._retire()  # the batch stopped part-way: none of this name may pass it
                raise

    def _retire(self) -> None:
        self._projector, self._sequence = uuid4().hex, count(1)

    async def _project_batch(self, pending: list[tuple[UUID, int, Tally]],
                             empty_outboxes: bool) -> list[UUID]:
        ids = [str(group_id) for group_id, _, _ in pending]
        found = {d["_id"]: Contribution.of(d) for d in await find_in(self.contributions, "_id", ids)}
        tags = sorted({c.batch for c in found.values() if c.batch is not None})
        still_open: set[str] = set()
        if tags:
            still_open = {d["_id"] async for d in self.batches.find({"_id": {"$in": tags}}, {"_id": 1})}
        alone, late, wanted = [], [], []
        batch = Batch(self._projector, next(self._sequence), [], self.clock())
        for group_id, version, tally in pending:
            contributed = found.get(str(group_id), Contribution())
            delta = difference(tally, contributed.tally)
            busy = contributed.intent is not None or contributed.marked is not None
            if busy or contributed.batch in still_open:
                alone.append(group_id)
            elif version <= contributed.version:
                late.append((group_id, version))  # counted already: only its mark of pending goes
            elif not delta:
                alone.append(group_id)
            else:
                batch.cases.append(str(group_id))
                wanted.append((group_id, contributed, Intent(version, tally, delta, batch.at, batch.id)))
        recorded: list[tuple[UUID, Intent]] = []
        if wanted:
            await self.open_batch(batch)
            lost = await self.record_batch(wanted)
            alone += [wanted[n][0] for n in sorted(lost)]
            recorded = [(g, i) for n, (g, _, i) in enumerate(wanted) if n not in lost]
            await self.apply_batch(batch, [i for _, i in recorded])
            await self.finish_batch(batch, [(g, i) for n, (g, c, i) in enumerate(wanted)
                                            if n not in lost and not new(c)])
            await self.close_batch(batch)
        counted = late + [(g, i.version) for g, i in recorded]
        if empty_outboxes:
            await unset_at_versions(self.cases, counted, "tally_pending", "outbox", "has_outbox")
        else:
            await unset_at_versions(self.cases, counted, "tally_pending", also={"tally_pending": True})
        return alone

    # a batch, step by step
    async def open_batch(self, batch: Batch) -> None:
        """Step 1 of a batch: it exists before any intent names it."""
        await self.batches.insert_one({"_id": batch.id, "projector": batch.projector, "seq": batch.seq,
                                       "cases": batch.cases, "at": batch.at})

    async def record_batch(self, wanted: list[tuple[UUID, Contribution, Intent]]) -> set[int]:
        """Step 2 of a batch: each case's intent, if its contribution is as read, or a new case's
        contribution as it will be, if nobody wrote one first; those that were not."""
        return await insert_new(self.contributions, [
            InsertOne({"_id": str(g), "version": i.version, "tally": i.tally, "batch": i.batch}) if new(c)
            else UpdateOne(self._unchanged(g, c), {"$set": {"intent": asdict(i)}}, upsert=True)
            for g, c, i in wanted])

    async def apply_batch(self, batch: Batch, intents: list[Intent], codes: set[str] | None = None) -> None:
        """Step 3 of a batch (for every division, or only ``codes``): one update per division with the
        sum of the intents' deltas, unless the division counted this batch of its projector already."""
        summed: dict[str, tuple[str, str | None, Counter[str]]] = {}
        for intent in intents:
            for code, (level, parent, part) in intent.divisions().items():
                if codes is None or code in codes:
                    summed.setdefault(code, (level, parent, Counter()))[2].update(part)
        mark = f"applied.{batch.projector}"
        updates = [({"_id": code, mark: {"$not": {"$gte": batch.seq}}},
                    {"$inc": {f"n.{metric}": change for metric, change in changes.items()},
                     "$set": {"level": level, "parent_code": parent, mark: batch.seq}})
                   for code, (level, parent, changes) in summed.items()]
        collided = await insert_new(self.counters, [UpdateOne(f, u, upsert=True) for f, u in updates])
        for index in sorted(collided):  # the division counted the batch already (the update matched
            await self.counters.update_one(*updates[index])  # nothing), or was just created by another

    async def finish_batch(self, batch: Batch, recorded: list[tuple[UUID, Intent]]) -> None:
        """Step 4 of a batch: each contribution becomes its intent's version and tally."""
        if recorded:
            await self.contributions.bulk_write([UpdateOne(
                {"_id": str(g), "intent.batch": batch.id},
                {"$set": {"version": i.version, "tally": i.tally}, "$unset": {"intent": "", "batch": ""}})
                for g, i in recorded], ordered=False)

    async def close_batch(self, batch: Batch) -> None:
        """Step 5 of a batch."""
        await self.batches.delete_one({"_id": batch.id})

    async def resume_batch(self, batch_id: str) -> bool:
        """Complete a batch its projector left (older than the takeover): claim it, then apply, finish
        and close it whole. False while its projector may still be at work on it, or when another
        projector claimed it first. True for a batch that is gone: an intent naming it is left
        behind only if its projector stalled past the takeover between recording and applying (the
        one limit, above), and is dropped."""
        doc = await self.batches.find_one({"_id": batch_id})
        if doc is None:
            return True
        # two projectors completing one batch at once would still count it once (the divisions'
        # marks): the claim spares the work
        if self.clock() - doc["at"] < self.takeover:
            return False
        claim = {"_id": batch_id, "at": doc["at"]}
        if (await self.batches.update_one(claim, {"$set": {"at": self.clock()}})).matched_count != 1:
            return False
        batch = Batch(doc["projector"], doc["seq"], doc["cases"], doc["at"])
        changed, written = [], []
        for d in await find_in(self.contributions, "_id", batch.cases,
                               {"$or": [{"intent.batch": batch_id}, {"batch": batch_id}]}):
            contributed = Contribution.of(d)
            if contributed.intent is not None and contributed.intent.batch == batch_id:
                changed.append((UUID(d["_id"]), contributed.intent))
            elif contributed.batch == batch_id:  # a new case's: what it adds is all of its tally
                written.append(Intent(contributed.version, contributed.tally, contributed.tally, batch.at))
        await self.apply_batch(batch, [i for _, i in changed] + written)
        await self.finish_batch(batch, changed)
        await self.close_batch(batch)
        return True

    async def count_and_empty(self, collection: AsyncCollection[Doc], written: Written) -> None:
        """The workflow relay's emptying of published outboxes (``OutboxRelay(empty=...)``): the cases
        still at the version that stored the entries, and not counted yet, are counted first, and
        one update per version then empties their outboxes and clears ``tally_pending`` together.
        (SecantusDB, STACK.md, rewrites a case with every index entry on any update: one rewrite
        where there were two.) The others' outboxes are emptied alone: a case counted already,
        moved on, or left to be counted alone by the sweep. At most ``COUNTED_AT_ONCE`` cases are
        counted together, as in a sweep."""
        stored_at = {str(doc_id): version for doc_id, version, entries in written if entries}
        ids = list(stored_at)
        emptied: set[str] = set()
        for start in range(0, len(ids), COUNTED_AT_ONCE):
            chunk = ids[start:start + COUNTED_AT_ONCE]
            found = await find_in(self.cases, "_id", chunk, {"tally_pending": True},
                                  {"version": 1, "tally": 1})
            pending = [(UUID(d["_id"]), d["version"], d.get("tally", {})) for d in found
                       if d["version"] == stored_at[d["_id"]]]
            alone = {str(group_id) for group_id in await self.project_many(pending, empty_outboxes=True)}
            emptied |= {str(group_id) for group_id, _, _ in pending} - alone
        await clear(collection, [w for w in written if str(w[0]) not in emptied])

    # the reads
    async def division(self, code: str) -> DivisionCounts | None:
        return counts_of(await self.counters.find_one({"_id": code}, {"marks": 0, "applied": 0}))

    async def children(self, code: str) -> list[DivisionCounts]:
        found = self.counters.find({"parent_code": code}, {"marks": 0, "applied": 0})
        return [c for d in [d async for d in found] if (c := counts_of(d)) is not None]

    async def pending(self) -> int:
        return await self.cases.count_documents({"tally_pending": True})


async def unset_at_versions(collection: AsyncCollection[Doc], versions: list[tuple[UUID, int]], *fields: str,
                            also: Doc | None = None) -> None:
    """Remove ``fields`` from every document still at its version (and matching ``also``): one update
    per version for up to ``IN_LIST`` documents, in one bulk write."""
    at: dict[int, list[str]] = defaultdict(list)
    for group_id, version in versions:
        at[version].append(str(group_id))
    if at:
        unset, extra = {"$unset": dict.fromkeys(fields, "")}, also or {}
        await collection.bulk_write([UpdateMany({"_id": {"$in": part}, "version": version, **extra}, unset)
                                     for version, ids in at.items() for part in in_lists(ids)], ordered=False)


def new(contributed: Contribution) -> bool:
    """A case with nothing contributed yet: a batch writes its contribution once."""
    return contributed.version == 0 and contributed.intent is None and contributed.marked is None


def counts_of(doc: Doc | None) -> DivisionCounts | None:
    if doc is None:
        return None
    return DivisionCounts(code=doc["_id"], level=doc.get("level", ""), parent_code=doc.get("parent_code"),
                          counts={k: int(v) for k, v in doc.get("n", {}).items()})
