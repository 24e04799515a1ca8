"""The dedup service end to end on the real broker and database: registrations in, problems out."""

import asyncio
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from xueji_contracts.enums import Gender
from xueji_contracts.students import StudentRegistered
from xueji_contracts.topics import DEAD_LETTERS, PROBLEMS, REGISTRATIONS

from services.common import reading
from services.dedup import main, population_standin
from services.dedup.demo import synthetic_id_number
from services.dedup.settings import DedupSettings

from ...consumer_groups import groups_of, start_at_end
from ...messages import decoded_or_none
from ...unit.dedup.factories import record

pytestmark = pytest.mark.integration


async def collect(topic: str, unique: str, until: Any, within: float = 60) -> list[Any]:
    """Messages on ``topic`` (from its start) until ``until(messages)`` holds."""
    return await reading.collect(DedupSettings().KAFKA_BOOTSTRAP, topic, until, within)


async def test_registrations_flow_through_the_service_to_problem_events(unique: str, tmp_path: Path) -> None:
    async with asyncio.timeout(120):
        await registrations_flow(unique, tmp_path)


async def registrations_flow(unique: str, tmp_path: Path) -> None:
    # This run's records get a birth date (so registry and ID numbers) of their own.
    rng = random.Random(unique)
    birth = date(2010, 1, 1) + timedelta(days=rng.randrange(3650))
    number = synthetic_id_number(rng, "110105", birth, Gender.MALE)
    changed_number = synthetic_id_number(rng, "440103", birth, Gender.MALE)
    new_number = synthetic_id_number(rng, "440103", birth, Gender.MALE)
    fixture = tmp_path / "population.jsonl"
    fixture.write_text(json.dumps({"id_number": changed_number, "name": "王五", "outcome": "changed",
                                   "new_id_number": new_number}) + "\n", encoding="utf-8")
    settings = DedupSettings(MONGO_DATABASE=f"svc_{unique}", CONSUMER_GROUP=f"dedup-{unique}",
                             BATCH_TIMEOUT_MS=50)
    standin = population_standin.StandinSettings(POPULATION_FIXTURE=fixture, CONSUMER_GROUP=f"pop-{unique}")
    a, b = record(1, number=number, birth=birth), record(2, number=number, district="650102", birth=birth)
    moved = record(3, number=changed_number, district="440103", name="王五", birth=birth)
    await start_at_end(groups_of("dedup", settings.CONSUMER_GROUP)
                       | groups_of("population-standin", standin.CONSUMER_GROUP))
    dedup_app, standin_app = main.create_app(settings), population_standin.create_app(standin)

    async with dedup_app.router.lifespan_context(dedup_app), standin_app.router.lifespan_context(standin_app):
        producer = AIOKafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP)
        await producer.start()
        try:
            await producer.send_and_wait(REGISTRATIONS, b"{broken", key=b"poison-" + unique.encode())
            for rec in (a, b, moved):
                body = StudentRegistered(producer="test", record=rec).model_dump_json().encode()
                await producer.send_and_wait(REGISTRATIONS, body, key=rec.registry_number.encode())
        finally:
            await producer.stop()

        ours = {a.registry_number, b.registry_number, moved.registry_number}

        def events_of(messages: list[Any]) -> list[dict[str, Any]]:
            decoded = [d for d in map(decoded_or_none, (m.value for m in messages)) if d]
            return [e for e in decoded if {m["registry_number"] for m in e.get("members", [])} & ours]

        problems = events_of(await collect(PROBLEMS, unique, lambda seen: len(events_of(seen)) >= 2))
        parked = await collect(DEAD_LETTERS, unique, lambda seen: any(
            m.key == b"poison-" + unique.encode() for m in seen))

    by_type = {e["problem_type"]: e for e in problems}
    duplicate = by_type["DUPLICATE_ID"]
    assert {m["province_code"] for m in duplicate["members"]} == {"110000", "650000"}
    assert by_type["ID_CHANGED"]["suggested_id_number"] == new_number
    poison = next(m for m in parked if m.key == b"poison-" + unique.encode())
    assert poison.value == b"{broken"
    assert dict(poison.headers)["x-dlq-source-topic"] == REGISTRATIONS.encode()
