"""The disruptions of a soak, made at their planned moments, and the throughput around them.

Throughput is the identity index's rate: registrations indexed per second, from the offsets dedup
has committed, sampled once a second. The recovery time of a disruption is the time from its start
until indexing has resumed (after any stall of two seconds or more that began while it lasted) and
a whole window of 5 s from then on ran at 90 % of the rate sent or more.
"""

import asyncio
import contextlib
import importlib.util
import itertools
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from xueji_contracts.topics import REGISTRATIONS

from ..system import System
from .plan import Disruption
from .provinces import Province

STACK = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.py"
SERVER_OF = {"restart the broker": "kafka", "restart the database": "mongodb", "stop the object store": "s3"}
WINDOW = 5.0  # seconds of the sliding window
RECOVERED = 0.9


def local_stack() -> ModuleType:
    """deploy/local/stack.py, loaded as the operators run it: the soak's own stack (XUEJI_STACK_DIR)."""
    spec = importlib.util.spec_from_file_location("local_stack", STACK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


@dataclass
class Made:
    planned: Disruption
    started: float  # seconds after the load began
    ended: float


@dataclass(frozen=True)
class Exit:
    """A service process that ended on its own (not killed by the soak), and was started again."""

    at: float  # seconds after the load began
    service: str
    returncode: int


@dataclass(eq=False)  # a thread: hashed by identity
class Disruptor(threading.Thread):
    system: System
    provinces: dict[str, Province]
    plan: list[Disruption]
    began: float  # monotonic time the load began
    made: list[Made] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    exits: list[Exit] = field(default_factory=list)
    planned_done: threading.Event = field(default_factory=threading.Event)
    stopped: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)  # one server restart at a time

    def __post_init__(self) -> None:
        super().__init__(daemon=True, name="disruptions")

    def run(self) -> None:
        """The planned disruptions; meanwhile and afterwards, until stopped, it restarts any service
        process that ended on its own, as the deployment's supervisor (the kubelet) would."""
        stack = local_stack()
        servers = {s.name: s for s in stack.servers()}
        for planned in self.plan:
            while (left := self.began + planned.at - time.monotonic()) > 0:
                self.supervise()
                time.sleep(min(1.0, left))
            started = time.monotonic() - self.began
            print(f"  {started:6.1f} s  {planned.what}", flush=True)
            try:
                with self.lock:
                    self.make(planned, stack, servers)
            except (Exception, SystemExit) as error:  # stack.py says what failed by SystemExit
                self.failures.append(f"{planned.what}: {error}")
                self.bring_back(planned, stack, servers)  # reported as failed; the run goes on
            self.made.append(Made(planned, started, time.monotonic() - self.began))
        self.planned_done.set()
        while not self.stopped.wait(1.0):
            self.supervise()

    def supervise(self) -> None:
        for name, process in list(self.system.processes.items()):
            if (code := process.poll()) is not None:
                at = time.monotonic() - self.began
                print(f"  {at:6.1f} s  {name} ended on its own (exit code {code}); started again", flush=True)
                self.exits.append(Exit(round(at, 1), name, code))
                self.system.start(name)

    def bring_back(self, planned: Disruption, stack: Any, servers: dict[str, Any]) -> None:
        """A stack server that did not come back is restarted once more, as its supervisor would."""
        if (name := SERVER_OF.get(planned.what)) is None:
            return
        try:
            with self.lock:
                stack.restart(servers[name])
        except (Exception, SystemExit) as error:
            self.failures.append(f"{name} restarted again after that: {error}")

    def make(self, planned: Disruption, stack: Any, servers: dict[str, Any]) -> None:
        what = planned.what
        if what.startswith("kill "):
            self.system.restart_after_kill(what.removeprefix("kill "))
        elif what == "restart the broker":
            stack.restart(servers["kafka"])
        elif what == "restart the database":
            stack.restart(servers["mongodb"])
        elif what == "stop the object store":
            stack.stop(servers["s3"])
            time.sleep(planned.seconds)
            stack.start(servers["s3"])
            stack.wait(servers["s3"])
        elif what == "fail a webhook":
            first = sorted(self.provinces)[int(planned.at) % len(self.provinces)]
            self.provinces[first].fail_for(planned.seconds)
            time.sleep(planned.seconds)


@dataclass(eq=False)  # a thread: hashed by identity
class Throughput(threading.Thread):
    """Registrations dedup has indexed so far, sampled once a second: the offsets its consumer group
    has committed on the registrations topic, which it commits once a batch is stored. (The broker
    answers from its group state; a count in the database would cost a scan of the index every
    second, a load that grows with the run and slows the system under test.)"""

    bootstrap: str
    group: str
    began: float
    samples: list[tuple[float, int]] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(daemon=True, name="throughput")

    def run(self) -> None:
        asyncio.run(self._sample())

    async def _sample(self) -> None:
        admin: AIOKafkaAdminClient | None = None
        while not await asyncio.to_thread(self.stopped.wait, 1.0):
            try:
                if admin is None:
                    admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=2000)
                    await admin.start()
                offsets = await asyncio.wait_for(admin.list_consumer_group_offsets(self.group), 3)
            except Exception:  # the broker is being restarted: no sample, a new client
                if admin is not None:
                    with contextlib.suppress(Exception):
                        await admin.close()
                admin = None
                continue
            count = sum(o.offset for tp, o in offsets.items() if tp.topic == REGISTRATIONS and o.offset > 0)
            self.samples.append((time.monotonic() - self.began, count))
        if admin is not None:
            await admin.close()

    def rate_over(self, start: float, end: float) -> float | None:
        """Registrations indexed per second between two moments (from the samples inside)."""
        inside = [(at, n) for at, n in self.samples if start <= at <= end]
        if len(inside) < 2 or inside[-1][0] - inside[0][0] < (end - start) - 1.5:
            return None
        return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])

    def stalled_until(self, made: Made) -> float:
        """When indexing went on again after the disruption: the end of the last stretch of at least
        two seconds without progress that began while it lasted (or within 5 s of its end)."""
        resumed = made.started
        after = [(at, n) for at, n in self.samples if at >= made.started - 1]
        stall_began: float | None = None
        for (at, n), (next_at, next_n) in itertools.pairwise(after):
            if next_n == n:
                stall_began = at if stall_began is None else stall_began
                continue
            if stall_began is not None and next_at - stall_began >= 2 and stall_began <= made.ended + 5:
                resumed = next_at
            stall_began = None
            if at > made.ended + 5:
                break
        return resumed

    def recovery(self, made: Made, rate: float, load_seconds: float) -> float | None:
        """Seconds from the disruption's start until indexing had resumed and a whole window from then
        on ran at 90 % of ``rate`` or more; None when that did not happen before the load ended."""
        resumed = self.stalled_until(made)
        for at, _ in self.samples:
            if at < resumed or at > load_seconds:
                continue
            current = self.rate_over(at, at + WINDOW)
            if current is not None and current >= RECOVERED * rate:
                return at - made.started
        return None
