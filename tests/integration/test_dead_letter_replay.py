"""A replay sends back what the dead-letter topic held when it began, once: a message that fails
again and is parked anew during the replay waits for the next one (the replay always ends)."""

import asyncio
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from xueji_contracts.topics import DEAD_LETTERS

from services.cli.deadletters import replay
from services.common.deadletter import SERVICE, SOURCE_TOPIC
from services.common.reading import read_all
from services.common.settings import ServiceSettings

pytestmark = pytest.mark.integration


async def test_a_replay_ends_though_its_messages_are_parked_again_meanwhile() -> None:
    settings = ServiceSettings()
    service, topic = f"xueji-test-{uuid4().hex[:8]}", f"test.replay.{uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP)
    await producer.start()
    headers = [(SERVICE, service.encode()), (SOURCE_TOPIC, topic.encode())]

    async def park(n: int) -> None:
        await producer.send_and_wait(DEAD_LETTERS, f"poison {n}".encode(), headers=headers)

    async def parked_again_and_again() -> None:  # a consumer failing on every replayed message
        for n in range(100, 10_000):
            await park(n)
            await asyncio.sleep(0.05)

    try:
        await park(1)
        await park(2)
        again = asyncio.create_task(parked_again_and_again())
        try:
            replayed = await asyncio.wait_for(replay(settings, service, lambda _: None, group=service), 60)
        finally:
            again.cancel()
        assert replayed >= 2
        sent = [m.value for m in await read_all(settings.KAFKA_BOOTSTRAP, topic)]
        # the dead-letter topic has several partitions: what was parked meanwhile may come between
        assert {b"poison 1", b"poison 2"} <= set(sent) and len(sent) == replayed
        await park(3)  # parked after the first replay ended, whatever the timing meanwhile
        later = await replay(settings, service, lambda _: None, group=service)
        assert later >= 1  # what was parked meanwhile and since is the next replay's, once
        assert len(await read_all(settings.KAFKA_BOOTSTRAP, topic)) == replayed + later
    finally:
        await producer.stop()
