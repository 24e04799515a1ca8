"""Cases in MongoDB: one document per group, versioned; its outbox and audit trail inside.

A write is ``update_one`` filtered on the version read: when another request wrote first it
matches nothing, and the caller re-reads and decides again. New cases are inserted, many in one
call; one that collides on ``_id`` (E11000) exists already. Query fields (schools, districts,
arbiter, what awaits review) are derived from the case at each write so listings are simple indexed finds:
each is also one ``listing_keys`` entry (``"school_codes:1101050001"``), and one index over those
and ``opened_at`` serves every listing (MongoDB's attribute pattern). Every index is maintained
on every write of a case; one index where there were eight makes each write cheaper. The
same write stores the case's progress ``tally`` and marks it ``tally_pending`` until the
progress projection (``progress.py``) has counted that version.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pymongo import ASCENDING, DESCENDING, InsertOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure
from xueji_contracts.evidence import EvidenceStored

from services.common.mongo import INDEX_NOT_FOUND, insert_new
from services.common.outbox import Entry, push, with_outbox

from ..domain.case import AuditEntry, Case, Stage
from ..domain.deadlines import DeadlinePolicy, next_fire_at
from ..domain.jurisdiction import arbiters_of
from ..domain.progress import tally
from ..domain.views import EvidenceFile, link_of

Doc = dict[str, Any]


# the listing fields over members and arbiters, narrowest first (see ``listing_query``): each value is
# a ``listing_keys`` entry, indexed with ``opened_at``
NARROWEST_FIRST = ("registry_numbers", "name_keys", "reviews_due", "arbiter_code", "decided_by", "arbiters",
                   "school_codes", "district_codes")
LISTING_INDEX = [("listing_keys", ASCENDING), ("opened_at", DESCENDING)]
# the indexes of each listing field that ``listing_keys`` replaced (dropped at start-up)
REPLACED = tuple(f"{field}_1_opened_at_-1" for field in NARROWEST_FIRST)


# listing fields whose matches are few (a member's cases): read at once, without windows
FEW = ("registry_numbers", "name_keys")
FIRST_WINDOW, LAST_WINDOW = timedelta(days=1), timedelta(days=3 * 365)


def aware(moment: datetime) -> datetime:
    """A time of a query, in UTC (a date given without a zone is read as UTC, as MongoDB does)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def listing_key(field: str, value: str) -> str:
    return f"{field}:{value}"


def listing_query(scope: Doc | None, filters: Doc) -> Doc:
    """A listing's query: the caller's jurisdiction over any filter of the same field, led by the
    ``listing_keys`` entry of the narrowest listing field in it. MongoDB's planner ignores the
    order; SecantusDB (STACK.md) walks the index of the first field it can use, so a bureau's
    review list led by its district would read every case of the district instead of those
    awaiting review."""
    query = {**filters, **(scope or {})}
    narrowest = next((k for k in NARROWEST_FIRST if k in query), None)
    if narrowest is None:
        return query
    return {"listing_keys": listing_key(narrowest, query[narrowest]), **query}


def listing_keys(fields: Doc) -> list[str]:
    """The ``listing_keys`` of a case's query fields."""
    return sorted(listing_key(field, value) for field in NARROWEST_FIRST for value in fields[field])


def query_fields(case: Case, policy: DeadlinePolicy) -> Doc:
    members = case.members.values()
    fields = {
        "registry_numbers": sorted({m.brief.registry_number for m in members}),
        "name_keys": sorted({m.brief.name_key for m in members if m.brief.name_key}),
        "school_codes": sorted({m.brief.school_code for m in members}),
        "district_codes": sorted({m.brief.district_code for m in members}),
        "province_codes": list(case.province_codes),
        "reviews_due": sorted({m.brief.district_code for m in members if m.stage is Stage.AWAITING_REVIEW}),
        "arbiter_code": sorted({s.arbiter_code for s in case.sides.values()
                                if s.arbiter_code and s.arbitration.value == "pending"}),
        "decided_by": sorted({s.arbiter_code for s in case.sides.values() if s.arbiter_code and s.decided}),
        "arbiters": arbiters_of(case),
        "problem_type": case.problem_type.value,
        "closed": case.closed,
        "opened_at": case.opened_at,
        "next_timer_at": next_fire_at(case, policy),
    }
    return fields | {"listing_keys": listing_keys(fields)}


class CaseStore:
    """The ``CaseStore`` port in MongoDB."""

    def __init__(self, db: AsyncDatabase[Doc], policy: DeadlinePolicy) -> None:
        self.cases = db["workflow_cases"]
        self.evidence = db["workflow_evidence"]
        self.policy = policy

    async def ensure_indexes(self) -> None:
        await self.cases.create_index(LISTING_INDEX)
        replaced = [name for name in await self.cases.index_information() if name in REPLACED]
        if replaced:  # cases stored before ``listing_keys``: once, before their indexes go
            await self._add_listing_keys()
        for name in replaced:
            try:
                await self.cases.drop_index(name)
            except OperationFailure as error:
                if error.code != INDEX_NOT_FOUND:  # another replica starting at once dropped it first
                    raise
        await self.cases.create_index([("has_outbox", ASCENDING)], sparse=True)
        await self.cases.create_index([("next_timer_at", ASCENDING)], sparse=True)
        await self.cases.create_index([("tally_pending", ASCENDING)], sparse=True)
        await self.cases.create_index([("opened_at", DESCENDING)])  # an operator's unfiltered export
        await self.evidence.create_index([("group_id", ASCENDING), ("member_ref", ASCENDING)])
        await self.evidence.create_index([("evidence_id", ASCENDING)])

    async def _add_listing_keys(self, batch: int = 500) -> None:
        """Cases stored before ``listing_keys`` get theirs from the query fields they hold (a case
        written meanwhile has its keys already, and is left alone). A replica of the code before
        writes no keys: stop those before this one starts (README, "Upgrading" under Deployment)."""
        projection = dict.fromkeys(NARROWEST_FIRST, 1)
        while docs := [d async for d in self.cases.find({"listing_keys": {"$exists": False}}, projection)
                       .limit(batch)]:
            await self.cases.bulk_write([UpdateOne({"_id": d["_id"], "listing_keys": {"$exists": False}},
                                                   {"$set": {"listing_keys": listing_keys(
                                                       {f: d.get(f, []) for f in NARROWEST_FIRST})}})
                                         for d in docs], ordered=False)

    async def load(self, group_id: UUID) -> tuple[Case, list[Entry]] | None:
        doc = await self.cases.find_one({"_id": str(group_id)}, {"history": 0})
        if doc is None:
            return None
        return Case.model_validate({**doc["state"], "version": doc["version"]}), doc.get("outbox", [])

    def _stored(self, case: Case) -> Doc:
        """What a write of the case sets: its state, the query fields, its tally and the next version."""
        state = case.model_dump(mode="json", exclude={"version"})
        return {"state": state, **query_fields(case, self.policy), "tally": tally(case, self.policy),
                "tally_pending": True, "version": case.version + 1}

    async def insert(self, new: list[tuple[Case, list[Entry], list[AuditEntry]]]) -> set[int]:
        """New cases in one unordered insert; the positions of those stored (the others collided on
        ``_id``: the case exists already)."""
        docs = [with_outbox({"_id": str(case.group_id), **self._stored(case),
                             "history": [a.model_dump(mode="json") for a in audit]}, entries)
                for case, entries, audit in new]
        collided = await insert_new(self.cases, [InsertOne(doc) for doc in docs])
        return set(range(len(new))) - collided

    async def save(self, case: Case, entries: list[Entry], audit: list[AuditEntry]) -> bool:
        """Write the case at the version it was read; False when someone else wrote first."""
        update = push({"$set": self._stored(case)}, entries)
        if audit:
            update.setdefault("$push", {})["history"] = {"$each": [a.model_dump(mode="json") for a in audit]}
        try:
            result = await self.cases.update_one(
                {"_id": str(case.group_id), "version": case.version}, update, upsert=case.version == 0
            )
        except DuplicateKeyError:
            return False
        return result.matched_count == 1 or result.upserted_id is not None

    async def find(self, scope: Doc | None, filters: Doc, offset: int, limit: int) -> tuple[bool, list[Case]]:
        """A page of cases, newest first, and whether more follow (no count: it scans)."""
        query = listing_query(scope, filters)
        if any(field in query for field in FEW):
            docs = await self._page(query, offset, limit)
        else:
            docs = await self._page_in_windows(query, offset, limit)
        cases = [Case.model_validate({**d["state"], "version": d["version"]}) for d in docs[:limit]]
        return len(docs) > limit, cases

    async def _page(self, query: Doc, offset: int, limit: int) -> list[Doc]:
        found = self.cases.find(query, {"state": 1, "version": 1}).sort("opened_at", DESCENDING)
        return [d async for d in found.skip(offset).limit(limit + 1)]

    async def _page_in_windows(self, query: Doc, offset: int, limit: int) -> list[Doc]:
        """The page read from the newest cases first, in windows of ``opened_at`` growing fourfold
        until one holds the page and one more: the same answer as one query over everything.
        SecantusDB (STACK.md) fetches every case matching a listing and then sorts them, which
        for a district of 25 000 cases costs seconds; MongoDB walks the compound index in order,
        and the first window usually holds the page."""
        bounds = {k: aware(v) for k, v in query.get("opened_at", {}).items()}
        anchor = bounds.get("$lt") or datetime.now(UTC) + timedelta(minutes=1)
        lowest, span = bounds.get("$gte"), FIRST_WINDOW
        while span < LAST_WINDOW:
            start = anchor - span
            if lowest is not None and start <= lowest:
                break  # the next window is the whole range asked for
            docs = await self._page({**query, "opened_at": {**bounds, "$gte": start}}, offset, limit)
            if len(docs) > limit:
                return docs
            span *= 4
        return await self._page(query, offset, limit)

    async def batches(self, scope: Doc | None, filters: Doc, size: int) -> AsyncIterator[list[Case]]:
        """Every matching case, newest first, ``size`` at a time. Each batch starts where the last
        ended (at its ``opened_at``, leaving out the cases of that moment already given), so no
        batch makes the database skip what came before."""
        last: datetime | None = None
        given_at_last: list[str] = []
        while True:
            query = listing_query(scope, filters)
            if last is not None:
                query["opened_at"] = {**query.get("opened_at", {}), "$lte": last}
                query["_id"] = {"$nin": given_at_last}
            found = self.cases.find(query, {"state": 1, "version": 1, "opened_at": 1})
            docs = [d async for d in found.sort("opened_at", DESCENDING).limit(size)]
            if not docs:
                return
            if docs[-1]["opened_at"] != last:
                given_at_last = []
            last = docs[-1]["opened_at"]
            given_at_last += [d["_id"] for d in docs if d["opened_at"] == last]
            yield [Case.model_validate({**d["state"], "version": d["version"]}) for d in docs]
            if len(docs) < size:
                return

    async def count_members(self, scope: Doc | None, filters: Doc, cases_at_most: int) -> int:
        """How many members the first ``cases_at_most`` matching cases hold: the listing's own indexed
        find, reading only their registry numbers."""
        found = self.cases.find(listing_query(scope, filters), {"registry_numbers": 1, "_id": 0})
        return sum([len(d.get("registry_numbers", [])) async for d in found.limit(cases_at_most)])

    async def add_evidence(self, event: EvidenceStored, member_ref: str) -> None:
        """Evidence the evidence service stored for a member (idempotent: redelivery writes the same);
        the member is kept by reference, never by registry number."""
        doc = {"group_id": str(event.group_id), "member_ref": member_ref,
               "evidence_id": str(event.evidence_id), "file_name": event.file_name,
               "file_type": event.file_type, "size_bytes": event.size_bytes, "uploaded_at": event.occurred_at}
        await self.evidence.update_one(
            {"_id": f"{event.group_id}:{member_ref}:{event.evidence_id}"}, {"$set": doc}, upsert=True)

    async def evidence_files(self, evidence_ids: set[UUID]) -> dict[UUID, EvidenceFile]:
        found = self.evidence.find({"evidence_id": {"$in": sorted(map(str, evidence_ids))}})
        files = {}
        async for d in found:
            eid = UUID(d["evidence_id"])
            files[eid] = EvidenceFile(
                evidence_id=eid, file_name=d.get("file_name"), file_type=d.get("file_type"),
                size_bytes=d.get("size_bytes"), uploaded_at=d.get("uploaded_at"), link=link_of(eid))
        return files

    async def evidence_of(self, group_id: UUID, member_ref: str) -> frozenset[UUID]:
        found = self.evidence.find({"group_id": str(group_id), "member_ref": member_ref})
        return frozenset([UUID(d["evidence_id"]) async for d in found])

    async def due(self, now: datetime, limit: int = 100) -> list[UUID]:
        """Groups with a deadline timer to fire by ``now``."""
        found = self.cases.find({"next_timer_at": {"$lte": now}}, {"_id": 1}).limit(limit)
        return [UUID(d["_id"]) async for d in found]

    async def history(self, group_id: UUID) -> list[AuditEntry]:
        doc = await self.cases.find_one({"_id": str(group_id)}, {"history": 1})
        return [AuditEntry.model_validate(h) for h in (doc or {}).get("history", [])]

