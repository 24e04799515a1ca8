"""Against the local broker, which answers empty fetches at once, idle consumers are paced."""

import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.consumer.fetcher import Fetcher

from services.cli.topics import create_topics
from services.common import fetching
from services.common.settings import ServiceSettings

pytestmark = pytest.mark.integration


async def test_idle_consumer_waits_between_empty_fetches(
        settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    await create_topics(settings, 1, report=lambda _: None)
    fetching.pace_empty_fetches(100)
    paced = Fetcher._proc_fetch_request
    fetches = 0

    async def counted(self: Any, *args: Any) -> bool:
        nonlocal fetches
        fetches += 1
        added: bool = await paced(self, *args)
        return added

    monkeypatch.setattr(Fetcher, "_proc_fetch_request", counted)
    consumer = AIOKafkaConsumer("xueji.deadletters.v1", bootstrap_servers=settings.KAFKA_BOOTSTRAP,
                                group_id=f"pacing-{uuid.uuid4().hex[:8]}", auto_offset_reset="latest")
    await consumer.start()
    try:
        await consumer.getmany(timeout_ms=500)  # assigned and positioned
        fetches = 0
        await consumer.getmany(timeout_ms=2000)
    finally:
        await consumer.stop()
    # Unpaced, this broker sees thousands of fetches in two seconds; paced, about twenty.
    assert 1 <= fetches <= 60
