"""Dedup's outbox relay: its documents live in two collections, each with the common relay.

Entries of the ``UNSTORED`` collection (population requests of newly inserted records)
are only sent: no outbox holds them (see ``indexer``).

A crash between publishing and emptying an outbox publishes an entry again: consumers drop
it by its ``event_id`` (and problem events carry a ``sequence``), so nothing is lost or
doubled in effect. The sweep picks up entries a crashed process left behind.
"""

import asyncio
from collections import defaultdict

from faststream.kafka import KafkaBroker

from services.common import outbox

from .store import UNSTORED, IdentityStore, OutboxEntry


def written_by_collection(produced: list[tuple[str, str, OutboxEntry]]) -> dict[str, outbox.Written]:
    """(collection, document id, entry) triples → per collection: (id, version, entries in order)."""
    docs: dict[str, dict[str, tuple[int, list[OutboxEntry]]]] = defaultdict(dict)
    for collection, doc_id, entry in produced:
        version, entries = docs[collection].get(doc_id, (0, []))
        docs[collection][doc_id] = (max(version, int(entry.get("version", 0))), [*entries, entry])
    return {c: [(doc_id, v, e) for doc_id, (v, e) in by_id.items()] for c, by_id in docs.items()}


class OutboxRelay:
    def __init__(self, store: IdentityStore, broker: KafkaBroker) -> None:
        self.store = store
        self.relays = {c.name: outbox.OutboxRelay(c, broker) for c in (store.groups, store.records)}

    async def publish(self, produced: list[tuple[str, str, OutboxEntry]]) -> None:
        """Publish in order per key (group events and population requests have different keys)."""
        batches = written_by_collection(produced)
        unstored = batches.pop(UNSTORED, [])
        self.store.count_round_trips(len(batches))  # each relay empties its outboxes in one call
        await asyncio.gather(self.relays[self.store.records.name].send(unstored),
                             *(self.relays[c].publish(written) for c, written in batches.items()))

    async def settled(self) -> None:
        for relay in self.relays.values():
            await relay.settled()

    async def sweep(self) -> int:
        """Publish whatever an earlier process stored but did not publish."""
        return sum([await relay.sweep() for relay in self.relays.values()])
