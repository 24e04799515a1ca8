"""An outbox embedded in each document: events are stored in the same write as the state.

A writer pushes its entries onto the document with a versioned update; the relay then
publishes them (in order, per key) and empties the outbox if the document is still at
that version. A crash before publishing leaves them for the sweep, or for the next
writer of the document, which publishes them first. Publishing twice is possible after a
crash; consumers drop repeats by ``event_id``. Nothing is lost.
"""

import asyncio
import logging
from collections import defaultdict
from typing import Any

from faststream.kafka import KafkaBroker
from pydantic import BaseModel
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

log = logging.getLogger(__name__)
Entry = dict[str, str]  # id, topic, key, payload (JSON)


def entry(topic: str, key: str, event: BaseModel) -> Entry:
    return {"id": str(getattr(event, "event_id", "")), "topic": topic, "key": key,
            "payload": event.model_dump_json()}


Written = list[tuple[Any, int, list[Entry]]]  # (document id, version that stored them, entries)


async def clear(collection: AsyncCollection[dict[str, Any]], written: Written) -> None:
    """Empty the outboxes of documents still at the version that stored the published entries."""
    ops = [UpdateOne({"_id": doc_id, "version": version}, {"$unset": {"outbox": "", "has_outbox": ""}})
           for doc_id, version, entries in written if entries]
    if ops:
        await collection.bulk_write(ops, ordered=False)


async def pending(collection: AsyncCollection[dict[str, Any]], limit: int = 200) -> Written:
    """Documents whose entries are not published yet (a writer stopped before its relay ran)."""
    found = collection.find({"has_outbox": True}, {"outbox": 1, "version": 1}).limit(limit)
    return [(d["_id"], d["version"], d.get("outbox", [])) async for d in found]


class OutboxRelay:
    def __init__(self, collection: AsyncCollection[dict[str, Any]], broker: KafkaBroker) -> None:
        self.collection = collection
        self.broker = broker

    async def publish(self, written: Written) -> None:
        """Publish the entries of documents written at the given versions, then empty their outboxes."""
        await self.send(written)
        await clear(self.collection, written)

    async def send(self, written: Written) -> None:
        """Publish entries in order per key, leaving the outboxes as they are."""
        by_key: dict[str, list[Entry]] = defaultdict(list)
        for _, _, entries in written:
            for item in entries:
                by_key[item["key"]].append(item)

        async def in_order(entries: list[Entry]) -> None:
            for item in entries:
                await self.broker.publish(item["payload"].encode(), item["topic"], key=item["key"].encode(),
                                          headers={"content-type": "application/json"})

        await asyncio.gather(*(in_order(e) for e in by_key.values()))

    async def sweep(self, limit: int = 200) -> int:
        """Publish what crashed writers left behind."""
        written = await pending(self.collection, limit)
        if written:
            await self.publish(written)
            log.info("outbox sweep published", extra={"count": sum(len(e) for _, _, e in written)})
        return sum(len(e) for _, _, e in written)


def push(update: dict[str, Any], entries: list[Entry]) -> dict[str, Any]:
    """Add entries to a versioned update of the document."""
    if entries:
        update.setdefault("$set", {})["has_outbox"] = True
        update["$push"] = {**update.get("$push", {}), "outbox": {"$each": entries}}
    return update
