"""Notify benchmark: one province down and one slow do not hold up the others (issue 21).

    ./dev bench notify [--endpoints 32] [--events 2000] [--groups 200] [--rate 8] [--idle-seconds 1]

1. ``--endpoints`` province systems (real province codes, each with its own secret) are served
   by one process of their own: one HTTP server listening on one port per province, so each
   province has its own URL. Each checks the signature of every delivery and records what it
   accepted: event id, group, ``sequence``, when it arrived. A control port sets each one's
   behaviour: healthy (``204``), down (``503``) or slow (answers after 5 s).
2. The raw figure, measured in the same run before notify starts: signed POSTs of a case
   event's body from this process straight to one endpoint, one at a time (p50/p99).
3. ``xueji-notify`` runs as a process with the endpoints as its webhooks, serving their
   provinces' case topics, with ``XUEJI_DELIVERY_IDLE_SECONDS`` ``--idle-seconds`` (1 s, the
   deployed default) and a circuit pause of 2 s (at most 8 s) so that the down endpoint's
   recovery happens within the run. Attempts time out after 10 s (the default), so the slow
   endpoint's answers count.
4. Case events (``case.deadline_reminder``, one inbox entry each) are produced straight to the
   province case topics, keyed by group as the workflow's outbox writes them, each with its
   group's ``sequence`` (1, 2, 3 …) and ``occurred_at`` the time it was sent, at ``--rate``
   events/s. ``--groups`` groups, each of one province, take turns.
   - warm-up: one event per province, until every endpoint has it (not counted);
   - phase 1: the first half of the events, all endpoints healthy, until all have arrived;
   - phase 2: the second half, one endpoint down and one slow, until the healthy endpoints
     have theirs; then both recover and the run waits until they have caught up.
5. For the healthy endpoints: delivery latency (arrival − ``occurred_at``) p50/p99 per phase,
   split at the moment notify queued the event's job (from its job store: consumed, then
   waiting and sent), and events/s sent to them and delivered; target: phase 2's p99 within
   20 % of phase 1's. For the endpoint that was down and for the slow one: every event, none
   twice (by event id), and each group's first arrivals in ``sequence`` order; target: all
   three. Also CPU seconds of notify, the database, the broker, the endpoints and this process.

The comparison of the phases means something only while notify keeps up with ``--rate``: above
what it consumes, events queue on the topics, latency grows with the length of the run and the
output says OVERLOADED. On 2 cores with the local stack it delivered 7–14 events/s at an idle
poll of 0.1 s, about twice that at 1 s (RESULTS.md), hence the default of 8/s. The idle poll only
finds jobs another replica queued (a replica wakes its own sender at once); at 0.1 s its queries
took most of the database's core and blurred the comparison, so the default is the deployed 1 s.

Figures: bench/RESULTS.md, section "Notify".
"""

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaProducer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from xueji_contracts.cases import DeadlineReminder
from xueji_contracts.enums import DeadlineStage, ProblemType
from xueji_contracts.provinces import PROVINCES
from xueji_contracts.topics import case_topic
from xueji_contracts.webhooks import EVENT_ID, sign, verify

from services.cli.topics import create_topics
from services.common.mongo import make_mongo_client
from services.common.settings import ServiceSettings

from .common import ServiceProcess, cpu_seconds, machine, metric, percentile

PORT = 8104
HEALTHY, DOWN, SLOW = "healthy", "down", "slow"
SLOW_SECONDS = 5.0
IDLE_SECONDS = 1.0  # the deployed default (services/notify/settings.py)
TIMEOUT_SECONDS = 10.0  # one attempt at most (the default)
CIRCUIT_PAUSE_SECONDS, CIRCUIT_MAX_PAUSE_SECONDS = 2.0, 8.0
RAW_POSTS = 300
TARGET_P99_GROWTH = 0.20
OVERLOADED = 0.8  # delivered / sent below this: notify does not keep up, latencies grow with the run
LEAVES_OUT = (
    "one notify replica (no two replicas contending for an endpoint's lease);",
    "endpoints on loopback, plain HTTP: no network latency, no TLS, no DNS;",
    f"an outage of seconds, not hours: the circuit pause is {CIRCUIT_PAUSE_SECONDS:.0f}–"
    f"{CIRCUIT_MAX_PAUSE_SECONDS:.0f} s (deployed 30–600 s), nothing reaches the 24 h horizon, "
    "nothing is parked or replayed;",
    f"the slow endpoint answers within the {TIMEOUT_SECONDS:.0f} s attempt timeout, so no attempt times out;",
    "notify is not killed or restarted (the resilience test covers that);",
    "one event type (a deadline reminder: one inbox entry each), no members learnt, no digest;",
    "the raw figure is HTTP alone, not the broker or the database a delivery also goes through;",
    "the local stack's stand-ins (noida-db for Kafka, SecantusDB for MongoDB), on the same cores as "
    "notify, the endpoints and this load generator.",
)


def secret_of(province: str) -> bytes:
    return f"bench-secret-{province}".encode()


# --- the province systems (a process of their own) ---------------------------------------------


@dataclass
class Endpoints:
    """Province systems, one port each: check, answer as told, record what was accepted."""

    ports: dict[int, str]  # listening port → province
    modes: dict[str, str] = field(default_factory=dict)
    accepted: dict[str, list[tuple[str, str | None, int | None, float]]] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    unsigned: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for province in self.ports.values():
            self.modes[province] = HEALTHY
            self.accepted[province] = []

    async def dispatch(self, request: Request) -> Response:
        server = request.scope.get("server") or ("", 0)
        province = self.ports.get(int(server[1]))
        if province is None:
            return await self.control(request)
        return await self.hook(province, request)

    async def hook(self, province: str, request: Request) -> Response:
        body = await request.body()
        arrived = time.time()
        if request.method != "POST" or not verify(secret_of(province), request.headers, body):
            self.unsigned[province] += 1
            return Response(status_code=401)
        mode = self.modes[province]
        if mode == DOWN:
            self.refused[province] += 1
            return Response(status_code=503)
        if mode == SLOW:
            await asyncio.sleep(SLOW_SECONDS)
        event = json.loads(body)
        self.accepted[province].append(
            (request.headers[EVENT_ID], event.get("group_id"), event.get("sequence"), arrived))
        return Response(status_code=204)

    async def control(self, request: Request) -> Response:
        path = request.url.path
        if path == "/modes" and request.method == "POST":
            self.modes.update(await request.json())
            return JSONResponse(self.modes)
        if path == "/reset" and request.method == "POST":
            for province in self.accepted:
                self.accepted[province] = []
            self.refused.clear()
            self.unsigned.clear()
            return Response(status_code=204)
        if path == "/counts":  # distinct event ids accepted, per province
            return JSONResponse({p: len({a[0] for a in got}) for p, got in self.accepted.items()})
        if path == "/records":
            return JSONResponse({"accepted": self.accepted, "refused": self.refused,
                                 "unsigned": self.unsigned})
        return Response(status_code=404)


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def serve_endpoints(provinces: list[str]) -> None:
    """Run the province systems; the first line on stdout says their ports and the control port."""
    sockets = {province: listening_socket() for province in provinces}
    control = listening_socket()
    ports = {int(s.getsockname()[1]): p for p, s in sockets.items()}
    endpoints = Endpoints(ports)
    methods = ["GET", "POST"]
    app = Starlette(routes=[Route("/{path:path}", endpoints.dispatch, methods=methods)])
    started = {"control": control.getsockname()[1], "endpoints": {p: port for port, p in ports.items()}}
    print(json.dumps(started), flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, backlog=1024)
    uvicorn.Server(config).run(sockets=[*sockets.values(), control])


@contextlib.contextmanager
def endpoints_process(provinces: list[str], log: Path) -> Iterator[tuple[str, dict[str, str], int]]:
    """The province systems' process: yields (control URL, {province: webhook URL}, its pid)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as errors:
        process = subprocess.Popen(  # noqa: S603 - this module, in another process
            [sys.executable, "-m", "bench.notify", "--serve-endpoints", ",".join(provinces)],
            stdout=subprocess.PIPE, stderr=errors)
    try:
        assert process.stdout is not None
        started = json.loads(process.stdout.readline())
        urls = {p: f"http://127.0.0.1:{port}/hook" for p, port in started["endpoints"].items()}
        yield f"http://127.0.0.1:{started['control']}", urls, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=SLOW_SECONDS + 5)
        except subprocess.TimeoutExpired:
            process.kill()


# --- the load -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    event_id: str
    province: str
    group_id: str
    sequence: int
    at: float  # occurred_at, Unix seconds
    phase: int  # 0 warm-up, 1, 2


@dataclass(frozen=True)
class Planned:
    province: str
    group_id: str
    sequence: int
    phase: int


def plan(provinces: list[str], events: int, groups: int) -> list[Planned]:
    """Warm-up (one event per province), then the groups taking turns; each group of one province."""
    warm = [Planned(p, str(uuid.uuid4()), 1, 0) for p in provinces]
    group_ids = [(provinces[g % len(provinces)], str(uuid.uuid4())) for g in range(groups)]
    load = []
    for i in range(events):
        province, group_id = group_ids[i % groups]
        load.append(Planned(province, group_id, i // groups + 1, 1 if i < events // 2 else 2))
    return warm + load


def event_body(item: Planned) -> tuple[str, float, bytes]:
    """The event's id, its ``occurred_at`` (now, Unix seconds) and its body."""
    event = DeadlineReminder(
        producer="xueji-workflow", group_id=uuid.UUID(item.group_id), problem_type=ProblemType.DUPLICATE_ID,
        province_codes=(item.province,), sequence=item.sequence, stage=DeadlineStage.SCHOOL_HANDLING,
        due_at=datetime.now(UTC) + timedelta(days=3), party_code=f"{item.province[:2]}01050001")
    return str(event.event_id), event.occurred_at.timestamp(), event.model_dump_json().encode()


async def produce(producer: Any, items: list[Planned], rate: float, sent: dict[str, Sent]) -> None:
    """Each event on schedule (open loop), to its province's topic, keyed by its group."""
    started, acks = time.monotonic(), []
    for i, item in enumerate(items):
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        event_id, at, body = event_body(item)
        sent[event_id] = Sent(event_id, item.province, item.group_id, item.sequence, at, item.phase)
        acks.append(await producer.send(case_topic(item.province), body, key=item.group_id.encode(),
                                        headers=[("content-type", b"application/json")]))
    await asyncio.gather(*acks)


async def until_arrived(control: httpx.AsyncClient, sent: dict[str, Sent], provinces: Iterable[str],
                        within: float) -> bool:
    """Until each province has accepted every event sent to it so far (False when not in time)."""
    expected = Counter(s.province for s in sent.values())
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        counts = (await control.get("/counts")).json()
        if all(counts[p] >= expected[p] for p in provinces):
            return True
        await asyncio.sleep(0.25)
    return False


async def set_modes(control: httpx.AsyncClient, modes: dict[str, str]) -> None:
    (await control.post("/modes", json=modes)).raise_for_status()


async def raw_posts(url: str, province: str, count: int) -> list[float]:
    """Signed POSTs of a case event's body straight to one endpoint, one at a time (ms)."""
    latencies = []
    async with httpx.AsyncClient() as http:
        for _ in range(count):
            event_id, _, body = event_body(Planned(province, str(uuid.uuid4()), 1, 0))
            started = time.perf_counter()
            response = await http.post(url, content=body, headers=sign(secret_of(province), event_id, body))
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return latencies


# --- the run --------------------------------------------------------------------------------


@dataclass
class Run:
    provinces: list[str]
    down: str
    slow: str
    rate: float
    sent: dict[str, Sent] = field(default_factory=dict)
    raw: list[float] = field(default_factory=list)
    records: dict[str, Any] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)  # Unix seconds of the run's moments
    in_time: dict[str, bool] = field(default_factory=dict)
    idle_seconds: float = IDLE_SECONDS
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds during the run, per process
    failed_attempts: dict[str, float] = field(default_factory=dict)
    queued: dict[str, float] = field(default_factory=dict)  # event id → when notify queued its job

    @property
    def healthy(self) -> list[str]:
        return [p for p in self.provinces if p not in (self.down, self.slow)]


def choose(provinces: list[str]) -> tuple[str, str]:
    """The endpoint that goes down (广东 when served) and the slow one."""
    down = "440000" if "440000" in provinces else provinces[-1]
    return down, next(p for p in provinces if p != down)


def stack_pids() -> dict[str, int]:
    """The bench stack's database and broker processes (their pid files)."""
    run_dir = Path(os.environ.get("XUEJI_STACK_DIR", ".local/stack")) / "run"
    pids = {}
    for name, what in (("mongodb", "database"), ("kafka", "broker")):
        with contextlib.suppress(OSError, ValueError):
            pids[what] = int((run_dir / f"{name}.pid").read_text().strip())
    return pids


def group_cpu_seconds(leader: int) -> float:
    """CPU time of a process and of every process of its group (a server may run in a child)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            pid = int(stat.parent.name)
            if pid == leader or int(stat.read_text().rsplit(")", 1)[1].split()[2]) == leader:
                total += cpu_seconds(pid)
    return total


def cpu_now(pids: dict[str, int]) -> dict[str, float]:
    found = {}
    for what, pid in pids.items():
        with contextlib.suppress(OSError):
            found[what] = group_cpu_seconds(pid) if what in ("database", "broker") else cpu_seconds(pid)
    return found


async def queued_at(settings: ServiceSettings, database: str) -> dict[str, float]:
    """When notify consumed each event and queued its job (from its job store)."""
    mongo = make_mongo_client(settings, "bench-notify")
    try:
        jobs = mongo[database]["notify_jobs"].find({}, {"event_id": 1, "queued_at": 1})
        return {d["event_id"]: d["queued_at"].timestamp() async for d in jobs}
    finally:
        await mongo.close()


async def run(endpoint_count: int, events: int, group_count: int, rate: float, idle_seconds: float) -> Run:
    settings = ServiceSettings()
    provinces = list(PROVINCES)[:endpoint_count]
    down, slow = choose(provinces)
    result = Run(provinces, down, slow, rate, idle_seconds=idle_seconds)
    print(f"machine: {machine()}")
    await create_topics(settings, 1, report=lambda _: None)
    items = plan(provinces, events, group_count)
    database = f"bench_notify_{uuid.uuid4().hex[:8]}"
    served = endpoints_process(provinces, Path(".local/bench-notify-endpoints.log"))
    with served as (control_url, urls, endpoints_pid):
        async with httpx.AsyncClient(base_url=control_url, timeout=30) as control:
            print(f"1/5 raw: {RAW_POSTS} signed POSTs straight to one endpoint …", flush=True)
            result.raw = await raw_posts(urls[provinces[-1]], provinces[-1], RAW_POSTS)
            (await control.post("/reset")).raise_for_status()
            env = {
                "XUEJI_MONGO_DATABASE": database,
                "XUEJI_CONSUMER_GROUP": f"bench-{database}",
                "XUEJI_PROVINCE_CODES": json.dumps(provinces),
                "XUEJI_WEBHOOK_URLS": json.dumps(urls),
                "XUEJI_WEBHOOK_SECRETS": json.dumps({p: secret_of(p).decode() for p in provinces}),
                "XUEJI_WEBHOOK_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
                "XUEJI_DELIVERY_IDLE_SECONDS": str(idle_seconds),
                "XUEJI_CIRCUIT_PAUSE_SECONDS": str(CIRCUIT_PAUSE_SECONDS),
                "XUEJI_CIRCUIT_MAX_PAUSE_SECONDS": str(CIRCUIT_MAX_PAUSE_SECONDS),
            }
            notify = ServiceProcess("xueji-notify", PORT, env, Path(".local/bench-notify.log"))
            notify.start()
            producer = AIOKafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP)
            await producer.start()
            pids = {"notify": notify.pid, **stack_pids(), "endpoints": endpoints_pid,
                    "load generator": os.getpid()}
            before = cpu_now(pids)
            try:
                await phases(result, items, control, producer)
                after = cpu_now(pids)
                result.cpu = {what: after[what] - before[what] for what in after if what in before}
                for province in (down, slow):
                    result.failed_attempts[province] = metric(
                        PORT, "xueji_notify_delivery_attempts_total",
                        f'endpoint="{province}",result="failed"')
            finally:
                await producer.stop()
                notify.stop()
            result.records = (await control.get("/records")).json()
    result.queued = await queued_at(settings, database)
    return result


async def phases(result: Run, items: list[Planned], control: httpx.AsyncClient, producer: Any) -> None:
    sent, provinces, rate = result.sent, result.provinces, result.rate
    phase_items = {phase: [i for i in items if i.phase == phase] for phase in (0, 1, 2)}
    load_seconds = len(phase_items[1]) / rate
    print(f"2/5 warm-up: one event to each of {len(provinces)} endpoints …", flush=True)
    await produce(producer, phase_items[0], rate, sent)
    result.in_time["warm-up"] = await until_arrived(control, sent, provinces, within=120)

    print(f"3/5 phase 1: {len(phase_items[1]):,} events at {rate:.0f}/s, all endpoints healthy …", flush=True)
    result.marks["phase 1"] = time.time()
    await produce(producer, phase_items[1], rate, sent)
    result.in_time["phase 1"] = await until_arrived(control, sent, provinces, within=60 + load_seconds)

    print(f"4/5 phase 2: {len(phase_items[2]):,} events at {rate:.0f}/s, {result.down} down (503), "
          f"{result.slow} slow ({SLOW_SECONDS:.0f} s) …", flush=True)
    await set_modes(control, {result.down: DOWN, result.slow: SLOW})
    result.marks["phase 2"] = time.time()
    await produce(producer, phase_items[2], rate, sent)
    result.in_time["phase 2"] = await until_arrived(control, sent, result.healthy, within=60 + load_seconds)

    print("5/5 recovery: both answer at once again; waiting until they have caught up …", flush=True)
    await set_modes(control, {result.down: HEALTHY, result.slow: HEALTHY})
    result.marks["recovery"] = time.time()
    backlog = sum(1 for s in sent.values() if s.province == result.slow and s.phase == 2)
    result.in_time["recovery"] = await until_arrived(control, sent, provinces,
                                                     within=120 + SLOW_SECONDS * backlog)
    await asyncio.sleep(3)  # anything sent twice would come now


# --- the figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One endpoint's deliveries of the events this run sent it."""

    expected: int
    got: int
    duplicates: int
    groups_out_of_order: int
    last: float

    @property
    def met(self) -> bool:
        return self.got == self.expected and self.duplicates == 0 and self.groups_out_of_order == 0


def received(result: Run, province: str) -> Received:
    ours = {e for e, s in result.sent.items() if s.province == province}
    arrivals = [a for a in result.records["accepted"][province] if a[0] in ours]
    counts = Counter(a[0] for a in arrivals)
    first: dict[str, list[int]] = {}
    seen: set[str] = set()
    for event_id, _, _, _ in arrivals:
        if event_id not in seen:
            seen.add(event_id)
            s = result.sent[event_id]
            first.setdefault(s.group_id, []).append(s.sequence)
    out_of_order = sum(1 for seqs in first.values() if seqs != sorted(seqs))
    return Received(len(ours), len(counts), sum(c - 1 for c in counts.values()), out_of_order,
                    max((a[3] for a in arrivals), default=float("nan")))


def first_arrivals(result: Run, phase: int) -> dict[str, float]:
    """When each event of a phase first reached its healthy endpoint, by event id."""
    firsts: dict[str, float] = {}
    for province in result.healthy:
        for event_id, _, _, at in result.records["accepted"][province]:
            s = result.sent.get(event_id)
            if s is not None and s.phase == phase and event_id not in firsts:
                firsts[event_id] = at
    return firsts


def rates(result: Run, firsts: dict[str, float]) -> tuple[float, float]:
    """Events/s sent to the healthy endpoints in a phase (first to last sent) and delivered to them
    (first sent to last received)."""
    if len(firsts) < 2:
        return float("nan"), float("nan")
    sent = [result.sent[e].at for e in firsts]
    return (len(firsts) - 1) / (max(sent) - min(sent)), len(firsts) / (max(firsts.values()) - min(sent))


def caught_up(after_recovery: float) -> str:
    if after_recovery < 0:
        return "had everything before the recovery"
    return f"caught up {after_recovery:.1f} s after recovery"


def ms(value: float) -> str:
    return f"{value:,.1f} ms"


def report(result: Run, events: int, groups: int) -> None:
    name = PROVINCES
    print(f"\n{len(result.provinces)} endpoints, {events:,} events in {groups:,} groups "
          f"at {result.rate:.0f}/s; "
          f"down: {result.down} {name[result.down]}, slow: {result.slow} {name[result.slow]} "
          f"(idle poll {result.idle_seconds} s, circuit pause {CIRCUIT_PAUSE_SECONDS:.0f}–"
          f"{CIRCUIT_MAX_PAUSE_SECONDS:.0f} s)")
    late = [stage for stage, ok in result.in_time.items() if not ok]
    if late:
        print(f"NOT IN TIME: {', '.join(late)} (the figures below cover what had arrived)")
    raw_p50, raw_p99 = percentile(result.raw, 0.5), percentile(result.raw, 0.99)
    print(f"raw HTTP POST, signed, one endpoint, one at a time   p50 {ms(raw_p50)}, p99 {ms(raw_p99)} "
          f"(n={len(result.raw)})")
    p99s = {}
    for phase, what in ((1, "all healthy"), (2, "one down, one slow")):
        firsts = first_arrivals(result, phase)
        values = [(at - result.sent[e].at) * 1000 for e, at in firsts.items()]
        consumed = [(result.queued[e] - result.sent[e].at) * 1000 for e in firsts if e in result.queued]
        sending = [(at - result.queued[e]) * 1000 for e, at in firsts.items() if e in result.queued]
        p99s[phase] = percentile(values, 0.99)
        offered, delivered = rates(result, firsts)
        print(f"phase {phase} ({what}), {len(result.healthy)} healthy endpoints   "
              f"p50 {ms(percentile(values, 0.5))}, p99 {ms(p99s[phase])}, "
              f"{delivered:,.1f} events/s delivered ({offered:,.1f}/s sent to them, n={len(values)})")
        print(f"  of which sent → job queued (consumed)  p50 {ms(percentile(consumed, 0.5))}, "
              f"p99 {ms(percentile(consumed, 0.99))}; job queued → received  "
              f"p50 {ms(percentile(sending, 0.5))}, p99 {ms(percentile(sending, 0.99))}")
        if delivered < OVERLOADED * offered:
            print(f"  OVERLOADED: delivered below {OVERLOADED:.0%} of what was sent; the latencies measure "
                  "the backlog, not the endpoints (lower --rate)")
    growth = p99s[2] / p99s[1] - 1
    print(f"  phase 2 p99 vs phase 1: {growth:+.0%} (target ≤ +{TARGET_P99_GROWTH:.0%}: "
          f"{'met' if growth <= TARGET_P99_GROWTH else '**no**'}); p99 above raw: phase 1 "
          f"{p99s[1] - raw_p99:+,.1f} ms, phase 2 {p99s[2] - raw_p99:+,.1f} ms")
    recovery = result.marks["recovery"]
    watched = ((result.down, "down (503) in phase 2"),
               (result.slow, f"slow ({SLOW_SECONDS:.0f} s) in phase 2"))
    for province, what in watched:
        r = received(result, province)
        print(f"{province} {name[province]}, {what}: received {r.got}/{r.expected}, "
              f"{r.duplicates} twice, {r.groups_out_of_order} groups out of order "
              f"(target: everything, nothing twice, in order: {'met' if r.met else '**no**'}); "
              f"{caught_up(r.last - recovery)}; {result.failed_attempts[province]:.0f} "
              f"failed attempts, {result.records['refused'].get(province, 0)} answered 503")
    healthy = [received(result, p) for p in result.healthy]
    print(f"healthy endpoints: received {sum(r.got for r in healthy)}/{sum(r.expected for r in healthy)}, "
          f"{sum(r.duplicates for r in healthy)} twice, "
          f"{sum(r.groups_out_of_order for r in healthy)} groups out of order; "
          f"bad signatures {sum(result.records['unsigned'].values())}")
    total = len(result.sent)
    cpu = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in result.cpu.items())
    print(f"CPU during the {total:,} events (warm-up included): {cpu}; notify "
          f"{result.cpu.get('notify', float('nan')) / total * 1000:.1f} s per 1 000 events")
    print("not measured:")
    for line in LEAVES_OUT:
        print(f"  - {line}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=32, help="province endpoints (3–32)")
    parser.add_argument("--events", type=int, default=2000, help="case events, half in each phase")
    parser.add_argument("--groups", type=int, default=200, help="groups the events belong to")
    parser.add_argument("--rate", type=float, default=8.0,
                        help="events produced per second (below what notify consumes, see RESULTS.md)")
    parser.add_argument("--idle-seconds", type=float, default=IDLE_SECONDS,
                        help="XUEJI_DELIVERY_IDLE_SECONDS of notify")
    parser.add_argument("--serve-endpoints", help=argparse.SUPPRESS)  # the province systems' process
    args = parser.parse_args()
    if args.serve_endpoints:
        serve_endpoints(args.serve_endpoints.split(","))
        return
    if not 3 <= args.endpoints <= len(PROVINCES):
        parser.error(f"--endpoints is between 3 and {len(PROVINCES)}")
    if args.groups < 1 or args.events < 2:
        parser.error("--groups is at least 1 and --events at least 2 (half in each phase)")
    result = asyncio.run(run(args.endpoints, args.events, args.groups, args.rate, args.idle_seconds))
    report(result, args.events, args.groups)


if __name__ == "__main__":
    main()
