"""The local broker's static-membership defect, shown without any service.

    python -m tests.soak.rejoin [--rounds 8]

Against the broker XUEJI_KAFKA_BOOTSTRAP names (default 127.0.0.1:9092).
A process runs three consumers of one group, each a static member (``group.instance.id``), started
together as a service's are, on a topic of 12 partitions a producer keeps filling. Each round sends
``kill -9`` to the process and starts it again, as the soak does to a service. Kafka's protocol
gives a rejoining static member its own earlier assignment, so the three assignments are disjoint
and cover every partition. Each round prints what each consumer was given; a partition given
twice, or to no one, is the defect ``tests/soak/watchdog.py`` undoes during a soak. Exit 1 when a
round showed it.
"""

import argparse
import asyncio
import json
import logging
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.common.settings import ServiceSettings

PARTITIONS, CONSUMERS, WAIT_SECONDS, SETTLE_SECONDS = 12, 3, 30.0, 5.0


class Told(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka ships no type hints
    def __init__(self, n: int) -> None:
        self.n = n

    async def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    async def on_partitions_assigned(self, assigned: Any) -> None:
        print(json.dumps({"consumer": self.n, "given": sorted(tp.partition for tp in assigned)}), flush=True)


async def child(bootstrap: str, topic: str, group: str) -> None:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    consumers = []
    for n in range(CONSUMERS):
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                    group_instance_id=f"{group}-{n}", auto_offset_reset="earliest")
        consumer.subscribe([topic], listener=Told(n))
        consumers.append(consumer)
    await asyncio.gather(*(c.start() for c in consumers))
    await asyncio.gather(*(read(c) for c in consumers))


async def read(consumer: AIOKafkaConsumer) -> None:
    while True:
        try:
            await consumer.getmany(timeout_ms=500)
        except Exception:  # noqa: S112 - a commit refused during a rebalance: the consumer rejoins
            continue


async def fill(bootstrap: str, topic: str, stopped: asyncio.Event) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        while not stopped.is_set():
            try:
                for partition in range(PARTITIONS):
                    await producer.send(topic, b"x", partition=partition)
            except Exception:  # noqa: S110 - the broker is restarting
                pass
            await asyncio.sleep(0.5)
    finally:
        await producer.stop()


def start_child(topic: str, group: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.soak.rejoin", "--child", topic, group],  # noqa: S603
                            stdout=subprocess.PIPE, text=True)


def given_to(process: subprocess.Popen[str]) -> dict[int, list[int]]:
    """Each consumer's latest partitions, SETTLE_SECONDS after all three have some (a rebalance that
    follows would show by then), or after WAIT_SECONDS."""
    given: dict[int, list[int]] = {}

    def listen() -> None:
        assert process.stdout
        for line in process.stdout:
            told = json.loads(line)
            given[told["consumer"]] = told["given"]

    threading.Thread(target=listen, daemon=True).start()
    deadline = time.monotonic() + WAIT_SECONDS
    while len(given) < CONSUMERS and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(SETTLE_SECONDS)
    return dict(given)


async def rounds(count: int) -> int:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    bootstrap = ServiceSettings().KAFKA_BOOTSTRAP
    topic, group = f"rejoin.{uuid.uuid4().hex[:8]}", f"rejoin-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    await admin.close()
    stopped = asyncio.Event()
    filling = asyncio.create_task(fill(bootstrap, topic, stopped))
    process = start_child(topic, group)
    await asyncio.to_thread(given_to, process)
    defective = 0
    for number in range(1, count + 1):
        process.kill()
        process.wait()
        process = start_child(topic, group)
        given = await asyncio.to_thread(given_to, process)
        held = [p for parts in given.values() for p in parts]
        twice = sorted({p for p in held if held.count(p) > 1})
        nobody = sorted(set(range(PARTITIONS)) - set(held))
        defective += bool(twice or nobody)
        print(f"round {number}: given {dict(sorted(given.items()))}; given twice {twice or 'none'}, "
              f"to no one {nobody or 'none'}", flush=True)
    process.kill()
    stopped.set()
    await filling
    print(f"{defective} of {count} rounds gave a partition twice or to no one")
    return 1 if defective else 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.soak.rejoin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--child", nargs=2, metavar=("TOPIC", "GROUP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(ServiceSettings().KAFKA_BOOTSTRAP, *args.child))
        return
    sys.exit(asyncio.run(rounds(args.rounds)))


if __name__ == "__main__":
    main()
