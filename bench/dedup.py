"""Dedup benchmark: registrations through the real broker and the running dedup service.

    ./dev bench dedup [--count 100000]

In one run, on the same generated registrations (demo rates of duplicates and ID errors):
1. raw broker: produce + consume the registration bodies on a scratch topic;
2. raw database: bulk-upsert the records' index documents (``bulk_write(ordered=False)``);
3. the service under a backlog: every registration produced while ``xueji-dedup`` runs
   as its own process; registrations/s, database round trips per registration (its
   metric) and its CPU seconds per 10 000 registrations (from /proc), with what the
   idle process burns (the local broker answers empty fetches at once, so idle
   consumers poll in a loop);
4. latency: a further paced load at half that rate; registration → problem event from
   the Kafka record timestamps (p50/p99).

Left out: the population database. No stand-in runs, so no question is answered: the
population round trip, the answers' database updates and the problems they raise are not in
these figures (dedup's own half of intake only). The whole system, population answers, cases
and inboxes included, is measured by ``bench/pipeline.py``.
"""

import argparse
import asyncio
import json
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient, UpdateOne
from xueji_contracts.students import StudentRecord, StudentRegistered
from xueji_contracts.topics import PROBLEMS, REGISTRATIONS

from services.cli.topics import create_topics
from services.common import reading
from services.dedup.adapters.store import record_to_doc
from services.dedup.adapters.vault import Vault
from services.dedup.demo import Generator
from services.dedup.domain.identity import record_state
from services.dedup.settings import DedupSettings

from .common import ServiceProcess, cpu_seconds, machine, metric, percentile

PORT = 8101
IDLE_SECONDS = 10
Message = tuple[bytes, bytes]  # key, body


def registrations(count: int, seed: int) -> tuple[list[StudentRecord], list[Message]]:
    records = list(Generator(seed=seed).stream(count))[:count]
    bodies = [
        (r.registry_number.encode(), StudentRegistered(producer="bench", record=r).model_dump_json().encode())
        for r in records
    ]
    return records, bodies


async def produce(
    settings: DedupSettings, topic: str, messages: list[Message], rate: float | None = None
) -> dict[str, int]:
    """Send messages (paced at ``rate`` per second when given); return key → record timestamp (ms)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP,
        linger_ms=5,
        compression_type="gzip",
        max_batch_size=256 * 1024,
    )
    await producer.start()
    sent: dict[str, int] = {}
    try:
        started = time.monotonic()
        for start in range(0, len(messages), 1000 if rate is None else 50):
            chunk = messages[start : start + (1000 if rate is None else 50)]
            futures = [await producer.send(topic, body, key=key) for key, body in chunk]
            for (key, _), metadata in zip(chunk, await asyncio.gather(*futures), strict=True):
                sent[key.decode()] = metadata.timestamp
            if rate is not None:
                await asyncio.sleep(max(0.0, started + (start + len(chunk)) / rate - time.monotonic()))
    finally:
        await producer.stop()
    return sent


async def consume(settings: DedupSettings, topic: str, until: Any, within: float) -> list[Any]:
    return await reading.collect(settings.KAFKA_BOOTSTRAP, topic, until, within)


async def read_all(settings: DedupSettings, topic: str) -> list[Any]:
    """Every record on a topic now, without a consumer group."""
    return await reading.read_all(settings.KAFKA_BOOTSTRAP, topic)


async def raw_broker_rate(settings: DedupSettings, messages: list[Message]) -> float:
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    consumer = asyncio.create_task(consume(settings, topic, lambda seen: len(seen) >= len(messages), 600))
    await produce(settings, topic, messages)
    await consumer
    return len(messages) / (time.perf_counter() - started)


async def raw_database_rate(settings: DedupSettings, records: list[StudentRecord], batch: int) -> float:
    pepper, today = settings.PEPPER.get_secret_value().encode(), date.today()
    vault = Vault(pepper)
    states = [record_state(r, pepper, today) for r in records]
    docs = [{"_id": vault.record_id(s.registry_number), **record_to_doc(s, vault)} for s in states]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.MONGO_URI.get_secret_value())
    collection = client[f"bench_raw_{uuid.uuid4().hex[:8]}"]["records"]
    started = time.perf_counter()
    for start in range(0, len(docs), batch):
        ops = [
            UpdateOne({"_id": d["_id"]}, {"$set": {k: v for k, v in d.items() if k != "_id"}}, upsert=True)
            for d in docs[start : start + batch]
        ]
        await collection.bulk_write(ops, ordered=False)
    elapsed = time.perf_counter() - started
    await client.drop_database(collection.database.name)
    await client.close()
    return len(docs) / elapsed


async def wait_processed(port: int, count: int, progress: bool = True) -> None:
    last = -1.0
    while (done := metric(port, "xueji_dedup_messages_total", f'topic="{REGISTRATIONS}"')) < count:
        if progress and int(done / count * 20) != int(last / count * 20):
            print(f"   … {done:,.0f} / {count:,}", flush=True)
        last = done
        await asyncio.sleep(0.5)


def latencies(problems: list[Any], sent: dict[str, int]) -> list[float]:
    """Milliseconds from the newest member's registration to each problem event it caused."""
    result = []
    for message in problems:
        event = json.loads(message.value)
        stamps = [
            sent[m["registry_number"]] for m in event.get("members", []) if m["registry_number"] in sent
        ]
        if stamps:
            result.append(message.timestamp - max(stamps))
    return result


async def run(count: int, latency_count: int, seed: int) -> None:
    settings = DedupSettings()
    print(f"machine: {machine()}")
    print(f"generating {count:,} + {latency_count:,} registrations …", flush=True)
    records, messages = registrations(count + latency_count, seed)
    load, paced = messages[:count], messages[count:]
    await create_topics(settings, 1, report=lambda _: None)

    print("1/4 raw broker produce + consume …", flush=True)
    broker_rate = await raw_broker_rate(settings, load)
    print(f"   {broker_rate:,.0f} messages/s", flush=True)
    print("2/4 raw database bulk upsert …", flush=True)
    db_rate = await raw_database_rate(settings, records[:count], settings.BATCH_MAX_RECORDS)
    print(f"   {db_rate:,.0f} documents/s", flush=True)

    unique = uuid.uuid4().hex[:8]
    service = ServiceProcess(
        "xueji-dedup",
        PORT,
        {
            "XUEJI_MONGO_DATABASE": f"bench_{unique}",
            "XUEJI_CONSUMER_GROUP": f"bench-dedup-{unique}",
            "XUEJI_KAFKA_BOOTSTRAP": settings.KAFKA_BOOTSTRAP,
        },
        Path(".local/bench.log"),
    )
    print("3/4 the dedup service under a backlog …", flush=True)
    service.start()
    try:
        await asyncio.sleep(2)
        idle0 = cpu_seconds(service.pid)
        await asyncio.sleep(IDLE_SECONDS)  # what the process burns with nothing to do
        idle_rate = (cpu_seconds(service.pid) - idle0) / IDLE_SECONDS
        cpu0, trips0 = cpu_seconds(service.pid), metric(PORT, "xueji_dedup_db_round_trips_total")
        started = time.perf_counter()
        await produce(settings, REGISTRATIONS, load)
        await wait_processed(PORT, count)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(service.pid) - cpu0
        trips = metric(PORT, "xueji_dedup_db_round_trips_total") - trips0
        rate = count / elapsed

        print(f"4/4 latency at {rate / 2:,.0f} registrations/s …", flush=True)
        sent = await produce(settings, REGISTRATIONS, paced, rate=rate / 2)
        await wait_processed(PORT, count + latency_count, progress=False)
        await asyncio.sleep(1)
        problems = await read_all(settings, PROBLEMS)
    finally:
        service.stop()
    lat = latencies(problems, sent)

    print(f"\nregistrations            {count:,}")
    print(f"service rate             {rate:,.0f} registrations/s")
    print(
        f"raw database bulk upsert {db_rate:,.0f} documents/s → service at {rate / db_rate:.0%}"
        " (target ≥ 70 %)"
    )
    print(f"raw broker produce+consume {broker_rate:,.0f} messages/s")
    print(f"db round trips           {trips / count:.3f} per registration (target ≤ 1.2)")
    print(f"dedup CPU                {cpu / count * 10_000:.2f} s per 10 000 registrations (target ≤ 0.5)")
    print(f"   idle dedup process    {idle_rate:.2f} CPU s/s (empty fetches of the local broker)")
    print(
        f"latency (paced, n={len(lat)}) p50 {percentile(lat, 0.5):.0f} ms, p99 {percentile(lat, 0.99):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000, help="registrations in the backlog phase")
    parser.add_argument("--latency-count", type=int, default=5_000, help="registrations in the paced phase")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    asyncio.run(run(args.count, args.latency_count, args.seed))


if __name__ == "__main__":
    main()
