"""Webhook delivery jobs on the real local MongoDB, sent over real HTTP to province systems served
on loopback: an endpoint down then up gets everything once and in each group's order,
``Retry-After`` is honoured, a slow endpoint delays no other, the circuit opens and closes, and
parked jobs are queued again in order."""

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import BaseModel
from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from xueji_contracts.webhooks import EVENT_ID, verify

from services.common.settings import ServiceSettings
from services.notify.adapters.jobs import JobStore
from services.notify.adapters.webhooks import WebhookSender
from services.notify.domain.delivery import CircuitState, RetryPolicy, Webhook
from services.notify.ports import NewJob
from services.notify.sending import CircuitPolicy, EndpointSender

pytestmark = pytest.mark.integration
SECRET = b"province-secret"
FAST = RetryPolicy(base_seconds=0.05, max_seconds=0.2, horizon=timedelta(minutes=5))
PATIENT = CircuitPolicy(failures=1000)


@dataclass
class Province:
    """A province system: answers what ``answer`` says, records what it accepted and when."""

    answer: Callable[[], Response | None] = lambda: None
    delay: float = 0.0
    accepted: list[tuple[str, bytes]] = field(default_factory=list)
    asked_at: list[float] = field(default_factory=list)

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        self.asked_at.append(time.monotonic())
        assert verify(SECRET, dict(request.headers), body)
        if self.delay:
            await asyncio.sleep(self.delay)
        refused = self.answer()
        if refused is not None:
            return refused
        self.accepted.append((request.headers[EVENT_ID], body))
        return Response(status_code=204)

    @property
    def ids(self) -> list[str]:
        return [event_id for event_id, _ in self.accepted]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(province: Province) -> AsyncIterator[str]:
    port = free_port()
    app = Starlette(routes=[Route("/hook", province.hook, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await until(lambda: server.started, within=10)
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        server.should_exit = True
        await task


class Published:
    def __init__(self) -> None:
        self.events: list[BaseModel] = []

    async def publish(self, event: BaseModel, topic: str, key: str) -> None:
        self.events.append(event)


@pytest.fixture
async def jobs() -> AsyncIterator[JobStore]:
    settings = ServiceSettings()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.MONGO_URI.get_secret_value(), tz_aware=True)
    store = JobStore(client[f"notify_jobs_{uuid.uuid4().hex[:8]}"])
    await store.ensure_indexes()
    yield store
    await client.close()


def sender_for(endpoint: str, url: str, jobs: JobStore, http: httpx.AsyncClient, **options: object
               ) -> EndpointSender:
    return EndpointSender(Webhook(endpoint, url, SECRET), jobs, WebhookSender(http), Published(),
                          holder=f"test-{uuid.uuid4().hex[:6]}", idle_seconds=0.05, timeout=10,
                          **options)  # type: ignore[arg-type]


async def queue(jobs: JobStore, endpoint: str, groups: int, per_group: int) -> list[tuple[str, str, int]]:
    """Events of several groups, interleaved as on a topic's partition: (event id, group, offset)."""
    events, offset, now = [], 0, datetime.now(UTC)
    group_ids = [str(uuid.uuid4()) for _ in range(groups)]
    for n in range(per_group):
        for group in group_ids:
            event_id, offset = str(uuid.uuid4()), offset + 1
            body = f'{{"event_id": "{event_id}", "group_id": "{group}", "n": {n}}}'.encode()
            await jobs.enqueue([NewJob(endpoint, event_id, group, body, 0, offset, n + 1)], now)
            events.append((event_id, group, offset))
    return events


def in_group_order(province: Province, events: list[tuple[str, str, int]]) -> bool:
    position = {event_id: i for i, event_id in enumerate(province.ids)}
    for group in {g for _, g, _ in events}:
        sent = [position[e] for e, g, _ in events if g == group]
        if sent != sorted(sent):
            return False
    return True


@contextlib.asynccontextmanager
async def running(*senders: EndpointSender) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(s.run()) for s in senders]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def until(check: Callable[[], bool], within: float = 30) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.05)


async def test_an_endpoint_down_then_up_gets_everything_once_and_in_each_groups_order(jobs: JobStore) -> None:
    down = True
    province = Province(answer=lambda: Response(status_code=503) if down else None)
    async with serving(province) as url, httpx.AsyncClient() as http:
        events = await queue(jobs, "110000", groups=3, per_group=4)
        async with running(sender_for("110000", url, jobs, http, retry=FAST, circuit=PATIENT)):
            await until(lambda: len(province.asked_at) >= 6)  # it keeps trying while the endpoint is down
            down = False
            await until(lambda: len(province.accepted) == len(events))
            await asyncio.sleep(0.3)  # nothing more comes
        assert sorted(province.ids) == sorted(e for e, _, _ in events)  # every event, once
        assert in_group_order(province, events)
        [row] = await jobs.summary(datetime.now(UTC))
        assert (row["delivered"], row["queued"], row["parked"]) == (12, 0, 0)


async def test_retry_after_is_honoured(jobs: JobStore) -> None:
    answers = [Response(status_code=429, headers={"Retry-After": "1"})]
    province = Province(answer=lambda: answers.pop() if answers else None)
    async with serving(province) as url, httpx.AsyncClient() as http:
        await queue(jobs, "110000", groups=1, per_group=1)
        async with running(sender_for("110000", url, jobs, http, retry=FAST, circuit=PATIENT)):
            await until(lambda: len(province.accepted) == 1)
    first, second = province.asked_at
    assert second - first >= 0.95  # not the 0.05 s back-off: the second the endpoint asked for


async def test_a_slow_endpoint_delays_no_other(jobs: JobStore) -> None:
    slow, quick = Province(delay=3.0), Province()
    async with serving(slow) as slow_url, serving(quick) as quick_url, httpx.AsyncClient() as http:
        await queue(jobs, "440000", groups=2, per_group=2)
        quick_events = await queue(jobs, "110000", groups=2, per_group=5)
        started = time.monotonic()
        async with running(sender_for("440000", slow_url, jobs, http, retry=FAST),
                           sender_for("110000", quick_url, jobs, http, retry=FAST)):
            await until(lambda: len(quick.accepted) == len(quick_events))
            quick_done = time.monotonic() - started
            assert len(slow.accepted) == 0  # the slow one is still on its first event
    assert quick_done < 2.5, quick_done


async def test_the_circuit_opens_after_repeated_failures_pauses_and_closes_on_a_good_probe(
    jobs: JobStore,
) -> None:
    down = True
    province = Province(answer=lambda: Response(status_code=503) if down else None)
    circuit = CircuitPolicy(failures=3, pause=timedelta(seconds=1), max_pause=timedelta(seconds=1))
    async with serving(province) as url, httpx.AsyncClient() as http:
        await queue(jobs, "110000", groups=2, per_group=2)
        async with running(sender_for("110000", url, jobs, http, retry=FAST, circuit=circuit)):
            await until(lambda: len(province.asked_at) >= 3)
            await asyncio.sleep(0.3)
            assert (await jobs.circuit("110000")).state(datetime.now(UTC)) is CircuitState.OPEN
            paused_at = len(province.asked_at)
            await asyncio.sleep(0.5)
            assert len(province.asked_at) == paused_at  # open: nothing goes
            down = False
            await until(lambda: len(province.accepted) == 4)
        assert (await jobs.circuit("110000")).state(datetime.now(UTC)) is CircuitState.CLOSED


async def test_parked_jobs_say_so_and_are_queued_again_in_order(jobs: JobStore) -> None:
    down = True
    province = Province(answer=lambda: Response(status_code=503) if down else None)
    brief = RetryPolicy(base_seconds=0.05, max_seconds=0.1, horizon=timedelta(seconds=0.5))
    async with serving(province) as url, httpx.AsyncClient() as http:
        events = await queue(jobs, "110000", groups=2, per_group=3)
        sender = sender_for("110000", url, jobs, http, retry=brief, circuit=PATIENT)
        async with running(sender):
            await until(lambda: len(sender.publisher.events) == len(events))  # type: ignore[attr-defined]
        [row] = await jobs.summary(datetime.now(UTC))
        assert row["parked"] == len(events) and province.accepted == []
        down = False
        assert await jobs.requeue_parked("110000", datetime.now(UTC)) == len(events)
        async with running(sender_for("110000", url, jobs, http, retry=FAST, circuit=PATIENT)):
            await until(lambda: len(province.accepted) == len(events))
    assert sorted(province.ids) == sorted(e for e, _, _ in events) and in_group_order(province, events)


async def test_jobs_taken_together_go_one_per_group_and_those_left_when_the_circuit_opens_wait_untouched(
    jobs: JobStore,
) -> None:
    province = Province(answer=lambda: Response(status_code=503))
    circuit = CircuitPolicy(failures=2, pause=timedelta(minutes=5), max_pause=timedelta(minutes=5))
    async with serving(province) as url, httpx.AsyncClient() as http:
        events = await queue(jobs, "110000", groups=6, per_group=2)
        taken = await jobs.next_jobs("110000", datetime.now(UTC), timedelta(seconds=40), limit=5)
        assert [j.event_id for j in taken] == [e for e, _, _ in events[:5]]  # each group's first, in order
        for job in taken:
            await jobs.put_back(job, datetime.now(UTC))
        async with running(sender_for("110000", url, jobs, http, retry=FAST, circuit=circuit, batch=5)):
            await until(lambda: len(province.asked_at) >= 2)
            await asyncio.sleep(0.5)
        assert len(province.asked_at) == 2  # the circuit opened: the other three of the batch did not go
    states = [d async for d in jobs.jobs.find({"attempts": 0}, {"state": 1})]
    assert len(states) == 10 and {d["state"] for d in states} == {"queued"}


async def test_a_head_tried_again_after_its_groups_later_jobs_were_queued_is_still_found(
    jobs: JobStore,
) -> None:
    events = await queue(jobs, "630000", groups=1, per_group=30)  # more than a pick looks at
    [head] = await jobs.next_jobs("630000", datetime.now(UTC), timedelta(seconds=40), limit=5)
    assert head.event_id == events[0][0]
    await jobs.retry(head, 1, datetime.now(UTC) + timedelta(seconds=0.2), "503")  # due after the others
    assert await jobs.next_jobs("630000", datetime.now(UTC), timedelta(seconds=40), limit=5) == []
    await asyncio.sleep(0.3)
    [again] = await jobs.next_jobs("630000", datetime.now(UTC), timedelta(seconds=40), limit=5)
    assert again.event_id == head.event_id  # not hidden behind the 29 later jobs queued before it was due


async def test_a_sender_that_takes_the_endpoint_sends_at_once_what_its_predecessor_left_in_flight(
    jobs: JobStore,
) -> None:
    province = Province()
    async with serving(province) as url, httpx.AsyncClient() as http:
        events = await queue(jobs, "110000", groups=3, per_group=2)
        left = await jobs.next_jobs("110000", datetime.now(UTC), timedelta(minutes=10), limit=5)
        assert len(left) == 3  # taken by a sender killed before it sent them, leased for 10 minutes
        async with running(sender_for("110000", url, jobs, http, retry=FAST, circuit=PATIENT)):
            await until(lambda: len(province.accepted) == 6, within=10)
    assert sorted(province.ids) == sorted(e for e, _, _ in events) and in_group_order(province, events)
