"""Evidence records, the cases the service knows of (from case events), and the link audit.

Members are kept by ``member_ref``, never by registry number (DOMAIN §8). A case document holds
``members`` (the group as its latest membership event names it, written at ``members_at``) and
``departed`` (members that left, kept so their parties still read their evidence)."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.mongo import find_in, insert_new
from services.common.outbox import Entry, with_outbox

Doc = dict[str, Any]
KNOWN = ("members", "members_at", "departed", "arbiter_code")  # what case events tell of a group


class Records:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.cases = db["evidence_cases"]
        self.evidence = db["evidence_files"]
        self.links = db["evidence_link_audit"]

    async def ensure_indexes(self) -> None:
        await self.evidence.create_index("has_outbox", sparse=True)
        await self.evidence.create_index([("group_id", 1), ("member_ref", 1)])
        await self.evidence.create_index([("bucket", 1), ("key", 1)])  # the orphan sweep

    async def learn_members(self, group_id: UUID, members: dict[str, Doc], forget: list[str]) -> None:
        update: Doc = {"$set": {f"members.{ref}": m for ref, m in members.items()}}
        if not forget:
            await self.cases.update_one({"_id": str(group_id)}, update, upsert=True)
            return
        # entries a group learnt before members were kept by member_ref move, unless a membership
        # event replaced them meanwhile (a member that left is not brought back)
        update["$unset"] = {f"members.{rn}": "" for rn in forget}
        still = {f"members.{rn}": {"$exists": True} for rn in forget}
        await self.cases.update_one({"_id": str(group_id), **still}, update)

    async def case(self, group_id: UUID) -> Doc | None:
        return await self.cases.find_one({"_id": str(group_id)})

    async def cases_of(self, group_ids: list[UUID]) -> dict[UUID, Doc]:
        return {UUID(d["_id"]): d for d in await find_in(self.cases, "_id", [str(g) for g in group_ids])}

    async def write_cases(self, writes: list[tuple[UUID, Doc | None, Doc]]) -> set[UUID]:
        """One bulk write. A case is matched on what its membership was as read (``members_at``, or
        none yet) and its arbiter: when another writer changed either, the upsert collides on
        ``_id``. Only the known fields are written: the rest of the document stays as it is."""
        ops = []
        for group_id, read, case in writes:
            read = read or {}
            match: Doc = {"_id": str(group_id)}
            for name in ("members_at", "arbiter_code"):
                match[name] = read[name] if read.get(name) is not None else {"$exists": False}
            values = {name: case[name] for name in KNOWN if name in case}
            ops.append(UpdateOne(match, {"$set": values}, upsert=True))
        collided = await insert_new(self.cases, ops)
        return {writes[index][0] for index in collided}

    async def add(self, record: Doc, entries: list[Entry]) -> bool:
        """Store a new evidence record with its event; False when it exists (same content again)."""
        try:
            await self.evidence.insert_one(with_outbox({**record, "version": 1}, entries))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, evidence_id: UUID) -> Doc | None:
        return await self.evidence.find_one({"_id": str(evidence_id)}, {"outbox": 0})

    async def recorded_keys(self, bucket: str, keys: list[str]) -> set[str]:
        found = self.evidence.find({"bucket": bucket, "key": {"$in": keys}}, {"key": 1, "_id": 0})
        return {doc["key"] async for doc in found}

    async def audit_link(
        self, evidence_id: UUID, subject: str, role: str, organisation: str, seconds: int
    ) -> None:
        await self.links.insert_one(
            {
                "evidence_id": str(evidence_id),
                "subject": subject,
                "role": role,
                "organisation_code": organisation,
                "at": datetime.now(UTC),
                "expires_in_seconds": seconds,
            }
        )
