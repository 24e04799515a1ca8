"""Replaying dead letters: each goes back to the topic it came from, once."""

from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from xueji_contracts.topics import DEAD_LETTERS

from services.common.deadletter import SERVICE, SOURCE_TOPIC
from services.common.kafka import PRODUCER_OPTIONS
from services.common.settings import ServiceSettings

REPLAY_GROUP = "xueji-dlq-replay"


async def replay(settings: ServiceSettings, service: str | None, report: Callable[[str], None] = print,
                 group: str = REPLAY_GROUP) -> int:
    """Send the dead letters not replayed yet (of one service, or all) back to their source topics.

    The replay keeps its position in a consumer group, so a dead letter is replayed once;
    one that fails again comes back as a new dead letter."""
    consumer = AIOKafkaConsumer(
        DEAD_LETTERS,
        bootstrap_servers=settings.KAFKA_BOOTSTRAP,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP, **PRODUCER_OPTIONS)
    await consumer.start()
    await producer.start()
    replayed = 0
    try:
        idle = 0
        while idle < 3:  # three empty polls in a row: the topic is drained
            batch = await consumer.getmany(timeout_ms=1000)
            idle = 0 if batch else idle + 1
            for records in batch.values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers or ()}
                    if service and headers.get(SERVICE) != service:
                        continue
                    kept = [(k, v.encode()) for k, v in headers.items() if not k.startswith("x-dlq-")]
                    await producer.send_and_wait(
                        headers[SOURCE_TOPIC], record.value, key=record.key, headers=kept
                    )
                    replayed += 1
            await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()
    report(f"replayed {replayed} dead letters")
    return replayed
