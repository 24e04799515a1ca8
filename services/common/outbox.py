"""An outbox embedded in each document: events are stored in the same write as the state.

A writer pushes its entries onto the document with a versioned update; the relay then
publishes them (in order, per key) and empties the outbox if the document is still at
that version. A crash before publishing leaves them for the sweep, or for the next
writer of the document, which publishes them first. Publishing twice is possible after a
crash; consumers drop repeats by ``event_id``. Nothing is lost.

Emptying the outboxes is off the writer's path: the relay empties them in the background,
many documents in one call, gathering for ``clear_after`` seconds first (a call costs the
database much more than a document in it). Until that lands, a writer or the sweep may find entries that
are published already; the relay remembers the ids it published recently and skips them.

An entry also keeps the W3C trace context of the write that stored it (``telemetry``), and is
published inside it: the trace goes on however late, and from whichever process, it is sent.
"""

import asyncio
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from faststream.kafka import KafkaBroker
from pydantic import BaseModel
from pymongo import UpdateMany
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from .clock import utc_now
from .metrics import count_published, observe_outbox
from .mongo import find_leaving, in_lists
from .telemetry import continued, trace_fields

log = logging.getLogger(__name__)
# id, topic, key, payload (JSON), at (when it was made, UTC ISO); traceparent, tracestate when traced
Entry = dict[str, str]


def entry(topic: str, key: str, event: BaseModel) -> Entry:
    return {"id": str(getattr(event, "event_id", "")), "topic": topic, "key": key,
            "payload": event.model_dump_json(), "at": utc_now().isoformat(), **trace_fields()}


async def _publish(broker: KafkaBroker, item: Entry) -> "asyncio.Future[Any]":
    with continued(item):  # a span of the trace that wrote the entry
        ack: asyncio.Future[Any] = await broker.publish(
            item["payload"].encode(), item["topic"], key=item["key"].encode(),
            headers={"content-type": "application/json"}, no_confirm=True)
    return ack


Written = list[tuple[Any, int, list[Entry]]]  # (document id, version that stored them, entries)
Empty = Callable[[AsyncCollection[dict[str, Any]], Written], Awaitable[None]]  # how published outboxes go


async def clear(collection: AsyncCollection[dict[str, Any]], written: Written) -> None:
    """Empty the outboxes of documents still at the version that stored the published entries: one
    update per version for up to ``IN_LIST`` such documents (one update each costs the database
    several times as much), all in one bulk write."""
    at: dict[int, dict[Any, None]] = defaultdict(dict)
    for doc_id, version, entries in written:
        if entries:
            at[version][doc_id] = None
    emptied = {"$unset": {"outbox": "", "has_outbox": ""}}
    ops = [UpdateMany({"_id": {"$in": part}, "version": version}, emptied)
           for version, ids in at.items() for part in in_lists(ids)]
    if ops:
        await collection.bulk_write(ops, ordered=False)


async def pending(collection: AsyncCollection[dict[str, Any]], limit: int = 200,
                  leave: Collection[Any] = ()) -> Written:
    """Documents whose entries are not published yet (a writer stopped before its relay ran), but
    those in ``leave`` (under load they could fill the limit)."""
    found = await find_leaving(collection, {"has_outbox": True}, {"outbox": 1, "version": 1}, limit, leave)
    return [(d["_id"], d["version"], d.get("outbox", [])) for d in found]


class OutboxRelay:
    def __init__(
        self, collection: AsyncCollection[dict[str, Any]], broker: KafkaBroker, remember: int = 20_000,
        clear_after: float = 0.5, empty: Empty = clear,
    ) -> None:
        self.collection = collection
        self.broker = broker
        self.remember = remember
        self.clear_after = clear_after
        self.empty = empty  # ``clear``, or a service's own that does more in the same updates
        self._published: OrderedDict[str, None] = OrderedDict()  # ids, oldest first
        self._to_clear: Written = []
        self._emptying: Written = []
        self._clearing: asyncio.Task[None] | None = None

    async def publish(self, written: Written) -> None:
        """Publish the entries of documents written at the given versions; their outboxes are
        emptied in the background."""
        await self.send(written)
        self._to_clear += [w for w in written if w[2]]
        if self._to_clear and (self._clearing is None or self._clearing.done()):
            self._clearing = asyncio.create_task(self._clear_pending())

    async def settled(self) -> None:
        """Wait until every published outbox is emptied (on shutdown, and in tests)."""
        while self._clearing is not None and not self._clearing.done():
            await self._clearing

    async def _clear_pending(self) -> None:
        while True:
            await asyncio.sleep(self.clear_after)  # what is published meanwhile is emptied in the same call
            if not self._to_clear:
                return
            self._emptying, self._to_clear = self._to_clear, []
            try:
                await self.empty(self.collection, self._emptying)
            except PyMongoError as error:  # left for the sweep, which skips what was published
                log.warning("outbox not emptied", extra={"error_type": type(error).__name__})
            except Exception:  # a service's own ``empty`` failing: the same, and the round goes on
                log.exception("outbox not emptied")
            finally:
                self._emptying = []

    def waiting(self) -> set[Any]:
        """The documents whose published outboxes are still to be emptied."""
        return {doc_id for doc_id, _, _ in [*self._to_clear, *self._emptying]}

    async def send(self, written: Written) -> None:
        """Publish entries in order, leaving the outboxes as they are.

        Every entry is handed to the producer before any acknowledgement is awaited, so the
        producer batches them; it sends one request per broker at a time, which keeps their
        order per partition, and hence per key.
        """
        entries = [item for _, _, items in written for item in items if item["id"] not in self._published]
        acks = [await _publish(self.broker, item) for item in entries]
        await asyncio.gather(*acks)
        count_published(entries)
        for item in entries:
            self._remember(item["id"])

    def _remember(self, entry_id: str) -> None:
        if entry_id:
            self._published[entry_id] = None
            if len(self._published) > self.remember:
                self._published.popitem(last=False)

    async def sweep(self, limit: int = 200) -> int:
        """Publish what crashed writers left behind (not what this relay published and has yet to
        empty)."""
        written = await pending(self.collection, limit, leave=self.waiting())
        observe_outbox(self.collection.name, written, self._published, utc_now())
        if written:
            await self.publish(written)
            log.info("outbox sweep published", extra={"count": sum(len(e) for _, _, e in written)})
        return sum(len(e) for _, _, e in written)


def with_outbox(doc: dict[str, Any], entries: list[Entry]) -> dict[str, Any]:
    """A new document to insert, carrying its entries."""
    return {**doc, "outbox": entries, "has_outbox": True} if entries else doc


def push(update: dict[str, Any], entries: list[Entry]) -> dict[str, Any]:
    """Add entries to a versioned update of the document."""
    if entries:
        update.setdefault("$set", {})["has_outbox"] = True
        update["$push"] = {**update.get("$push", {}), "outbox": {"$each": entries}}
    return update
