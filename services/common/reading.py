"""Reading a topic from outside any service: what operators' tools, tests and benchmarks see.

``read_all`` takes every record on a topic now, with no consumer group; ``collect`` follows
a topic from its start in a group of its own until a condition on what it kept holds.
"""

import asyncio
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, TopicPartition

Record = Any  # aiokafka's ConsumerRecord (the package ships no type hints)


async def partitions_of(consumer: AIOKafkaConsumer, names: tuple[str, ...]) -> list[TopicPartition]:
    await consumer.topics()  # fetches the cluster's metadata
    return [TopicPartition(name, partition)
            for name in names for partition in sorted(consumer.partitions_for_topic(name) or ())]


async def read_all(bootstrap: str, topic: str) -> list[Record]:
    """Every record on ``topic`` now, from its first offset."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, (topic,))
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        seen: list[Record] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            seen += [m for records in batch.values() for m in records]
        return seen
    finally:
        await consumer.stop()


async def collect(bootstrap: str, topic: str, until: Callable[[list[Any]], bool], within: float = 30,
                  keep: Callable[[Record], Any] = lambda record: record) -> list[Any]:
    """``keep(record)`` of each record on ``topic`` (from its start; None is dropped) until
    ``until(kept)`` holds; TimeoutError after ``within`` seconds."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"reader-{uuid4()}",
                                auto_offset_reset="earliest", max_poll_records=5000)
    await consumer.start()
    kept: list[Any] = []
    try:
        async with asyncio.timeout(within):
            while not until(kept):
                batch = await consumer.getmany(timeout_ms=300)
                kept += [k for records in batch.values() for m in records if (k := keep(m)) is not None]
    finally:
        await consumer.stop()
    return kept
