"""The dedup subscribers with their real wiring on FastStream's in-memory broker.

The service's own broker set-up, dead letters and ``register_handlers`` run as in production;
the identity store is the in-memory fake and the publisher records what it was handed.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import UUID, uuid4

import pytest
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from xueji_contracts import topics
from xueji_contracts.commands import DeleteRecord
from xueji_contracts.enums import PopulationOutcome, ProblemType, RecordStatus
from xueji_contracts.population import PopulationVerificationResult
from xueji_contracts.students import StudentRegistered

from services.common.deadletter import SOURCE_TOPIC, DeadLetters
from services.common.kafka import make_broker
from services.dedup.handlers import register_handlers
from services.dedup.main import SERVICE
from services.dedup.settings import DedupSettings

from ...unit.dedup.factories import id_number, record
from ...unit.dedup.fakes import FakeIdentityStore, RecordingPublisher, fake_dedup


@dataclass
class Wired:
    broker: KafkaBroker
    store: FakeIdentityStore
    published: RecordingPublisher
    parked: list[str] = field(default_factory=list)  # source topics of dead letters


def wire(settings: DedupSettings) -> tuple[KafkaBroker, FakeIdentityStore, RecordingPublisher]:
    dead_letters = DeadLetters(SERVICE, attempts=1, backoff_seconds=0.01)
    broker = make_broker(settings, SERVICE, dead_letters)
    dedup, store, published = fake_dedup()
    register_handlers(broker, settings, dedup, dead_letters)
    return broker, store, published


@pytest.fixture
async def wired() -> AsyncIterator[Wired]:
    # one registration consumer: the in-memory broker hands every subscriber each message
    broker, store, published = wire(DedupSettings(ENVIRONMENT="test", REGISTRATION_CONSUMERS=1))
    wired = Wired(broker, store, published)

    @broker.subscriber(topics.DEAD_LETTERS, group_id="test-dead-letters")
    async def on_dead_letter(message: KafkaMessage) -> None:
        wired.parked.append(dict(message.headers)[SOURCE_TOPIC])

    async with TestKafkaBroker(broker) as test_broker:
        wired.broker = test_broker
        yield wired


async def register(wired: Wired, *serials_and_numbers: tuple[int, str]) -> list[str]:
    registry_numbers = []
    for serial, number in serials_and_numbers:
        rec = record(serial, number=number, district="110105" if serial % 2 else "440103")
        event = StudentRegistered(producer="school", record=rec)
        await wired.broker.publish(event, topics.REGISTRATIONS, key=rec.registry_number.encode())
        registry_numbers.append(rec.registry_number)
    return registry_numbers


async def test_registrations_of_one_number_open_a_duplicate_group(wired: Wired) -> None:
    number = id_number()
    a, b = await register(wired, (1, number), (2, number))
    assert list(wired.store.members("id:").values()) == [{a, b}]
    assert wired.published.event_types() == ["problem.detected"]


async def test_a_registration_that_is_no_contract_is_parked(wired: Wired) -> None:
    await wired.broker.publish(b'{"event_type": "student.registered"}', topics.REGISTRATIONS)
    assert wired.parked == [topics.REGISTRATIONS]
    assert wired.store.records == {}


async def test_a_deletion_command_reaches_the_record(wired: Wired) -> None:
    number = id_number()
    a, _ = await register(wired, (1, number), (2, number))
    command = DeleteRecord(producer="workflow", group_id=uuid4(), registry_number=a)
    await wired.broker.publish(command, topics.DEDUP_COMMANDS, key=a.encode())
    assert wired.store.record(a).status is RecordStatus.DELETED
    assert wired.published.event_types() == ["problem.detected", "problem.cleared"]


async def test_a_population_answer_raises_the_id_problem(wired: Wired) -> None:
    [rn] = await register(wired, (1, id_number()))
    [request] = wired.published.questions()
    result = PopulationVerificationResult(producer="population", request_id=UUID(request["request_id"]),
                                          registry_number=rn, outcome=PopulationOutcome.NAME_MISMATCH)
    await wired.broker.publish(result, topics.POPULATION_RESULTS, key=rn.encode())
    [detected] = wired.published.payloads(topics.PROBLEMS)
    assert detected["problem_type"] == ProblemType.ID_NAME_MISMATCH.value


async def test_every_subscriber_keeps_its_group_and_instance_and_acks_only_once_handled() -> None:
    broker, _, _ = wire(DedupSettings(ENVIRONMENT="test", INSTANCE_ID="dedup-0"))
    found = {(getattr(s, "group_id", None), getattr(s, "_connection_args", {})["group_instance_id"]): s
             for s in broker.subscribers}
    assert set(found) == {
        *(("xueji-dedup.registrations", f"dedup-0.registrations-{n}") for n in range(3)),
        ("xueji-dedup.commands", "dedup-0.commands"),
        ("xueji-dedup.population", "dedup-0.population"),
    }
    assert all(getattr(s, "ack_policy", None) is AckPolicy.NACK_ON_ERROR for s in found.values())
    heartbeats = {group: getattr(s, "_connection_args", {})["heartbeat_interval_ms"]
                  for (group, _), s in found.items()}
    assert heartbeats["xueji-dedup.registrations"] == 1000
