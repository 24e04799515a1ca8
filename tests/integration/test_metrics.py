"""The consumer lag and outbox metrics against the real broker and database."""

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from pymongo import AsyncMongoClient

from services.common.clock import utc_now
from services.common.kafka import subscriber
from services.common.metrics import refresh_consumer_lag
from services.common.mongo import make_mongo_client
from services.common.outbox import OutboxRelay, push
from services.common.settings import ServiceSettings

pytestmark = pytest.mark.integration
MESSAGES = 5
WAIT = 60  # seconds: a generous bound on joining the group, never a measure of speed


def lag(group: str, topic: str) -> float | None:
    return REGISTRY.get_sample_value("xueji_consumer_lag", {"group": group, "topic": topic})


def held(group: str, topic: str) -> float | None:
    return REGISTRY.get_sample_value("xueji_consumer_partitions", {"group": group, "topic": topic})


async def test_consumer_lag_counts_what_a_held_up_handler_has_not_consumed_and_is_zero_after(
    settings: ServiceSettings, unique: str
) -> None:
    topic = f"test.lag.{unique}"
    producer = KafkaBroker(settings.KAFKA_BOOTSTRAP)
    await producer.start()
    try:
        for number in range(MESSAGES):
            await producer.publish({"number": number}, topic)
    finally:
        await producer.stop()

    broker = KafkaBroker(settings.KAFKA_BOOTSTRAP)
    holding, release, all_handled = asyncio.Event(), asyncio.Event(), asyncio.Event()
    handled: list[int] = []

    @subscriber(broker, settings, topic, group=f"lag-{unique}")
    async def held_up(body: dict[str, int]) -> None:
        holding.set()
        await release.wait()
        handled.append(body["number"])
        if len(handled) == MESSAGES:
            all_handled.set()

    group = f"{settings.CONSUMER_GROUP}.lag-{unique}"
    await broker.start()
    try:
        await asyncio.wait_for(holding.wait(), WAIT)  # the first message is in hand, the rest wait
        await refresh_consumer_lag(broker)
        assert lag(group, topic) == MESSAGES - 1
        assert held(group, topic) == 1  # the test topic's one partition, held by this process
        release.set()
        await asyncio.wait_for(all_handled.wait(), WAIT)
        await refresh_consumer_lag(broker)
        assert lag(group, topic) == 0
    finally:
        await broker.stop()
    await refresh_consumer_lag(broker)  # a stopped consumer measures nothing: its series is gone
    assert lag(group, topic) is None
    assert held(group, topic) is None


async def test_outbox_gauge_shows_the_age_of_an_entry_left_pending_and_zero_once_swept(
    mongo: AsyncMongoClient[dict[str, Any]], settings: ServiceSettings, unique: str
) -> None:
    topic, docs = f"test.outbox-age.{unique}", mongo[f"outbox_age_{unique}"][f"docs_{unique}"]
    left_at = utc_now() - timedelta(minutes=10)
    left = [{"id": f"e-{unique}", "topic": topic, "key": "k", "payload": json.dumps({"n": 1}),
             "at": left_at.isoformat()}]
    await docs.update_one({"_id": "crashed"}, push({"$set": {"version": 1}}, left), upsert=True)
    published_before = REGISTRY.get_sample_value("xueji_outbox_published_total", {"topic": topic}) or 0.0
    broker = KafkaBroker(settings.KAFKA_BOOTSTRAP)
    await broker.start()
    try:
        relay = OutboxRelay(docs, broker)
        measured_after = utc_now()
        assert await relay.sweep() == 1
        age = REGISTRY.get_sample_value("xueji_outbox_oldest_seconds", {"collection": docs.name})
        assert age is not None
        assert age >= (measured_after - left_at).total_seconds()
        await relay.settled()
        assert await relay.sweep() == 0
        assert REGISTRY.get_sample_value("xueji_outbox_oldest_seconds", {"collection": docs.name}) == 0
    finally:
        await broker.stop()
    assert REGISTRY.get_sample_value("xueji_outbox_published_total", {"topic": topic}) == published_before + 1
    await mongo.drop_database(f"outbox_age_{unique}")


async def test_database_calls_are_counted_by_command_and_collection_with_no_value_in_a_label(
    settings: ServiceSettings, unique: str
) -> None:
    def calls(command: str, collection: str) -> float:
        return REGISTRY.get_sample_value("xueji_db_calls_total",
                                         {"command": command, "collection": collection}) or 0.0

    collection = f"calls_{unique}"
    client = make_mongo_client(settings, "test")
    try:
        docs = client[f"calls_{unique}"][collection]
        await docs.insert_one({"_id": "G630102201001011234", "name": "王小明"})
        await docs.find_one({"_id": "G630102201001011234"})
        await docs.update_one({"_id": "G630102201001011234"}, {"$set": {"name": "王晓明"}})
        assert [calls(command, collection) for command in ("insert", "find", "update")] == [1, 1, 1]
        seconds = REGISTRY.get_sample_value("xueji_db_call_seconds_total",
                                            {"command": "find", "collection": collection})
        assert seconds is not None and seconds > 0
        labels = {v for metric in REGISTRY.collect() if metric.name.startswith("xueji_db_call")
                  for sample in metric.samples for v in sample.labels.values()}
        assert not {v for v in labels if "G630102" in v or "王" in v}  # no registry number, no name
    finally:
        await client.drop_database(f"calls_{unique}")
        await client.close()
