"""A poison message goes to the dead-letter topic and the consumer goes on.

The same test body runs against the in-memory TestKafkaBroker and the real local broker.
"""

import asyncio
import json
from datetime import date

import pytest
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from xueji_contracts.enums import Gender, IdType
from xueji_contracts.students import StudentRecord, StudentRegistered
from xueji_contracts.topics import DEAD_LETTERS

from services.common import deadletter
from services.common.deadletter import DeadLetters, PoisonMessage
from services.common.settings import ServiceSettings

from ..consumer_groups import start_at_end

RECORD = StudentRecord(registry_number="L110105201203040001", name="王五", gender=Gender.FEMALE,
                       birth_date=date(2012, 3, 4), id_type=IdType.PASSPORT, id_number="E1234567",
                       school_code="1101050001", district_code="110105")


def make_broker(with_real: bool) -> tuple[KafkaBroker, DeadLetters]:
    dead_letters = DeadLetters("test", attempts=2, backoff_seconds=0.01)
    bootstrap = ServiceSettings().KAFKA_BOOTSTRAP if with_real else "localhost:9092"
    broker = KafkaBroker(bootstrap, middlewares=[dead_letters.middleware])
    dead_letters.bind(broker)
    return broker, dead_letters


@pytest.mark.parametrize("with_real", [False, pytest.param(True, marks=pytest.mark.integration)])
async def test_poison_messages_are_parked_and_the_consumer_goes_on(with_real: bool, unique: str) -> None:
    topic = f"test.dlq.{unique}"
    broker, _ = make_broker(with_real)
    handled: list[str] = []
    parked: list[tuple[bytes, dict[str, str]]] = []
    done = asyncio.Event()

    @broker.subscriber(topic, group_id=f"g-{unique}", auto_offset_reset="earliest",
                       ack_policy=AckPolicy.NACK_ON_ERROR)
    async def on_registered(event: StudentRegistered) -> None:
        if event.producer == "bug":
            raise RuntimeError("handler bug")
        if event.producer == "refused":
            raise PoisonMessage("refused by the domain")
        handled.append(event.record.registry_number)
        done.set()

    # earlier runs' dead letters, some with headers that are not UTF-8, are skipped (see below)
    @broker.subscriber(DEAD_LETTERS, group_id=f"d-{unique}", auto_offset_reset="earliest",
                       parser=deadletter.tolerant_parser)
    async def on_dead_letter(message: KafkaMessage) -> None:
        headers = dict(message.headers)
        if headers.get(deadletter.SOURCE_TOPIC) == topic:
            parked.append((message.body, headers))

    if with_real:  # the shared topic holds every earlier run's dead letters: read from its end
        await start_at_end({f"d-{unique}": (DEAD_LETTERS,)})
    async with TestKafkaBroker(broker, with_real=with_real) as br:
        await br.publish(b"{not json", topic, key=b"k")
        await br.publish({"event_type": "student.registered", "producer": "x"}, topic, key=b"k")
        await br.publish(json.loads(StudentRegistered(producer="bug", record=RECORD).model_dump_json()),
                         topic, key=b"k")
        await br.publish(json.loads(StudentRegistered(producer="refused", record=RECORD).model_dump_json()),
                         topic, key=b"k")
        await br.publish(json.loads(StudentRegistered(producer="ok", record=RECORD).model_dump_json()),
                         topic, key=b"k")
        await asyncio.wait_for(done.wait(), timeout=30)
        for _ in range(300):
            if len(parked) >= 4:
                break
            await asyncio.sleep(0.1)

    assert handled == ["L110105201203040001"]
    assert len(parked) == 4
    assert parked[0][0] == b"{not json"
    errors = [h[deadletter.ERROR] for _, h in parked]
    assert errors[0].startswith("JSONDecodeError") or errors[0].startswith("ValidationError")
    assert errors[1].startswith("ValidationError")
    assert errors[2] == "RuntimeError: handler bug"
    assert errors[3] == "PoisonMessage: refused by the domain"
    assert all(h[deadletter.SERVICE] == "test" for _, h in parked)
    assert "王五" not in " ".join(errors)
