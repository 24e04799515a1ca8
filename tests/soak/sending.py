"""What a soak sends to the broker: registrations on schedule and poison messages, sent again
whenever the broker was away."""

import asyncio
import contextlib
import time

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from xueji_contracts.students import StudentRegistered
from xueji_contracts.topics import (
    DEDUP_COMMANDS,
    EVIDENCE,
    POPULATION_REQUESTS,
    POPULATION_RESULTS,
    PROBLEMS,
    REGISTRATIONS,
    case_topic,
)

from . import plan

POISONED = (REGISTRATIONS, POPULATION_REQUESTS, POPULATION_RESULTS, DEDUP_COMMANDS, PROBLEMS, EVIDENCE,
            *(case_topic(p) for p in plan.PROVINCES))


class Sender:
    """Registrations and poison messages to the broker, sent again whenever the broker was away (a
    registration sent twice is one registration: dedup keys it by registry number)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.producer: AIOKafkaProducer | None = None

    async def send(self, topic: str, value: bytes, key: bytes) -> None:
        while True:
            try:
                if self.producer is None:
                    self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap,
                                                     enable_idempotence=True)
                    await self.producer.start()
                await self.producer.send_and_wait(topic, value, key=key)
                return
            except (KafkaError, OSError):
                await self.stop()
                await asyncio.sleep(0.5)

    async def stop(self) -> None:
        if self.producer is not None:
            producer, self.producer = self.producer, None
            with contextlib.suppress(KafkaError, OSError):
                await producer.stop()

    async def poison(self, poisoned: list[tuple[bytes, str]]) -> None:
        for topic in POISONED:
            key = f"soak-poison-{len(poisoned)}".encode()
            await self.send(topic, b"{not json", key)
            poisoned.append((key, topic))

    async def registrations(self, units: list[plan.Unit], began: float, rate: float,
                            poisoned: list[tuple[bytes, str]]) -> int:
        """Each registration on schedule (open loop: after the broker was away it catches up); a
        second round of poison messages halfway."""
        records = [r for u in units for r in u.records]
        for i, rec in enumerate(records):
            await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))
            body = StudentRegistered(producer="province-system", record=rec).model_dump_json().encode()
            await self.send(REGISTRATIONS, body, rec.registry_number.encode())
            if i == len(records) // 2:
                await self.poison(poisoned)
        return len(records)
