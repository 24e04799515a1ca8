"""The idempotent-consumer record: which event ids a consumer has already processed.

A consumer marks an event processed in the same database write (or transaction) as its
effect; a redelivered event is then recognised and skipped.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pymongo import ASCENDING, InsertOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from .mongo import DUPLICATE_KEY, find_in

RETENTION_SECONDS = 30 * 24 * 3600


class ProcessedEvents:
    def __init__(self, collection: AsyncCollection[dict[str, Any]], consumer: str) -> None:
        self.collection = collection
        self.consumer = consumer

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("at", ASCENDING)], expireAfterSeconds=RETENTION_SECONDS)

    def _id(self, event_id: UUID | str) -> str:
        return f"{self.consumer}:{event_id}"

    async def first_time(self, event_id: UUID | str, session: AsyncClientSession | None = None) -> bool:
        """Record the event; False when it was recorded before (a redelivery)."""
        try:
            await self.collection.insert_one({"_id": self._id(event_id), "at": datetime.now(UTC)},
                                             session=session)
        except DuplicateKeyError:
            return False
        return True

    async def unseen(self, event_ids: Iterable[UUID | str]) -> set[str]:
        """The ids among ``event_ids`` not processed yet (as strings)."""
        wanted = {str(e) for e in event_ids}
        found = await find_in(self.collection, "_id", [self._id(e) for e in wanted], projection={"_id": 1})
        done = {doc["_id"].split(":", 1)[1] for doc in found}
        return wanted - done

    async def mark(self, event_ids: Iterable[UUID | str],
                   session: AsyncClientSession | None = None) -> None:
        now = datetime.now(UTC)
        ops = [InsertOne({"_id": self._id(e), "at": now}) for e in event_ids]
        if not ops:
            return
        try:
            await self.collection.bulk_write(ops, ordered=False, session=session)
        except BulkWriteError as error:
            if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise
