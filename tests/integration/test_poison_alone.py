"""Poison stays alone: in a batch, and in a single-record subscriber, every bad record is
dead-lettered by itself with its reason, and every good one is handled once (real broker).

The mixes are drawn by hypothesis: invalid JSON, JSON nested 50 000 deep, the wrong
schema, a huge body, a header that is not UTF-8, tombstones, and a valid registration whose
handling always fails (a batch that holds it is handled again one record at a time), among good
registrations.
"""

import asyncio
import json
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka.annotations import KafkaMessage
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from xueji_contracts import topics
from xueji_contracts.students import StudentRegistered
from xueji_contracts.topics import DEAD_LETTERS

from services.common import deadletter
from services.common.kafka import make_broker, subscriber
from services.common.reading import collect
from services.common.settings import ServiceSettings

from ..unit.dedup.factories import record

pytestmark = pytest.mark.integration

POISON: dict[str, tuple[bytes | None, list[tuple[str, bytes]]]] = {
    "invalid_json": (b"{not json", []),
    "deep": (b"[" * 50_000 + b"]" * 50_000, []),
    "wrong_schema": (b'{"event_type": "student.registered", "producer": "x"}', []),
    "huge": (b"x" * 600_000, []),
    "bad_header": (None, [("trace", b"\xff\xfe")]),  # a good body behind a header that is not UTF-8
    "tombstone": (None, []),
}
FAILS = "handler_fails"  # a valid body the handler always fails on
KINDS = st.lists(st.sampled_from(["good", FAILS, *POISON]), min_size=2, max_size=12)


def good_body(n: int) -> bytes:
    return StudentRegistered(producer="test", record=record(n)).model_dump_json().encode()


async def publish(settings: ServiceSettings, topic: str, kinds: list[str]) -> tuple[set[str], dict[int, str]]:
    """Publish the mix; the registry numbers of the good ones, and the bad ones by position."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP, max_request_size=2_000_000)
    await producer.start()
    good, bad = set(), {}
    try:
        for i, kind in enumerate(kinds):
            body, headers = POISON.get(kind, (None, []))
            if kind in ("good", "bad_header", FAILS):
                body = good_body(i)
            if kind == "good":
                good.add(json.loads(body or b"")["record"]["registry_number"])
            else:
                bad[i] = kind
            await producer.send_and_wait(topic, body, key=b"same-partition",
                                         headers=[("x-test-position", str(i).encode()), *headers])
    finally:
        await producer.stop()
    return good, bad


async def run_mix(kinds: list[str], batch: bool) -> None:
    settings = ServiceSettings(CONSUMER_GROUP=f"poison-{uuid4().hex[:8]}")
    topic = f"test.poison.{uuid4().hex[:8]}"
    dead_letters = deadletter.DeadLetters("test", attempts=2, backoff_seconds=0.01)
    broker = make_broker(settings, "test", dead_letters)
    handled: list[str] = []
    failing = {record(i).registry_number for i, kind in enumerate(kinds) if kind == FAILS}

    async def handle(found: list[topics.RegistrationMessage]) -> None:
        numbers = [r.record.registry_number for r in found if isinstance(r, StudentRegistered)]
        if failing & set(numbers):
            raise ValueError("this record is never handled")
        handled.extend(numbers)

    if batch:
        @subscriber(broker, settings, topic, group="batch", batch=True, max_records=500, batch_timeout_ms=300)
        async def on_batch(message: KafkaMessage) -> None:
            found = await dead_letters.decode_records(message, topics.registration_adapter.validate_json)
            await dead_letters.handle_batch(found, handle)
    else:
        @subscriber(broker, settings, topic, group="single")
        async def on_one(event: topics.RegistrationMessage) -> None:
            await handle([event])

    good, bad = await publish(settings, topic, kinds)
    async with broker:
        await broker.start()

        def positions(dl: Any) -> Any:
            headers = dict(dl.headers)
            if headers.get(deadletter.SOURCE_TOPIC) != topic.encode():
                return None
            return int(headers["x-test-position"]), headers[deadletter.ERROR].decode()

        parked = await collect(settings.KAFKA_BOOTSTRAP, DEAD_LETTERS, lambda seen: len(seen) >= len(bad), 60,
                               keep=positions)
        for _ in range(100):
            if len(handled) >= len(good):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # anything handled twice or parked twice would show by now
        parked += await collect(settings.KAFKA_BOOTSTRAP, DEAD_LETTERS, lambda _: True, 5, keep=positions)

    assert sorted(handled) == sorted(good)  # each good one once
    by_position: dict[int, list[str]] = {}
    for position, reason in parked:
        by_position.setdefault(position, []).append(reason)
    assert set(by_position) == set(bad)  # every bad one, and only those
    assert all(reasons for reasons in by_position.values())


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "single"])
@hypothesis_settings(max_examples=3, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=KINDS)
@example(kinds=["good", "deep", "bad_header", "good", "tombstone", "huge", "invalid_json", "wrong_schema",
                FAILS, "good"])
def test_every_bad_record_is_dead_lettered_alone_and_every_good_one_handled_once(
        batch: bool, kinds: list[str]) -> None:
    asyncio.run(run_mix(kinds, batch))
