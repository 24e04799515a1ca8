"""Notify's MongoDB: what it knows of groups, the inboxes, the digests' claims (delivery jobs:
``jobs.py``).

An inbox entry belongs to an organisation and a role and is only ever read or marked by that
pair. Entries written before roles were recorded have none, so nobody reads them.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, InsertOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from xueji_contracts.enums import Role

from services.common.mongo import find_in, insert_new

from ..domain.recipients import Members, Recipient

Doc = dict[str, Any]


class NotifyStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.groups = db["notify_groups"]
        self.inbox = db["notify_inbox"]
        self.digests = db["notify_digests"]

    async def ensure_indexes(self) -> None:
        await self.inbox.create_index(
            [("organisation_code", ASCENDING), ("role", ASCENDING), ("read", ASCENDING), ("at", DESCENDING)]
        )

    async def learn_members(self, learnt: Mapping[str, Members]) -> None:
        ops = [UpdateOne({"_id": group}, {"$set": {f"members.{ref}": list(at) for ref, at in told.items()}},
                         upsert=True) for group, told in learnt.items()]
        if ops:
            await self.groups.bulk_write(ops, ordered=False)

    async def members(self, group_ids: Sequence[str]) -> dict[str, Members]:
        if not group_ids:
            return {}
        found = await find_in(self.groups, "_id", group_ids)
        return {d["_id"]: {ref: (m[0], m[1], m[2]) for ref, m in d.get("members", {}).items()}
                for d in found}

    async def deliver_to_inbox(self, entries: Sequence[tuple[Doc, list[Recipient]]],
                               at: datetime | None = None) -> None:
        """One entry per event, organisation and role, whichever shard or redelivery writes it first."""
        now = at or datetime.now(UTC)
        ops = [
            InsertOne(
                {
                    "_id": r.entry_id(event["event_id"]),
                    "organisation_code": r.organisation_code,
                    "role": r.role.value,
                    "what": r.what,
                    "event_type": event["event_type"],
                    "group_id": event.get("group_id"),
                    "event_id": event["event_id"],
                    "at": now,
                    "read": False,
                }
            )
            for event, recipients in entries
            for r in recipients
        ]
        await insert_new(self.inbox, ops)  # an entry written already is left as it is

    async def list_inbox(
        self, organisation: str, role: Role, unread_only: bool, offset: int, limit: int
    ) -> tuple[bool, list[Doc]]:
        query: Doc = {"organisation_code": organisation, "role": role.value,
                      **({"read": False} if unread_only else {})}
        found = self.inbox.find(query).sort("at", DESCENDING).skip(offset).limit(limit + 1)
        docs = [d async for d in found]
        return len(docs) > limit, docs[:limit]

    async def mark_read(self, organisation: str, role: Role, entry_id: str) -> bool:
        result = await self.inbox.update_one(
            {"_id": entry_id, "organisation_code": organisation, "role": role.value}, {"$set": {"read": True}}
        )
        return result.matched_count == 1

    async def claim_digest(self, claim: str, at: datetime) -> bool:
        """The claim: one digest per organisation and day, whichever replica runs."""
        try:
            await self.digests.insert_one({"_id": claim, "at": at})
        except DuplicateKeyError:
            return False
        return True

    async def release_digest(self, claim: str) -> None:
        await self.digests.delete_one({"_id": claim})
