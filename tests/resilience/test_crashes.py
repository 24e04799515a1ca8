"""Services killed (-9) and restarted under a steady load: afterwards every count is exact.

Bounded in time, on loopback only. Registrations of duplicate pairs arrive in waves; between
waves dedup, the workflow and notify are each killed without warning and restarted. Poison
messages go to every topic the services consume. When the load has drained:
- every registration is in the identity index once, every pair is one group and one case;
- each case was announced once: one distinct ``case.group_opened`` event per group on its
  province's topic (a crash may publish an event again, with the same id, which consumers
  drop; no second event is ever made);
- each school has one inbox entry per group opened;
- every poison message is in the dead-letter topic, and the consumers went on.
"""

import asyncio
import json
import random
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo import MongoClient
from xueji_contracts.enums import Gender, Role
from xueji_contracts.students import StudentRecord, StudentRegistered
from xueji_contracts.topics import (
    DEAD_LETTERS,
    DEDUP_COMMANDS,
    EVIDENCE,
    POPULATION_RESULTS,
    PROBLEMS,
    REGISTRATIONS,
    case_topic,
)

from services.common.settings import ServiceSettings
from services.dedup.demo import synthetic_id_number

from ..system import System, eventually, running_system
from ..unit.dedup.factories import BIRTH, record

pytestmark = pytest.mark.integration
PAIRS_PER_WAVE, WAVES = 10, 4
CRASHES = ("dedup", "workflow", "notify")  # one after each of the first three waves
POISONED = (REGISTRATIONS, POPULATION_RESULTS, DEDUP_COMMANDS, PROBLEMS, EVIDENCE, case_topic("630000"))


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("resilience")) as running:
        yield running


def pairs(count: int, rng: random.Random) -> list[tuple[StudentRecord, StudentRecord]]:
    made = []
    for _ in range(count):
        birth = BIRTH + timedelta(days=rng.randrange(3000))  # with the sequence digits: never a collision
        number = synthetic_id_number(rng, "630102", birth, Gender.FEMALE)
        serial = rng.randrange(10, 9990)
        made.append(
            (
                record(
                    serial,
                    district="630102",
                    number=number,
                    school="6301020001",
                    gender=Gender.FEMALE,
                    birth=birth,
                ),
                record(
                    serial + 1,
                    district="630103",
                    number=number,
                    school="6301030002",
                    gender=Gender.FEMALE,
                    birth=birth,
                ),
            )
        )
    return made


async def send(messages: list[tuple[str, bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=ServiceSettings().KAFKA_BOOTSTRAP)
    await producer.start()
    try:
        for topic, key, value in messages:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_all(topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=ServiceSettings().KAFKA_BOOTSTRAP, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        seen: list[Any] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            seen += [m for records in batch.values() for m in records]
        return seen
    finally:
        await consumer.stop()


async def test_killed_services_lose_nothing_and_double_nothing(system: System) -> None:
    rng = random.Random(uuid.uuid4().int)
    all_pairs: list[tuple[StudentRecord, StudentRecord]] = []
    poison_key = f"poison-{system.unique}".encode()
    await send([(topic, poison_key, b"{not json") for topic in POISONED])
    for wave in range(WAVES):
        batch = pairs(PAIRS_PER_WAVE, rng)
        all_pairs += batch
        await send(
            [
                (
                    REGISTRATIONS,
                    rec.registry_number.encode(),
                    StudentRegistered(producer="province", record=rec).model_dump_json().encode(),
                )
                for pair in batch
                for rec in pair
            ]
        )
        if wave < len(CRASHES):
            await asyncio.sleep(1.5)  # mid-flight
            await asyncio.to_thread(system.restart_after_kill, CRASHES[wave])

    ours = {rec.registry_number for pair in all_pairs for rec in pair}
    mongo: MongoClient[dict[str, Any]] = MongoClient(ServiceSettings().MONGO_URI.get_secret_value())
    db = mongo[system.database]

    def cases_of_ours() -> list[dict[str, Any]] | None:
        found = [
            c
            for c in db["workflow_cases"].find({"district_codes": "630102"}, {"state": 1})
            if set(c["state"]["members"]) <= ours
        ]
        return found if len(found) >= len(all_pairs) else None

    await asyncio.to_thread(lambda: eventually(cases_of_ours, 180, 1.0))
    await asyncio.sleep(3)  # anything late or doubled would show up now
    cases = await asyncio.to_thread(cases_of_ours) or []
    try:
        assert db["dedup_records"].count_documents({"_id": {"$in": sorted(ours)}}) == len(ours)
        assert len(cases) == len(all_pairs)
        assert all(len(c["state"]["members"]) == 2 for c in cases)
        groups = {c["_id"] for c in cases}
        opened = [
            json.loads(m.value)
            for m in await read_all(case_topic("630000"))
            if b"case.group_opened" in (m.value or b"")
        ]
        distinct = {(e["group_id"], e["event_id"]) for e in opened if e["group_id"] in groups}
        assert sorted(g for g, _ in distinct) == sorted(groups)  # one event per group, never two
        with system.client("notify", Role.SCHOOL_REGISTRAR, "6301020001") as inbox:

            def all_delivered() -> list[dict[str, Any]] | None:
                items = inbox.get("/v1/inbox", params={"page_size": 200}).json()["items"]
                mine = [
                    n for n in items if n["group_id"] in groups and n["event_type"] == "case.group_opened"
                ]
                return mine if len(mine) >= len(groups) else None

            entries = await asyncio.to_thread(lambda: eventually(all_delivered, 60, 1.0))
            assert len(entries) == len(groups)
        parked = {
            dict(m.headers).get("x-dlq-source-topic", b"").decode()
            for m in await read_all(DEAD_LETTERS)
            if m.key == poison_key
        }
        assert parked >= set(POISONED) - {case_topic("630000")} or parked == set(POISONED)
    finally:
        mongo.close()
