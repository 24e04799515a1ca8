"""Partitions that the broker assigned to no running consumer, found and undone while a soak runs.

The local broker (noida-db 0.2.3) sometimes answers a static member that rejoins after a ``kill -9``
with another member's partitions: two consumers of the group then hold the same partitions, the
broker's group description lists the others as assigned, and no consumer ever reads them
(``python -m tests.soak.rejoin`` shows it without any service). Real Kafka hands a rejoining
static member its own assignment. Every service exports ``xueji_consumer_partitions``, the
partitions its consumers hold per group and topic; summed over the running processes it must be
the topic's partition count. When it stays short for ``SHORT_SECONDS`` while every process of the
group answers, the watchdog reports it and restarts the broker, which forgets its groups and
assigns every partition afresh. A shortfall that a restart does not undo would stay and keep the
soak from draining, so a consumer of the project's own that stops holding partitions still fails it.
"""

import asyncio
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from aiokafka import AIOKafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from services.common.reading import partitions_of

from ..consumer_groups import groups_of
from ..system import SERVICES, System, management_url

CHECK_SECONDS = 5.0
SHORT_SECONDS = 30.0  # a group joins within seconds, also after its process was killed and started


@dataclass(frozen=True)
class Unheld:
    at: float  # seconds after the load began
    group: str
    topic: str
    held: int
    partitions: int


@dataclass
class Watchdog:
    system: System
    bootstrap: str
    began: float  # monotonic time the load began
    restart_broker: Callable[[], None]  # under the disruptions' lock
    found: list[Unheld] = field(default_factory=list)
    short_since: dict[tuple[str, str], float] = field(default_factory=dict)

    async def run(self, stopped: asyncio.Event) -> None:
        counts = await self.partition_counts()
        while not stopped.is_set():
            try:
                await asyncio.wait_for(stopped.wait(), CHECK_SECONDS)
            except TimeoutError:
                await self.check(counts)

    async def partition_counts(self) -> dict[str, int]:
        topics = {t for name in SERVICES for ts in self.groups(name).values() for t in ts}
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap)
        await consumer.start()
        try:
            found = await partitions_of(consumer, tuple(sorted(topics)))
        finally:
            await consumer.stop()
        counts: dict[str, int] = defaultdict(int)
        for tp in found:
            counts[tp.topic] += 1
        return counts

    def groups(self, service: str) -> dict[str, tuple[str, ...]]:
        return groups_of(service, self.system.consumer_group(service))

    async def check(self, counts: dict[str, int]) -> None:
        now = time.monotonic()
        async with httpx.AsyncClient(timeout=3) as client:
            for service, port in SERVICES.items():
                process = self.system.processes.get(service)
                held = await held_partitions(client, management_url(port)) if process else None
                if process is None or process.poll() is not None or held is None:
                    continue  # down or restarting: the supervisor sees to it
                for group, topics in self.groups(service).items():
                    for topic in topics:
                        key = (group, topic)
                        if held.get(key, 0) >= counts[topic]:
                            self.short_since.pop(key, None)
                        elif now - self.short_since.setdefault(key, now) >= SHORT_SECONDS:
                            await self.undo(Unheld(round(now - self.began, 1), group, topic,
                                                   held.get(key, 0), counts[topic]))
                            return

    async def undo(self, unheld: Unheld) -> None:
        print(f"  {unheld.at:6.1f} s  the broker assigned {unheld.partitions - unheld.held} of "
              f"{unheld.partitions} partitions of {unheld.topic} to no running consumer of {unheld.group} "
              f"for {SHORT_SECONDS:g} s: restarting the broker", flush=True)
        self.found.append(unheld)
        await asyncio.to_thread(self.restart_broker)
        self.short_since.clear()


async def held_partitions(client: httpx.AsyncClient, url: str) -> dict[tuple[str, str], int] | None:
    """(group, topic) → partitions held, from one process's metrics; None when it does not answer."""
    try:
        text = (await client.get(f"{url}/metrics")).raise_for_status().text
    except httpx.HTTPError:
        return None
    held: dict[tuple[str, str], int] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "xueji_consumer_partitions":
            for sample in family.samples:
                held[sample.labels["group"], sample.labels["topic"]] = int(sample.value)
    return held


def locked(lock: threading.Lock, action: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        with lock:
            action()
    return run
