"""Replaying dead letters: each goes back to the topic it came from, once. Notify's are not sent
back to the shared case topics (evidence and the province subscribers read them too): its
webhook deliveries are parked as jobs and queued again with ``requeue_deliveries``."""

from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from xueji_contracts.topics import DEAD_LETTERS

from services.common.deadletter import FAILED_AT, SERVICE, SOURCE_TOPIC
from services.common.kafka import PRODUCER_OPTIONS
from services.common.reading import partitions_of
from services.common.settings import ServiceSettings

REPLAY_GROUP = "xueji-dlq-replay"
NOTIFY, CASES = "xueji-notify", "xueji.cases."


async def replay(settings: ServiceSettings, service: str | None, report: Callable[[str], None] = print,
                 group: str = REPLAY_GROUP, parked_since: datetime | None = None) -> int:
    """Send the dead letters not replayed yet (of one service, or all) back to their source topics.

    The replay keeps its position in a consumer group, so a dead letter is replayed once. It
    replays what the topic held when it began: one that fails again comes back as a new dead
    letter, for the next replay (never replayed again by this one, which would loop)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.KAFKA_BOOTSTRAP, group_id=group,
                                enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP, **PRODUCER_OPTIONS)
    await consumer.start()
    await producer.start()
    replayed = skipped = 0
    try:
        partitions = await partitions_of(consumer, (DEAD_LETTERS,))
        consumer.assign(partitions)
        for tp in partitions:
            committed = await consumer.committed(tp)
            if committed is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue  # parked after this replay began
                    headers = {k: v.decode("utf-8", "replace") for k, v in record.headers or ()}
                    if service and headers.get(SERVICE) != service:
                        continue
                    if parked_since and headers.get(FAILED_AT, "") < parked_since.isoformat():
                        continue  # parked before the time asked for
                    if headers.get(SERVICE) == NOTIFY and headers.get(SOURCE_TOPIC, "").startswith(CASES):
                        skipped += 1  # never re-broadcast to a shared case topic
                        continue
                    kept = [(k, v.encode()) for k, v in headers.items() if not k.startswith("x-dlq-")]
                    await producer.send_and_wait(
                        headers[SOURCE_TOPIC], record.value, key=record.key, headers=kept
                    )
                    replayed += 1
            await consumer.commit({tp: min(await consumer.position(tp), ends[tp]) for tp in partitions})
    finally:
        await producer.stop()
        await consumer.stop()
    report(f"replayed {replayed} dead letters")
    if skipped:
        report(f"left {skipped} of xueji-notify's on the dead-letter topic: a case event notify could not "
               "read is not sent back to the shared case topic (its webhook deliveries: --deliveries)")
    return replayed


async def requeue_deliveries(settings: ServiceSettings, endpoint: str | None,
                             report: Callable[[str], None] = print) -> int:
    """Notify's parked webhook deliveries (of one endpoint, or all) queued again, each group's in order."""
    from services.common.mongo import make_mongo_client
    from services.notify.adapters.jobs import JobStore

    client = make_mongo_client(settings, "xueji-cli")
    try:
        count = await JobStore(client[settings.MONGO_DATABASE]).requeue_parked(endpoint, datetime.now(UTC))
    finally:
        await client.close()
    report(f"queued {count} parked deliveries again" + (f" for {endpoint}" if endpoint else ""))
    return count
