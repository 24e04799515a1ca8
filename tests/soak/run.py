"""One soak run: the system started, the load and the disruptions, the drain, the checks, the report."""

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minio import Minio
from pymongo import MongoClient
from pymongo.database import Database
from xueji_contracts.topics import (
    DEAD_LETTERS,
    case_topic,
)

from services.common.deadletter import SOURCE_TOPIC
from services.common.reading import read_all
from services.common.settings import ServiceSettings
from services.dedup.adapters import store
from services.dedup.adapters.vault import Vault
from services.evidence.settings import EvidenceSettings

from ..consumer_groups import start_at_end
from ..messages import decoded_or_none
from ..system import SERVICES, System
from . import checks, plan
from .disruptions import Disruptor, Throughput, local_stack
from .people import Answers, Cell
from .provinces import Province, notify_settings, serving
from .sending import Sender
from .watchdog import Unheld, Watchdog, locked

Doc = dict[str, Any]
ORPHAN_AGE_SECONDS, ORPHAN_SWEEP_SECONDS = 10, 5  # the sweep removes what a crash left, within the run


@dataclass
class Soak:
    seed: int
    minutes: float
    rate: float
    problems_per_minute: float
    home: Path
    drain_seconds: float
    unheld: list[Unheld] = field(default_factory=list)  # partitions the broker left to no one, undone

    @property
    def load_seconds(self) -> float:
        return self.minutes * 60

    async def run(self) -> bool:
        rng = random.Random(self.seed)
        problems = round(self.problems_per_minute * self.minutes)
        units = plan.units(rng, int(self.rate * self.load_seconds), problems)
        schedule = plan.disruptions(rng, self.load_seconds, max(1, round(self.minutes / 2)))
        kinds = Counter(u.kind for u in units)
        print(f"== soak: seed {self.seed}, {self.minutes:g} min at {self.rate:g} registrations/s and "
              f"{self.problems_per_minute:g} problems a minute: "
              f"{sum(len(u.records) for u in units):,} registrations "
              f"({', '.join(f'{k} {n}' for k, n in kinds.items())}); {len(schedule)} disruptions", flush=True)
        self.home.mkdir(parents=True, exist_ok=True)
        with serving(plan.PROVINCES) as provinces:
            system = System(self.home)
            system.settings = {"notify": notify_settings(provinces), "evidence": {
                "XUEJI_ORPHAN_AGE_SECONDS": str(ORPHAN_AGE_SECONDS),
                "XUEJI_ORPHAN_SWEEP_SECONDS": str(ORPHAN_SWEEP_SECONDS)}}
            system.population_fixture.write_text("", encoding="utf-8")
            await start_at_end(system.consumer_groups())
            try:
                for name in SERVICES:
                    system.start(name)
                await asyncio.to_thread(system.wait_ready, *SERVICES)
                print(f"   services ready; logs in {self.home}", flush=True)
                return await self.drive(system, provinces, units, schedule)
            finally:
                system.stop_all()

    async def drive(self, system: System, provinces: dict[str, Province], units: list[plan.Unit],
                    schedule: list[plan.Disruption]) -> bool:
        settings = ServiceSettings()
        sender = Sender(settings.KAFKA_BOOTSTRAP)
        poisoned: list[tuple[bytes, str]] = []
        await sender.poison(poisoned)
        answers = Answers()
        cells = [Cell(system, kind, [u for u in units if u.kind == kind], answers)
                 for kind in plan.PROBLEM_SHARES]
        for cell in cells:
            cell.start()
        began = time.monotonic()
        throughput = Throughput(settings.KAFKA_BOOTSTRAP, system.consumer_group("dedup") + ".registrations",
                                began)
        disruptor = Disruptor(system, provinces, schedule, began)
        kafka = next(s for s in local_stack().servers() if s.name == "kafka")
        watchdog = Watchdog(system, settings.KAFKA_BOOTSTRAP, began,
                            locked(disruptor.lock, lambda: local_stack().restart(kafka)), self.unheld)
        watching = asyncio.Event()
        watched = asyncio.create_task(watchdog.run(watching))
        throughput.start()
        disruptor.start()
        try:
            return await self.drain_and_check(system, provinces, units, answers, cells, poisoned, sender,
                                              throughput, disruptor)
        finally:  # also when interrupted: nothing may start a service again while they are stopped
            watching.set()
            await watched
            disruptor.stopped.set()
            throughput.stopped.set()
            for cell in cells:
                cell.stopped.set()
            await asyncio.to_thread(disruptor.join, 120)

    async def drain_and_check(self, system: System, provinces: dict[str, Province], units: list[plan.Unit],
                              answers: Answers, cells: list[Cell], poisoned: list[tuple[bytes, str]],
                              sender: Sender, throughput: Throughput, disruptor: Disruptor) -> bool:
        settings = ServiceSettings()
        began, uri = disruptor.began, settings.MONGO_URI.get_secret_value()
        print("   disruptions (seconds after the load began):", flush=True)
        sent = await sender.registrations(units, began, self.rate, poisoned)
        print(f"   load sent: {sent:,} registrations in {time.monotonic() - began:.0f} s", flush=True)
        await asyncio.to_thread(disruptor.planned_done.wait, 300)  # the last one is due by now
        await sender.stop()
        with MongoClient[Doc](uri) as mongo:
            db = mongo[system.database]
            drained = await self.drain(system, db, units, began)
            for cell in cells:
                cell.stopped.set()
            for cell in cells:
                await asyncio.to_thread(cell.join, 30)
            drained_at = time.monotonic()
            topics = await self.delivered(settings.KAFKA_BOOTSTRAP, provinces)
            await asyncio.sleep(max(0.0, drained_at + ORPHAN_AGE_SECONDS + 2 * ORPHAN_SWEEP_SECONDS
                                    - time.monotonic()))
            throughput.stopped.set()
            results = await self.check(system, db, units, answers, provinces, topics, poisoned,
                                       sum(m.planned.what == "kill notify" for m in disruptor.made))
        self.report(disruptor, throughput, results, drained)
        return drained and not disruptor.failures and all(r.failures == 0 for r in results)

    async def drain(self, system: System, db: Database[Doc], units: list[plan.Unit], began: float) -> bool:
        """Until every record has its final status and every planned case is closed.

        It polls what is cheap to read: the planned cases, and the records of the problems by the
        index on their holder. Only when those are done does it read every record's status, a scan
        of the whole index (a load on the system under test that grows with the run)."""
        final = Counter(s.value for u in units for s in u.final)
        vault = vault_of(system)
        problems = [u for u in units if u.kind != plan.CLEAN]
        holders = [vault.record_id(r.registry_number) for u in problems for r in u.records]
        settled = Counter(s.value for u in problems for s in u.final)
        cases = sum(1 + (u.kind == plan.ARBITRATED) for u in problems)
        deadline, said, scanned = time.monotonic() + self.drain_seconds, 0.0, 0.0

        def statuses(query: Doc) -> Counter[str]:
            found = db[store.COLLECTION].find(query, {"record.status": 1})
            return Counter(d["record"]["status"] for d in found)

        def now() -> tuple[Counter[str], int]:
            found: Counter[str] = Counter()
            for i in range(0, len(holders), 1000):
                found += statuses({"holder": {"$in": holders[i:i + 1000]}})
            return found, db["workflow_cases"].count_documents({"closed": True})

        while time.monotonic() < deadline:
            try:
                found, closed = await asyncio.to_thread(now)
                if found == settled and closed == cases and time.monotonic() - scanned > 10:
                    scanned = time.monotonic()
                    if await asyncio.to_thread(statuses, store.HOMES) == final:
                        print(f"   drained {time.monotonic() - began:.0f} s after the load began", flush=True)
                        return True
            except Exception:  # the database may still be coming back
                await asyncio.sleep(2)
                continue
            if time.monotonic() - said > 15:
                said = time.monotonic()
                print(f"   draining: the problems' records {dict(found)} of {dict(settled)}, "
                      f"{closed}/{cases} cases closed", flush=True)
            await asyncio.sleep(2)
        print(f"   NOT DRAINED within {self.drain_seconds:.0f} s; checking what there is", flush=True)
        return False

    async def delivered(self, bootstrap: str, provinces: dict[str, Province]) -> dict[str, list[Doc]]:
        """The province topics, read again until each endpoint has had every event of its topic (or
        the drain's time has passed)."""
        deadline = time.monotonic() + self.drain_seconds
        while True:
            topics = {p: await case_events(bootstrap, p) for p in provinces}
            complete = all({str(e["event_id"]) for e in topics[p]}
                           <= {a.event_id for a in provinces[p].snapshot()} for p in provinces)
            if complete or time.monotonic() > deadline:
                await asyncio.sleep(3)  # anything sent twice would come now
                return topics
            await asyncio.sleep(2)

    async def check(self, system: System, db: Database[Doc], units: list[plan.Unit], answers: Answers,
                    provinces: dict[str, Province], topics: dict[str, list[Doc]],
                    poisoned: list[tuple[bytes, str]], notify_kills: int) -> list[checks.Check]:
        vault = vault_of(system)
        cases = checks.cases_of(db)
        bootstrap = ServiceSettings().KAFKA_BOOTSTRAP
        for province in sorted({p for c in cases for p in c.get("province_codes", [])} - set(topics)):
            topics = {**topics, province: await case_events(bootstrap, province)}
        parked = [(m.key, dict(m.headers).get(SOURCE_TOPIC, b"").decode())
                  for m in await read_all(bootstrap, DEAD_LETTERS)]
        try:
            stored: tuple[set[tuple[str, str]], int] | str = await asyncio.to_thread(
                stored_objects, f"e2e-{system.unique}-")
        except Exception as error:  # the object store did not come back: that check fails, the rest run
            stored = f"the object store did not answer: {type(error).__name__}"
        events = checks.decoded([e for found in topics.values() for e in found])
        return [
            checks.registrations(db, vault, units),
            checks.one_case_each(cases, units),
            checks.announced_once(cases, topics),
            checks.history_once(cases, answers),
            checks.documented_answers(answers),
            checks.inbox_once(db, events),
            *checks.webhooks(provinces, topics, notify_kills),
            checks.dead_letters(parked, poisoned),
            checks.evidence(db, stored),
        ]

    def report(self, disruptor: Disruptor, throughput: Throughput, results: list[checks.Check],
               drained: bool) -> None:
        print(f"\n== disruptions (seed {self.seed}); recovery: seconds from the start until registrations "
              f"are indexed at ≥ 90 % of {self.rate:g}/s again")
        for made in disruptor.made:
            recovery = throughput.recovery(made, self.rate, self.load_seconds)
            lasting = f" for {made.planned.seconds:g} s" if made.planned.seconds else ""
            print(f"  {made.started:6.1f} s  {made.planned.what}{lasting}, done after "
                  f"{made.ended - made.started:.1f} s; recovery "
                  f"{'not before the load ended' if recovery is None else f'{recovery:.1f} s'}")
        for failure in disruptor.failures:
            print(f"  FAILED disruption: {failure}")
        for gone in disruptor.exits:
            print(f"  {gone.at:6.1f} s  {gone.service} ended on its own (exit code {gone.returncode}), "
                  "not killed by the soak; started again (its log says why)")
        for unheld in self.unheld:
            print(f"  {unheld.at:6.1f} s  the local broker assigned {unheld.partitions - unheld.held} of "
                  f"{unheld.partitions} partitions of {unheld.topic} to no running consumer of "
                  f"{unheld.group}; the broker was restarted (tests/soak/watchdog.py)")
        print(f"\n== checks (seed {self.seed}){'' if drained else ' — NOT DRAINED'}")
        for result in results:
            print("  " + result.line())
        failed = sum(r.failures > 0 for r in results)
        print(f"\n== soak {'passed' if failed == 0 and drained else 'FAILED'}: "
              f"{len(results) - failed}/{len(results)} checks passed (seed {self.seed}); "
              f"{len(disruptor.exits)} service processes ended on their own; the broker left partitions to "
              f"no consumer {len(self.unheld)} times", flush=True)


def vault_of(system: System) -> Vault:
    """Dedup's vault under the system's own pepper: the ids its documents are found by."""
    return Vault(system.env("dedup")["XUEJI_PEPPER"].encode())


async def case_events(bootstrap: str, province: str) -> list[Doc]:
    """Every event on a province's case topic, from its first offset (poison messages left out)."""
    return [e for m in await read_all(bootstrap, case_topic(province)) if (e := decoded_or_none(m.value))]


def stored_objects(prefix: str) -> tuple[set[tuple[str, str]], int]:
    """Every object key in the run's evidence buckets, and how many versions they hold."""
    settings = EvidenceSettings()
    client = Minio(settings.S3_ENDPOINT, access_key=settings.S3_ACCESS_KEY,
                   secret_key=settings.S3_SECRET_KEY.get_secret_value(), secure=settings.S3_SECURE,
                   region=settings.S3_REGION)
    keys: set[tuple[str, str]] = set()
    versions = 0
    for bucket in client.list_buckets():
        if bucket.name.startswith(prefix):
            for found in client.list_objects(bucket.name, recursive=True, include_version=True):
                if found.object_name and not found.is_delete_marker:
                    keys.add((bucket.name, found.object_name))
                    versions += 1
    return keys, versions
