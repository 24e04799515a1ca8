"""The workflow's subscribers with their real wiring on FastStream's in-memory broker.

The service's own broker set-up and ``register_handlers`` run as in production; the case
store is the in-memory fake and the outbox publisher records what it was handed.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import uuid4

import pytest
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from xueji_contracts import topics
from xueji_contracts.enums import ProblemType
from xueji_contracts.evidence import EvidenceStored
from xueji_contracts.problems import MembershipChanged, ProblemDetected
from xueji_contracts.topics import case_topic

from services.common.deadletter import DeadLetters
from services.common.kafka import make_broker
from services.workflow.handlers import register_handlers
from services.workflow.main import SERVICE
from services.workflow.settings import WorkflowSettings

from ...unit.workflow.factories import EVIDENCE, REF, brief
from ...unit.workflow.fakes import FakeCaseStore, RecordingPublisher, fake_cases


@dataclass
class Wired:
    broker: KafkaBroker
    store: FakeCaseStore
    published: RecordingPublisher


@pytest.fixture
async def wired() -> AsyncIterator[Wired]:
    settings = WorkflowSettings(ENVIRONMENT="test")
    dead_letters = DeadLetters(SERVICE, attempts=1, backoff_seconds=0.01)
    broker = make_broker(settings, SERVICE, dead_letters)
    cases, store, published = fake_cases()
    register_handlers(broker, settings, cases, dead_letters)
    async with TestKafkaBroker(broker) as test_broker:
        yield Wired(test_broker, store, published)


def detected() -> ProblemDetected:
    members = (brief(1, "110105"), brief(2, "440103"))
    return ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID,
                           members=members)


async def test_a_problem_event_opens_one_case_announced_to_each_province(wired: Wired) -> None:
    event = detected()
    for _ in range(2):  # a redelivered event opens nothing twice
        await wired.broker.publish(event, topics.PROBLEMS, key=str(event.group_id).encode())
    case = await wired.store.stored(event.group_id)
    assert set(case.members) == {m.registry_number for m in event.members}
    assert wired.published.event_types() == ["case.group_opened", "case.group_opened"]
    assert wired.published.topics() == {case_topic("110000"), case_topic("440000")}


async def test_a_membership_change_brings_the_case_up_to_date(wired: Wired) -> None:
    event = detected()
    await wired.broker.publish(event, topics.PROBLEMS)
    joining = brief(3, "120101")
    changed = MembershipChanged(producer="dedup", group_id=event.group_id, problem_type=event.problem_type,
                                members=(*event.members, joining), sequence=1)
    await wired.broker.publish(changed, topics.PROBLEMS)
    assert joining.registry_number in (await wired.store.stored(event.group_id)).members
    assert "case.members_changed" in wired.published.event_types()


async def test_stored_evidence_becomes_citable_for_its_member(wired: Wired) -> None:
    event = detected()
    member = event.members[0]
    stored = EvidenceStored(producer="evidence", evidence_id=EVIDENCE[0], group_id=event.group_id,
                            registry_number=member.registry_number, province_code=member.province_code,
                            uploaded_by=member.school_code, file_type="jpg", size_bytes=1000, sha256="0" * 64)
    await wired.broker.publish(stored, topics.EVIDENCE)
    assert await wired.store.evidence_of(event.group_id, REF(member.registry_number)) == frozenset(EVIDENCE)


async def test_each_subscriber_keeps_its_consumer_group_and_acks_only_once_handled(wired: Wired) -> None:
    subscribers = wired.broker.subscribers
    assert {getattr(s, "group_id", None) for s in subscribers} == {"xueji-workflow.problems",
                                                                   "xueji-workflow.evidence"}
    assert {getattr(s, "ack_policy", None) for s in subscribers} == {AckPolicy.NACK_ON_ERROR}
