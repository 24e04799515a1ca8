"""The progress counters in MongoDB: each case's ``tally`` (``domain/progress.py``) counted once
per version of the case, with no multi-document transaction (STACK.md: SecantusDB).

- ``workflow_progress``: a division's counters, ``{_id: code, level, parent_code, n: {metric: sum},
  marks: {group_id: version}}``;
- ``workflow_progress_cases``: what a case has contributed, ``{_id: group_id, version, tally}``,
  with ``intent`` while a change is being applied and ``marked`` until its marks are removed.

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
or below the contributed version is skipped (a change that arrives late). An intent left behind
is resumed by the next projection of the case, but only once it is older than
``takeover_seconds`` and after claiming it: until then the projector that recorded it is at work
on it, and two projectors applying one intent would let one's unmark undo the other's mark. (A
projector stalled for longer than that, mid-way, could count its part twice: the one limit.)
"""

import asyncio
from dataclasses import asdict
from datetime import timedelta
from uuid import UUID

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.clock import Clock, utc_now
from services.common.mongo import insert_new

from ..domain.progress import Tally, difference
from ..domain.statistics import DivisionCounts
from .contributions import Contribution, Doc, Intent

ATTEMPTS = 5
BUSY_PAUSE_SECONDS = 0.05  # another projector is applying the case's previous change: it takes a moment


class ProgressStore:
    """The ``Progress`` port in MongoDB: the projection's steps, its sweep, and the reads."""

    def __init__(self, db: AsyncDatabase[Doc], clock: Clock = utc_now,
                 takeover_seconds: float = 60.0) -> None:
        self.cases = db["workflow_cases"]
        self.counters = db["workflow_progress"]
        self.contributions = db["workflow_progress_cases"]
        self.clock, self.takeover = clock, timedelta(seconds=takeover_seconds)

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
                                                {"$set": {"version": version, "tally": contributed.tally}},
                                                upsert=True)
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
             "$unset": {"intent": ""}})

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
        intent = contributed.intent
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

    async def sweep(self, limit: int = 200) -> int:
        """Count the cases whose projection did not happen after their write (a crash, a busy case);
        a case another projector is at work on is left for the next sweep."""
        found = self.cases.find({"tally_pending": True}, {"_id": 1}).limit(limit)
        pending = [UUID(d["_id"]) async for d in found]
        for group_id in pending:
            await self.project(group_id, wait=False)
        return len(pending)

    # the reads
    async def division(self, code: str) -> DivisionCounts | None:
        return counts_of(await self.counters.find_one({"_id": code}, {"marks": 0}))

    async def children(self, code: str) -> list[DivisionCounts]:
        found = self.counters.find({"parent_code": code}, {"marks": 0})
        return [c for d in [d async for d in found] if (c := counts_of(d)) is not None]

    async def pending(self) -> int:
        return await self.cases.count_documents({"tally_pending": True})


def counts_of(doc: Doc | None) -> DivisionCounts | None:
    if doc is None:
        return None
    return DivisionCounts(code=doc["_id"], level=doc.get("level", ""), parent_code=doc.get("parent_code"),
                          counts={k: int(v) for k, v in doc.get("n", {}).items()})
