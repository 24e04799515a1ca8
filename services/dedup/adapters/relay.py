"""Dedup's outbox relay: the common relay over the groups, the only documents with outboxes.

Only groups have outboxes. Entries of the ``UNSTORED`` collection (population requests)
are only sent: no outbox holds them (see ``usecases.index``).

A crash between publishing and emptying an outbox publishes an entry again: consumers drop
it by its ``event_id`` (and problem events carry a ``sequence``), so nothing is lost or
doubled in effect. The sweep picks up entries a crashed process left behind.
"""

import asyncio
from collections import defaultdict

from faststream.kafka import KafkaBroker

from services.common import outbox

from ..ports import UNSTORED, OutboxEntry, Produced
from .store import IdentityStore


def written_by_collection(produced: Produced) -> dict[str, outbox.Written]:
    """(collection, document id, entry) triples → per collection: (id, version, entries in order)."""
    docs: dict[str, dict[str, tuple[int, list[OutboxEntry]]]] = defaultdict(dict)
    for collection, doc_id, entry in produced:
        version, entries = docs[collection].get(doc_id, (0, []))
        docs[collection][doc_id] = (max(version, int(entry.get("version", 0))), [*entries, entry])
    return {c: [(doc_id, v, e) for doc_id, (v, e) in by_id.items()] for c, by_id in docs.items()}


class OutboxRelay:
    """The use cases' publisher (``ports.Publisher``)."""

    def __init__(self, store: IdentityStore, broker: KafkaBroker) -> None:
        self.store = store
        self.groups = outbox.OutboxRelay(store.groups, broker)

    async def publish(self, produced: Produced) -> None:
        """Publish in order per key (group events and population requests have different keys)."""
        batches = written_by_collection(produced)
        unstored = batches.pop(UNSTORED, [])
        written = batches.pop(self.store.groups.name, [])
        if written:
            self.store.count_round_trips(1)  # the relay empties the outboxes in one call
        await asyncio.gather(self.groups.send(unstored), self.groups.publish(written))

    async def settled(self) -> None:
        await self.groups.settled()

    async def sweep(self) -> int:
        """Publish whatever an earlier process stored but did not publish."""
        return await self.groups.sweep()
