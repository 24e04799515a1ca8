"""The notify subscriber with its real wiring on FastStream's in-memory broker: the service's
broker set-up and dead letters as in production; the store and the delivery jobs are the
in-memory fakes, and the province system an in-process HTTP receiver that consuming never calls
(the jobs' senders do: tests/integration/notify/test_delivery_jobs.py)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import uuid4

import httpx
import pytest
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import SecretStr
from xueji_contracts import cases as ev
from xueji_contracts.enums import ArbitrationStatus, ProblemType, RuleSet
from xueji_contracts.notifications import NotificationFailed
from xueji_contracts.topics import DEAD_LETTERS, NOTIFICATIONS, case_topic
from xueji_contracts.webhooks import EVENT_ID, verify

from services.common.deadletter import DeadLetters
from services.common.kafka import make_broker
from services.notify.adapters.publisher import BrokerPublisher
from services.notify.handlers import register_handlers
from services.notify.main import SERVICE
from services.notify.ports import Parts
from services.notify.settings import NotifySettings

from ...unit.notify.fakes import SECRET, FakeJobs, FakeNotifyStore
from ...unit.workflow.factories import brief, case_members


@dataclass
class Receiver:
    """A province system: accepts correctly signed events unless told to fail."""

    failing: bool = False
    accepted: list[str] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.failing:
            return httpx.Response(503)
        assert verify(SECRET, dict(request.headers), request.content)
        self.accepted.append(request.headers[EVENT_ID])
        return httpx.Response(204)


@dataclass
class Wired:
    broker: KafkaBroker
    store: FakeNotifyStore
    receiver: Receiver
    jobs: FakeJobs
    parked: list[dict[str, str]] = field(default_factory=list)
    failures: list[NotificationFailed] = field(default_factory=list)


@pytest.fixture
async def wired() -> AsyncIterator[Wired]:
    settings = NotifySettings(ENVIRONMENT="test", PROVINCE_CODES=("110000", "440000"),
                              WEBHOOK_URLS={"110000": "http://beijing.test/hook"},
                              WEBHOOK_SECRETS={"110000": SecretStr(SECRET.decode())})
    dead_letters = DeadLetters(SERVICE, attempts=1, backoff_seconds=0.01)
    broker = make_broker(settings, SERVICE, dead_letters)
    receiver, store = Receiver(), FakeNotifyStore()
    http = httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle))
    jobs = FakeJobs()
    parts = Parts(store, jobs, BrokerPublisher(broker), settings.webhooks())
    register_handlers(broker, settings, parts, dead_letters)
    wired = Wired(broker, store, receiver, jobs)

    @broker.subscriber(DEAD_LETTERS, group_id="test-dead-letters")
    async def on_dead_letter(message: KafkaMessage) -> None:
        headers = message.headers.items()
        wired.parked.append({k: v.decode() if isinstance(v, bytes) else v for k, v in headers})

    @broker.subscriber(NOTIFICATIONS, group_id="test-notifications")
    async def on_notification(event: NotificationFailed) -> None:
        wired.failures.append(event)

    async with TestKafkaBroker(broker) as test_broker:
        wired.broker = test_broker
        yield wired
    await http.aclose()


def opened() -> ev.GroupOpened:
    return ev.GroupOpened(producer="workflow", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID,
                          province_codes=("110000", "440000"), rule_set=RuleSet.R2017,
                          members=case_members(brief(1, "110105"), brief(2, "440103")),
                          arbitration_status=ArbitrationStatus.NOT_NEEDED)


async def test_an_event_reaches_both_inboxes_and_queues_its_provinces_webhook_once(wired: Wired) -> None:
    event = opened()
    for topic in (case_topic("110000"), case_topic("440000"), case_topic("110000")):  # and redelivered
        await wired.broker.publish(event, topic, key=str(event.group_id).encode())
    schools = {m.school_code for m in event.members}
    assert {(d["organisation_code"], d["role"]) for d in wired.store.inbox.values()} == {
        (school, "school_registrar") for school in schools}
    assert len(wired.store.inbox) == 2
    [job] = wired.jobs.queued.values()  # 440000 has no webhook configured
    assert (job["endpoint"], job["event_id"]) == ("110000", str(event.event_id))
    assert wired.receiver.accepted == []  # consuming calls no province system
    assert wired.parked == [] and wired.failures == []


async def test_the_subscriber_keeps_its_consumer_group_and_acks_only_once_handled(wired: Wired) -> None:
    [subscriber] = [s for s in wired.broker.subscribers
                    if getattr(s, "group_id", None) == "xueji-notify.cases"]
    assert getattr(subscriber, "ack_policy", None) is AckPolicy.NACK_ON_ERROR
