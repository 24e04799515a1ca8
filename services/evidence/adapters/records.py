"""Evidence records, the cases the service knows of (from case events), and the link audit.

Members are kept by ``member_ref``, never by registry number (DOMAIN §8)."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.outbox import Entry, with_outbox

Doc = dict[str, Any]


class Records:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.cases = db["evidence_cases"]
        self.evidence = db["evidence_files"]
        self.links = db["evidence_link_audit"]

    async def ensure_indexes(self) -> None:
        await self.evidence.create_index("has_outbox", sparse=True)
        await self.evidence.create_index([("group_id", 1), ("member_ref", 1)])

    async def learn_members(self, group_id: UUID, members: dict[str, Doc], forget: list[str]) -> None:
        update: Doc = {"$set": {f"members.{ref}": m for ref, m in members.items()}}
        if forget:  # entries a group learnt before members were kept by member_ref
            update["$unset"] = {f"members.{rn}": "" for rn in forget}
        await self.cases.update_one({"_id": str(group_id)}, update, upsert=True)

    async def learn_arbiter(self, group_id: UUID, arbiter_code: str | None) -> None:
        await self.cases.update_one(
            {"_id": str(group_id)}, {"$set": {"arbiter_code": arbiter_code}}, upsert=True
        )

    async def case(self, group_id: UUID) -> Doc | None:
        return await self.cases.find_one({"_id": str(group_id)})

    async def add(self, record: Doc, entries: list[Entry]) -> bool:
        """Store a new evidence record with its event; False when it exists (same content again)."""
        try:
            await self.evidence.insert_one(with_outbox({**record, "version": 1}, entries))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, evidence_id: UUID) -> Doc | None:
        return await self.evidence.find_one({"_id": str(evidence_id)}, {"outbox": 0})

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
