"""The consumer groups each service joins, starting new ones at the end of their topics, and
reading a topic whole."""

from typing import Any

from aiokafka import AIOKafkaConsumer
from xueji_contracts import topics

from services.cli.topics import create_topics
from services.common import reading
from services.common.reading import partitions_of
from services.common.settings import ServiceSettings

# per service: the suffixes it adds to its XUEJI_CONSUMER_GROUP, and the topics each group reads
_CASE_TOPICS = tuple(topic.name for topic in topics.case_topics())
CONSUMER_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "dedup": {
        ".registrations": (topics.REGISTRATIONS,),
        ".commands": (topics.DEDUP_COMMANDS,),
        ".population": (topics.POPULATION_RESULTS,),
    },
    "population-standin": {"": (topics.POPULATION_REQUESTS,)},
    "workflow": {".problems": (topics.PROBLEMS,), ".evidence": (topics.EVIDENCE,)},
    "evidence": {".cases": _CASE_TOPICS},
    "notify": {".cases": _CASE_TOPICS},
}


def groups_of(service: str, consumer_group: str) -> dict[str, tuple[str, ...]]:
    """The groups a service configured with ``consumer_group`` joins, and what each reads."""
    return {consumer_group + suffix: names for suffix, names in CONSUMER_GROUPS[service].items()}


async def start_at_end(groups: dict[str, tuple[str, ...]]) -> None:
    """Commit each new consumer group's offsets at the current end of its topics.

    The test stack outlives a test run and many tests share its topics: without this, a
    service under test would first replay every message earlier tests left there. The topics
    are created first: on a fresh stack they do not exist yet and would have no end to start at.
    """
    await create_topics(ServiceSettings(), 1, report=lambda _: None)
    for group, names in groups.items():
        consumer = AIOKafkaConsumer(
            bootstrap_servers=ServiceSettings().KAFKA_BOOTSTRAP, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            partitions = await partitions_of(consumer, names)
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await consumer.commit(ends)
        finally:
            await consumer.stop()


async def read_all(topic: str) -> list[Any]:
    """Every message on a topic now, from its first offset."""
    return await reading.read_all(ServiceSettings().KAFKA_BOOTSTRAP, topic)
