"""Sending the delivery jobs: one sender per endpoint, which never blocks consumption or another
endpoint (DOMAIN §8 subscriptions; README "Webhook delivery").

Each configured endpoint has its own loop. It holds the endpoint (one replica sends to it at a
time), respects the endpoint's circuit, and sends that endpoint's jobs one at a time, earliest
first within each group. It takes a few at once, each the earliest waiting job of its group, so
that finding them costs the database a few calls however many they are. A failed attempt is
tried again with back-off and jitter until the horizon (``Retry-After`` honoured); after the last,
the job is parked and ``notification.failed`` tells operators. ``xueji dlq replay --deliveries``
queues parked jobs again.
"""

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from prometheus_client import Counter, Gauge
from xueji_contracts.topics import NOTIFICATIONS

from services.common.clock import Clock, utc_now

from .adapters.jobs import Job
from .domain.delivery import Attempt, Circuit, CircuitState, Outcome, RetryPolicy, Webhook, failure_notice
from .ports import Publisher

log = logging.getLogger(__name__)
SENT = Counter("xueji_notify_delivery_attempts_total", "Webhook delivery attempts", ["endpoint", "result"])
JOBS = Gauge("xueji_notify_delivery_jobs", "Delivery jobs by endpoint and state", ["endpoint", "state"])
OLDEST = Gauge("xueji_notify_delivery_oldest_waiting_seconds", "Age of the oldest job still waiting",
               ["endpoint"])
CIRCUIT = Gauge("xueji_notify_delivery_circuit_open", "1 while the endpoint's circuit is open (paused)",
                ["endpoint"])


class Jobs(Protocol):
    async def hold(self, endpoint: str, holder: str, now: datetime, lease: timedelta) -> bool: ...
    async def release(self, endpoint: str, holder: str) -> None: ...
    async def circuit(self, endpoint: str) -> Circuit: ...
    async def set_circuit(self, endpoint: str, circuit: Circuit) -> None: ...
    async def next_jobs(self, endpoint: str, now: datetime, lease: timedelta, limit: int,
                        each: timedelta = ...) -> list[Job]: ...
    async def put_back(self, job: Job, at: datetime) -> None: ...
    async def reclaim(self, endpoint: str, now: datetime, every: bool = ...) -> None: ...
    async def delivered(self, job: Job, attempts: int, now: datetime) -> None: ...
    async def retry(self, job: Job, attempts: int, at: datetime, reason: str) -> None: ...
    async def park(self, job: Job, attempts: int, reason: str, now: datetime) -> None: ...


class Sender(Protocol):
    async def send(self, url: str, secret: bytes, event_id: str, body: bytes) -> Attempt: ...


@dataclass(frozen=True)
class CircuitPolicy:
    failures: int = 5  # consecutive failed attempts that open an endpoint's circuit
    pause: timedelta = timedelta(seconds=30)  # the first pause; doubled each time it re-opens
    max_pause: timedelta = timedelta(minutes=10)


@dataclass
class EndpointSender:
    """The loop of one endpoint."""

    webhook: Webhook
    jobs: Jobs
    sender: Sender
    publisher: Publisher
    holder: str
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    circuit: CircuitPolicy = field(default_factory=CircuitPolicy)
    timeout: float = 10.0
    batch: int = 5  # jobs taken per pick (each of its own group): the database calls of one pick shared
    idle_seconds: float = 1.0  # how often an idle endpoint looks for jobs queued by other replicas
    clock: Clock = utc_now
    rng: random.Random = field(default_factory=random.Random)
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # set when this replica queues a job
    # while this replica holds the endpoint it is its only sender: the lease is renewed at half its
    # time, and the circuit is kept here (written on every change); an idle step is one query
    held_until: datetime | None = None
    known_circuit: Circuit | None = None

    @property
    def endpoint(self) -> str:
        return self.webhook.province_code

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout + 30)

    async def step(self) -> float:
        """Send up to ``batch`` jobs; how long to wait before the next step (0: go on at once)."""
        now = self.clock()
        if not await self.holding(now):
            return self.idle_seconds  # another replica sends to this endpoint
        circuit = self.known_circuit or Circuit()
        if circuit.state(now) is CircuitState.OPEN and circuit.open_until is not None:
            # paused: its jobs wait; the first one after the pause is the probe
            return min(self.idle_seconds * 5, max(0.0, (circuit.open_until - now).total_seconds()))
        jobs = await self.jobs.next_jobs(self.endpoint, now, self.lease, self.batch,
                                         timedelta(seconds=self.timeout))
        if not jobs:
            return self.idle_seconds
        for sent, job in enumerate(jobs):
            if sent:  # the jobs of distinct groups, one after another, while the endpoint is ours and up
                now, circuit = self.clock(), self.known_circuit or Circuit()
                if circuit.state(now) is CircuitState.OPEN or not await self.holding(now):
                    for left in jobs[sent:]:
                        await self.jobs.put_back(left, now)
                    break
            attempt = await self.sender.send(self.webhook.url, self.webhook.secret, job.event_id, job.body)
            await self.settle(job, attempt, circuit)
        return 0.0

    async def holding(self, now: datetime) -> bool:
        """Whether this replica holds the endpoint (taken, or renewed at half its lease)."""
        if self.held_until is not None and now < self.held_until - self.lease / 2:
            return True
        taken = self.held_until is None or now >= self.held_until
        if not await self.jobs.hold(self.endpoint, self.holder, now, self.lease):
            self.held_until = self.known_circuit = None
            return False
        if taken or self.known_circuit is None:  # newly taken: what others left is ours now
            self.known_circuit = await self.jobs.circuit(self.endpoint)
        # newly taken, every job in flight is one whose sender holds the endpoint no longer (a
        # restarted process, or a replica whose hold ran out): due again at once; a sender that only
        # stalled may still send its job, and the receiver drops the repeat by its event id
        await self.jobs.reclaim(self.endpoint, now, every=taken)
        self.held_until = now + self.lease
        return True

    async def set_circuit(self, circuit: Circuit) -> None:
        self.known_circuit = circuit
        await self.jobs.set_circuit(self.endpoint, circuit)

    async def settle(self, job: Job, attempt: Attempt, circuit: Circuit) -> None:
        now, attempts = self.clock(), job.attempts + 1
        if attempt.delivered:
            SENT.labels(self.endpoint, "delivered").inc()
            await self.jobs.delivered(job, attempts, now)
            if circuit != Circuit():
                await self.set_circuit(circuit.succeeded())
            return
        SENT.labels(self.endpoint, "failed").inc()
        opened = circuit.failed(now, self.circuit.failures, self.circuit.pause, self.circuit.max_pause)
        await self.set_circuit(opened)
        if opened.open_until is not None and circuit.open_until != opened.open_until:
            log.warning("endpoint paused",
                        extra={"endpoint": self.endpoint, "until": opened.open_until.isoformat()})
        again = None if attempt.final else self.retry.next_attempt(
            attempts, job.queued_at, now, self.rng.random(), attempt.retry_after)
        if again is not None:
            await self.jobs.retry(job, attempts, again, attempt.reason)
            return
        await self.jobs.park(job, attempts, attempt.reason, now)
        SENT.labels(self.endpoint, "parked").inc()
        log.warning("delivery parked", extra={"endpoint": self.endpoint, "event_id": job.event_id,
                                              "reason": attempt.reason})
        notice = failure_notice(UUID(job.event_id), self.webhook, Outcome(False, attempts, attempt.reason))
        await self.publisher.publish(notice, NOTIFICATIONS, key=self.endpoint)

    async def run(self) -> None:
        """Until cancelled; a failing step is logged and the loop goes on."""
        try:
            while True:
                try:
                    wait = await self.step()
                except Exception:
                    log.exception("delivery step failed", extra={"endpoint": self.endpoint})
                    wait = self.idle_seconds
                if wait > 0:
                    self.wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), wait)
        finally:
            self.held_until = self.known_circuit = None
            await self.jobs.release(self.endpoint, self.holder)


async def refresh_gauges(jobs: "Summaries", now: datetime) -> None:
    """The per-endpoint gauges from the job store (every replica reports the same totals)."""
    for row in await jobs.summary(now):
        for state in ("queued", "in_flight", "delivered", "parked"):
            JOBS.labels(row["endpoint"], state).set(row[state])
        OLDEST.labels(row["endpoint"]).set(row["oldest_waiting_seconds"])
        CIRCUIT.labels(row["endpoint"]).set(1 if row["circuit"] == CircuitState.OPEN.value else 0)


class Summaries(Protocol):
    async def summary(self, now: datetime) -> list[dict[str, Any]]: ...
