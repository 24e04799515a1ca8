"""The outbox relay on the real broker and database: in order per key, emptied in the background,
never published twice by one process, and what a crashed writer left is swept up."""

import json
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from services.common.outbox import OutboxRelay, Written, push
from services.common.settings import ServiceSettings

from ..consumer_groups import read_all

pytestmark = pytest.mark.integration


def entries(key: str, *ids: str, topic: str) -> list[dict[str, str]]:
    return [{"id": i, "topic": topic, "key": key, "payload": json.dumps({"id": i})} for i in ids]


async def test_published_in_order_emptied_after_and_never_twice_by_one_process(
    mongo: AsyncMongoClient[dict[str, Any]], unique: str
) -> None:
    topic, docs = f"test.outbox.{unique}", mongo[f"outbox_{unique}"]["docs"]
    written: Written = []
    for doc, ids in (("a", ("a1", "a2", "a3")), ("b", ("b1", "b2"))):
        stored = entries(doc, *ids, topic=topic)
        await docs.update_one({"_id": doc}, push({"$set": {"version": 1}}, stored), upsert=True)
        written.append((doc, 1, stored))
    broker = KafkaBroker(ServiceSettings().KAFKA_BOOTSTRAP)
    await broker.start()
    try:
        relay = OutboxRelay(docs, broker)
        await relay.publish(written)
        assert relay.waiting() == {"a", "b"}  # published, gathering before it empties them
        await relay.settled()
        assert relay.waiting() == set()
        assert await docs.count_documents({"has_outbox": True}) == 0
        # a writer that loaded the document before the outbox was emptied hands the entries on again
        await relay.publish([("a", 1, entries("a", "a3", "a4", topic=topic))])
        # and a crashed writer's entries, at a version nobody cleared, are swept up
        await docs.update_one({"_id": "c"}, push({"$set": {"version": 2}}, entries("c", "c1", topic=topic)),
                              upsert=True)
        assert await relay.sweep() == 1
        await relay.settled()
    finally:
        await broker.stop()
    seen = [(m.key, json.loads(m.value)["id"]) for m in await read_all(topic)]  # published: on the topic
    assert [i for key, i in seen if key == b"a"] == ["a1", "a2", "a3", "a4"]
    assert [i for key, i in seen if key == b"b"] == ["b1", "b2"]
    assert [i for key, i in seen if key == b"c"] == ["c1"]
    assert await docs.count_documents({"has_outbox": True}) == 0
    await mongo.drop_database(f"outbox_{unique}")


async def test_the_sweep_reaches_past_what_the_relay_still_holds(
    mongo: AsyncMongoClient[dict[str, Any]], unique: str
) -> None:
    """Under load the relay holds many published outboxes while it gathers; the sweep's limit must
    not be filled with them, or what a crashed writer left waits until the load is over."""
    topic, docs = f"test.outbox.{unique}", mongo[f"outbox_held_{unique}"]["docs"]
    held: Written = []
    for doc in ("h1", "h2", "h3"):
        stored = entries(doc, f"{doc}-e", topic=topic)
        await docs.insert_one({"_id": doc, "version": 1, "outbox": stored, "has_outbox": True})
        held.append((doc, 1, stored))
    crashed = entries("c", "c-e", topic=topic)
    await docs.insert_one({"_id": "c", "version": 1, "outbox": crashed, "has_outbox": True})
    broker = KafkaBroker(ServiceSettings().KAFKA_BOOTSTRAP)
    await broker.start()
    try:
        relay = OutboxRelay(docs, broker, clear_after=3)
        await relay.publish(held)
        assert relay.waiting() == {"h1", "h2", "h3"}
        assert await relay.sweep(limit=3) == 1  # the crashed writer's entry, past the three held
        assert relay.waiting() == {"h1", "h2", "h3", "c"}
        await relay.settled()
    finally:
        await broker.stop()
    seen = [json.loads(m.value)["id"] for m in await read_all(topic)]
    assert sorted(seen) == ["c-e", "h1-e", "h2-e", "h3-e"]  # each once
    assert await docs.count_documents({"has_outbox": True}) == 0
    await mongo.drop_database(f"outbox_held_{unique}")
