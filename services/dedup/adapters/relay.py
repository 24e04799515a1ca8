"""Publishes outbox entries to Kafka, then empties the outboxes of their documents.

A crash between publishing and pulling publishes an entry again: consumers drop it by
its ``event_id`` (and problem events carry a ``sequence``), so nothing is lost or doubled
in effect. The sweep picks up entries a crashed process left behind.
"""

import asyncio
import logging
from collections import defaultdict

from faststream.kafka import KafkaBroker

from .store import IdentityStore, OutboxEntry, entry_payload

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, store: IdentityStore, broker: KafkaBroker) -> None:
        self.store = store
        self.broker = broker

    async def publish(self, produced: list[tuple[str, str, OutboxEntry]]) -> None:
        by_key: dict[str, list[OutboxEntry]] = defaultdict(list)
        for _, _, entry in produced:
            by_key[entry["key"]].append(entry)

        async def publish_in_order(entries: list[OutboxEntry]) -> None:
            for entry in entries:  # one key's events keep their order
                await self.broker.publish(entry_payload(entry), entry["topic"], key=entry["key"].encode())

        await asyncio.gather(*(publish_in_order(e) for e in by_key.values()))
        published: dict[str, dict[str, int]] = defaultdict(dict)
        for collection, doc_id, entry in produced:
            version = int(entry.get("version", 0))
            published[collection][doc_id] = max(version, published[collection].get(doc_id, 0))
        await self.store.clear_outbox(published)

    async def sweep(self) -> int:
        """Publish whatever an earlier process stored but did not publish."""
        pending = await self.store.pending_outbox()
        produced = [(collection, doc_id, e) for collection, doc_id, entries in pending for e in entries]
        if produced:
            await self.publish(produced)
            log.info("outbox sweep published", extra={"count": len(produced)})
        return len(produced)
