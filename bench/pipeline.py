"""Pipeline benchmark: the whole system end to end, and the work each registration costs.

    ./dev bench pipeline [--count 200000] [--latency-count 5000] [--clean-count 5000] [--seed 2026]

On a fresh benchmark stack, in one run:
1. raw limits: produce + consume one message per registration on the broker, and bulk insert one
   document per registration into the database (the least any design must write);
2. the pipeline: dedup, the population stand-in (with the demo's fixture: every problem type at
   the demo's rates), the workflow and notify as processes; N registrations published at once;
   it waits until every consumer group has read everything and no outbox holds an entry: every
   problem has its case, every population answer is applied, every party has its inbox entry;
   it prints registrations/s end to end, with a progress line;
3. latency: a further load at half that rate, registration → ``case.group_opened`` p50/p99
   (Kafka record timestamps of the registration and of the case event);
4. clean registrations: ``--clean-count`` more, each a resident ID alone on its key that the
   population database verifies; the documents dedup writes for them (its own metric) and the
   Kafka messages they cause, per registration;
5. dedup alone in the same run: a new dedup process with its own database and consumer group
   reads the same registrations (no population stand-in: its answers and their writes are left
   out, as in ``bench/dedup.py``).

Case opening as the collections grow: the rate of ``case.group_opened`` events over the first
10 % of the cases the bulk load opened, beside the rate over the last 10 %, per second of the
workflow's busy time (the time it waited for problems to arrive left out, ``opening_rates``) and
by the wall clock.

Work per registration: Kafka messages produced per topic (end offsets before and after),
documents the database holds afterwards per collection, the operations the database server
reports (``serverStatus`` opcounters, when it reports them), dedup's own round-trip metric, and
CPU seconds per 10 000 registrations of every service and server (from /proc).

Left out: evidence (no uploads in this load), schools acting on the cases (see bench/workflow.py),
TLS, replication, and more than one replica of anything.
"""

import argparse
import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient
from xueji_contracts import topics
from xueji_contracts.enums import IdType
from xueji_contracts.students import StudentRecord, StudentRegistered
from xueji_contracts.topics import REGISTRATIONS

from services.cli.topics import create_topics
from services.common import reading
from services.common.settings import ServiceSettings
from services.dedup.demo import Generator, demo_data, write_fixture
from services.dedup.settings import DedupSettings

from .common import ServiceProcess, cpu_seconds, machine, metric, percentile, samples, tree_cpu_seconds
from .dedup import produce, raw_broker_rate

PORTS = {"dedup": 8201, "population-standin": 8205, "workflow": 8202, "notify": 8204}
ALONE_PORT = 8211
TOP_CALLS = 15
Doc = dict[str, Any]
CASE_TOPICS = tuple(t.name for t in topics.case_topics())
# the consumer group suffixes of each service, and what each reads (as tests/consumer_groups.py)
GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "dedup": {".registrations": (topics.REGISTRATIONS,), ".commands": (topics.DEDUP_COMMANDS,),
              ".population": (topics.POPULATION_RESULTS,)},
    "population-standin": {"": (topics.POPULATION_REQUESTS,)},
    "workflow": {".problems": (topics.PROBLEMS,), ".evidence": (topics.EVIDENCE,)},
    "notify": {".cases": CASE_TOPICS},
}
ALL_TOPICS = (topics.REGISTRATIONS, topics.DEDUP_COMMANDS, topics.POPULATION_REQUESTS,
              topics.POPULATION_RESULTS, topics.PROBLEMS, topics.EVIDENCE, topics.NOTIFICATIONS, *CASE_TOPICS)


async def end_offsets(bootstrap: str, names: tuple[str, ...]) -> dict[str, int]:
    """Messages on each topic so far (the sum of its partitions' end offsets)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await reading.partitions_of(consumer, names)
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    found: dict[str, int] = dict.fromkeys(names, 0)
    for tp, end in ends.items():
        found[tp.topic] += end
    return found


async def lag(bootstrap: str, groups: dict[str, tuple[str, ...]]) -> int:
    """Messages the consumer groups have not committed yet, over every topic they read."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        ends = await end_offsets_by_partition(bootstrap, tuple({t for ts in groups.values() for t in ts}))
        behind = 0
        for group, names in groups.items():
            committed = await admin.list_consumer_group_offsets(group)
            for tp, end in ends.items():
                if tp.topic in names:
                    done = committed.get(tp)
                    behind += end - (done.offset if done is not None and done.offset >= 0 else 0)
        return behind
    finally:
        await admin.close()


async def end_offsets_by_partition(bootstrap: str, names: tuple[str, ...]) -> dict[Any, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(await reading.partitions_of(consumer, names)))
    finally:
        await consumer.stop()


async def raw_insert_rate(settings: ServiceSettings, count: int) -> float:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(settings.MONGO_URI.get_secret_value())
    collection = client[f"bench_raw_{uuid.uuid4().hex[:8]}"]["records"]
    docs = [{"_id": f"r{n:012d}", "school": "1101050001", "status": "pending", "version": 1}
            for n in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 1000):
        await collection.insert_many(docs[start:start + 1000], ordered=False)
    elapsed = time.perf_counter() - started
    await client.drop_database(collection.database.name)
    await client.close()
    return count / elapsed


async def opcounters(settings: ServiceSettings) -> dict[str, int] | None:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(settings.MONGO_URI.get_secret_value())
    try:
        status = await client.admin.command("serverStatus")
        counters = status.get("opcounters")
        return {k: int(v) for k, v in counters.items()} if isinstance(counters, dict) else None
    except Exception:  # a server that does not report it
        return None
    finally:
        await client.close()


async def documents(settings: ServiceSettings, database: str) -> dict[str, int]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(settings.MONGO_URI.get_secret_value())
    try:
        db = client[database]
        return {name: await db[name].estimated_document_count() for name in await db.list_collection_names()}
    finally:
        await client.close()


async def outbox_waiting(settings: ServiceSettings, database: str) -> int:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(settings.MONGO_URI.get_secret_value())
    try:
        db = client[database]
        waiting = 0
        for name in ("workflow_cases", "dedup_groups"):
            waiting += await db[name].count_documents({"has_outbox": True})
        return waiting
    finally:
        await client.close()


def server_pids() -> dict[str, int]:
    """The local stack's servers (deploy/local/stack.py keeps their PID files)."""
    stack = Path(os.environ.get("XUEJI_STACK_DIR", ".local/bench-stack")) / "run"
    pids = {}
    for pidfile in stack.glob("*.pid"):
        try:
            pids[pidfile.stem] = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            continue
    return pids


def case_latencies(cases: list[Any], problems: list[Any], sent: dict[str, int]) -> list[float]:
    """Milliseconds from the newest member's registration to its group's first ``case.group_opened``.

    Case events name no registry number (a province sees its own members only, masked), so a
    group's members are read from dedup's ``problem.detected`` on the problems topic."""
    registered: dict[str, int] = {}
    for message in problems:
        event = json.loads(message.value)
        if event.get("event_type") == "problem.detected":
            members = [m["registry_number"] for m in event.get("members", [])]
            stamps = [sent[rn] for rn in members if rn in sent]
            if stamps:
                registered.setdefault(event["group_id"], max(stamps))
    opened: dict[str, int] = {}
    for message in cases:
        event = json.loads(message.value)
        if event.get("event_type") == "case.group_opened" and event["group_id"] in registered:
            group = event["group_id"]
            opened[group] = min(message.timestamp, opened.get(group, message.timestamp))
    return [float(stamp - registered[group]) for group, stamp in opened.items()]


async def drained(settings: ServiceSettings, groups: dict[str, tuple[str, ...]], database: str,
                  started: float, total: int) -> float:
    """Wait until nothing is left to consume or publish; the seconds it took."""
    quiet = 0
    while quiet < 3:
        behind = await lag(settings.KAFKA_BOOTSTRAP, groups)
        done = metric(PORTS["dedup"], "xueji_dedup_messages_total", f'topic="{REGISTRATIONS}"')
        # outboxes are counted only once nothing is behind: a count each round would be the
        # benchmark's own load on the database it measures (a count of has_outbox per collection)
        caught_up = behind == 0 and done >= total
        waiting = await outbox_waiting(settings, database) if caught_up else None
        print(f"   … {time.perf_counter() - started:6.0f} s: {done:,.0f} / {total:,} registrations read, "
              f"{behind:,} messages behind"
              f"{'' if waiting is None else f', {waiting:,} outboxes waiting'}", flush=True)
        quiet = quiet + 1 if caught_up and waiting == 0 else 0
        if quiet < 3:
            await asyncio.sleep(1 if caught_up else 2)
    return time.perf_counter() - started - 2.0  # the last quiet checks are not work


async def cpu_when_caught_up(settings: ServiceSettings, groups: dict[str, tuple[str, ...]], pid: int,
                             total: int) -> float:
    """Dedup's CPU seconds once it has read every registration and applied every population answer
    (the rest of the run it idles while the workflow and notify catch up)."""
    while True:
        read = metric(PORTS["dedup"], "xueji_dedup_messages_total", f'topic="{REGISTRATIONS}"')
        if read >= total and await lag(settings.KAFKA_BOOTSTRAP, groups) == 0:
            return cpu_seconds(pid)
        await asyncio.sleep(0.5)


async def read_by(port: int, total: int) -> None:
    """Until the dedup process on ``port`` has read ``total`` registrations."""
    while metric(port, "xueji_dedup_messages_total", f'topic="{REGISTRATIONS}"') < total:  # noqa: ASYNC110
        await asyncio.sleep(0.5)


def clean_records(seed: int, count: int, taken: set[str | None]) -> list[StudentRecord]:
    """Resident IDs alone on their keys, not in the fixture (the stand-in verifies them)."""
    generator, numbers = Generator(seed + 1), set(taken)
    found: dict[str, StudentRecord] = {}
    while len(found) < count:
        record = generator.record(id_type=IdType.RESIDENT_ID)
        if record.id_number not in numbers and record.registry_number not in found:
            numbers.add(record.id_number)
            found[record.registry_number] = record
    return list(found.values())


Calls = dict[tuple[str, str, str], tuple[float, float]]


def database_calls() -> Calls:
    """(service, command, collection) → (calls, seconds waited for their answers), from every
    service's own metrics (``xueji_db_calls_total``, ``xueji_db_call_seconds_total``)."""
    found: Calls = {}
    for name, port in PORTS.items():
        seconds = samples(port, "xueji_db_call_seconds_total")
        for labels, calls in samples(port, "xueji_db_calls_total").items():
            named = dict(labels)
            found[name, named["command"], named["collection"]] = (calls, seconds.get(labels, 0.0))
    return found


def opening_rates(cases: list[Any], problems: list[Any]) -> tuple[float, float, float, float, int]:
    """Cases opened per second over the first and the last 10 % of the bulk load's cases: per second
    of the workflow's busy time, and per second of the wall clock.

    The wall-clock rate follows when problems arrive as much as how fast the workflow opens cases:
    the problems the population answers raise come late in the load, and slowly. The busy rate
    leaves out the time the workflow waited for its next problem: taking the cases in the order
    they opened, a case's share of the work runs from when it could have begun (its problem
    detected, and the case before it opened) to its opening; the cases of one batch after its
    first have none. (The workflow reads several partitions at once, so this is an
    approximation: one queue in place of one per partition.)"""
    detected: dict[str, int] = {}
    for message in problems:
        event = json.loads(message.value)
        if event.get("event_type") == "problem.detected":
            detected.setdefault(event["group_id"], message.timestamp)
    opened: dict[str, int] = {}
    for message in cases:
        if b'"case.group_opened"' in message.value:
            group = json.loads(message.value)["group_id"]
            opened[group] = min(message.timestamp, opened.get(group, message.timestamp))
    order = sorted(opened, key=opened.__getitem__)
    tenth = len(order) // 10
    if tenth < 2:
        nan = float("nan")
        return nan, nan, nan, nan, len(order)
    busy: list[float] = []
    for i, group in enumerate(order):
        could_begin = max(opened[order[i - 1]] if i else 0, detected.get(group, opened[group]))
        busy.append(max(0, opened[group] - could_begin) / 1000)

    def rates(part: slice) -> tuple[float, float]:
        stamps = [opened[g] for g in order[part]]
        return (len(stamps) / max(0.001, sum(busy[part])),
                (len(stamps) - 1) / max(0.001, (stamps[-1] - stamps[0]) / 1000))

    first, last = rates(slice(0, tenth)), rates(slice(-tenth, None))
    return first[0], last[0], first[1], last[1], len(order)


def start(name: str, port: int, env: dict[str, str], log: Path) -> ServiceProcess:
    service = ServiceProcess(f"xueji-{name}", port, env, log)
    service.start()
    return service


async def run(count: int, latency_count: int, clean_count: int, seed: int) -> None:
    settings = DedupSettings()
    unique = uuid.uuid4().hex[:8]
    home = Path(".local/bench-pipeline") / unique
    home.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    print(f"generating {count:,} + {latency_count:,} registrations and the population fixture …", flush=True)
    records, generator = demo_data(count + latency_count, seed)
    fixture = home / "population.jsonl"
    write_fixture(generator, fixture)
    messages = [(r.registry_number.encode(), StudentRegistered(producer="bench", record=r)
                 .model_dump_json().encode()) for r in records]
    load, paced = messages[:count], messages[count:]
    clean = [(r.registry_number.encode(),
              StudentRegistered(producer="bench", record=r).model_dump_json().encode())
             for r in clean_records(seed, clean_count, {r.id_number for r in records})]
    await create_topics(settings, 1, report=lambda _: None)

    print("1/5 raw limits …", flush=True)
    broker_rate = await raw_broker_rate(settings, load)
    insert_rate = await raw_insert_rate(settings, count)
    print(f"   broker produce+consume {broker_rate:,.0f} messages/s; database bulk insert "
          f"{insert_rate:,.0f} documents/s", flush=True)

    database = f"bench_pipeline_{unique}"
    env = {"XUEJI_MONGO_DATABASE": database, "XUEJI_CONSUMER_GROUP": f"bp-{unique}",
           "XUEJI_POPULATION_FIXTURE": str(fixture), "XUEJI_KAFKA_BOOTSTRAP": settings.KAFKA_BOOTSTRAP}
    groups: dict[str, tuple[str, ...]] = {
        f"bp-{unique}{suffix}": names for service in GROUPS.values() for suffix, names in service.items()}
    services: dict[str, ServiceProcess] = {}
    try:
        for name, port in PORTS.items():  # one that fails to start stops those started before it
            services[name] = start(name, port, {**env, "XUEJI_INSTANCE_ID": f"bp-{unique}-{name}"},
                                   home / f"{name}.log")
        print(f"2/5 the pipeline: {count:,} registrations at once …", flush=True)
        messages_before = await end_offsets(settings.KAFKA_BOOTSTRAP, ALL_TOPICS)
        ops_before = await opcounters(settings)
        cpu_before = {n: cpu_seconds(s.pid) for n, s in services.items()}
        servers_before = {n: tree_cpu_seconds(p) for n, p in server_pids().items()}
        trips_before = metric(PORTS["dedup"], "xueji_dedup_db_round_trips_total")
        calls_before = database_calls()
        written_before = metric(PORTS["dedup"], "xueji_dedup_documents_written_total")
        started = time.perf_counter()
        await produce(settings, REGISTRATIONS, load)
        dedup_groups = {g: names for g, names in groups.items()
                        if g.endswith((".registrations", ".population")) or g == f"bp-{unique}"}
        dedup_pid = services["dedup"].pid
        caught_up = asyncio.create_task(cpu_when_caught_up(settings, dedup_groups, dedup_pid, count))
        elapsed = await drained(settings, groups, database, started, count)
        rate = count / elapsed
        cpu = {n: cpu_seconds(s.pid) - cpu_before[n] for n, s in services.items()}
        dedup_busy = await caught_up - cpu_before["dedup"]
        servers = {n: tree_cpu_seconds(p) - servers_before.get(n, 0.0) for n, p in server_pids().items()}
        ops_after = await opcounters(settings)
        messages_after = await end_offsets(settings.KAFKA_BOOTSTRAP, ALL_TOPICS)
        trips = metric(PORTS["dedup"], "xueji_dedup_db_round_trips_total") - trips_before
        calls_after = database_calls()
        calls = {k: (n - calls_before.get(k, (0.0, 0.0))[0], t - calls_before.get(k, (0.0, 0.0))[1])
                 for k, (n, t) in calls_after.items()}
        written = metric(PORTS["dedup"], "xueji_dedup_documents_written_total") - written_before
        held = await documents(settings, database)
        bulk_cases: list[Any] = []
        for name in CASE_TOPICS:
            bulk_cases += await reading.read_all(settings.KAFKA_BOOTSTRAP, name)
        bulk_problems = await reading.read_all(settings.KAFKA_BOOTSTRAP, topics.PROBLEMS)
        first_rate, last_rate, first_wall, last_wall, opened_count = opening_rates(bulk_cases, bulk_problems)

        print(f"3/5 latency at {rate / 2:,.0f} registrations/s …", flush=True)
        sent = await produce(settings, REGISTRATIONS, paced, rate=rate / 2)
        await drained(settings, groups, database, time.perf_counter(), count + latency_count)
        opened = []
        for name in CASE_TOPICS:
            opened += await reading.read_all(settings.KAFKA_BOOTSTRAP, name)
        problems = await reading.read_all(settings.KAFKA_BOOTSTRAP, topics.PROBLEMS)
        latency = case_latencies(opened, problems, sent)

        print(f"4/5 {clean_count:,} clean registrations …", flush=True)
        clean_written_before = metric(PORTS["dedup"], "xueji_dedup_documents_written_total")
        clean_messages_before = await end_offsets(settings.KAFKA_BOOTSTRAP, ALL_TOPICS)
        await produce(settings, REGISTRATIONS, clean)
        await drained(settings, groups, database, time.perf_counter(), count + latency_count + clean_count)
        clean_written = metric(PORTS["dedup"], "xueji_dedup_documents_written_total") - clean_written_before
        clean_messages_after = await end_offsets(settings.KAFKA_BOOTSTRAP, ALL_TOPICS)
    finally:
        for service in services.values():
            service.stop()

    print("5/5 dedup alone on the same registrations …", flush=True)
    alone_db = f"bench_alone_{unique}"
    alone_env = {"XUEJI_MONGO_DATABASE": alone_db, "XUEJI_CONSUMER_GROUP": f"ba-{unique}",
                 "XUEJI_KAFKA_BOOTSTRAP": settings.KAFKA_BOOTSTRAP, "XUEJI_INSTANCE_ID": f"ba-{unique}"}
    alone = start("dedup", ALONE_PORT, alone_env, home / "dedup-alone.log")
    try:
        alone_started = time.perf_counter()
        alone_cpu_before = cpu_seconds(alone.pid)
        alone_servers_before = {n: tree_cpu_seconds(p) for n, p in server_pids().items()}
        total = count + latency_count + clean_count
        await read_by(ALONE_PORT, total)
        alone_rate = total / (time.perf_counter() - alone_started)
        alone_cpu = {"dedup": cpu_seconds(alone.pid) - alone_cpu_before,
                     **{f"server {n}": tree_cpu_seconds(p) - alone_servers_before.get(n, 0.0)
                        for n, p in server_pids().items()}}
    finally:
        alone.stop()

    produced = {t: messages_after[t] - messages_before[t] for t in ALL_TOPICS}
    print(f"\nmachine: {machine()}")
    print(f"registrations            {count:,} (seed {seed})")
    print(f"end to end               {rate:,.0f} registrations/s in {elapsed:,.0f} s")
    print(f"dedup alone, same run    {alone_rate:,.0f} registrations/s → end to end at "
          f"{rate / alone_rate:.0%} (target ≥ 50 %)")
    print(f"raw broker               {broker_rate:,.0f} messages/s produce + consume")
    print(f"raw database             {insert_rate:,.0f} documents/s bulk insert")
    print(f"latency registration → case opened at 50 % (n={len(latency)}): "
          f"p50 {percentile(latency, 0.5):,.0f} ms, p99 {percentile(latency, 0.99):,.0f} ms "
          "(target < 2 000 ms)")
    print("messages produced per registration, by topic (the registration itself included):")
    for name, n in sorted(produced.items(), key=lambda kv: -kv[1]):
        if n:
            print(f"   {name:36} {n / count:6.3f}")
    others = sum(produced.values()) - produced[REGISTRATIONS]
    print(f"   {'all but the registrations':36} {others / count:6.3f}")
    print("documents held afterwards per registration, by collection:")
    for name, n in sorted(held.items(), key=lambda kv: -kv[1]):
        print(f"   {name:36} {n / count:6.3f}")
    print(f"   {'all':36} {sum(held.values()) / count:6.3f}")
    print(f"dedup database round trips {trips / count:.3f} and documents written {written / count:.3f} "
          "per registration (its own metrics)")
    print(f"database calls per registration by service, command and collection (the services' own "
          f"metrics; the {TOP_CALLS} that waited longest; seconds waited per 10 000 registrations):")
    longest = sorted(calls.items(), key=lambda kv: -kv[1][1])[:TOP_CALLS]
    for (caller, command, collection), (made, waited) in longest:
        print(f"   {caller:18} {command:14} {collection:26} {made / count:7.3f} calls  "
              f"{waited / count * 10_000:6.2f} s")
    all_calls = sum(n for n, _ in calls.values())
    print(f"   {'all':60} {all_calls / count:7.3f} calls  "
          f"{sum(t for _, t in calls.values()) / count * 10_000:6.2f} s")
    print(f"case opening as the collections grow ({opened_count:,} cases), per second of the workflow's "
          f"busy time: first 10 % {first_rate:,.1f}/s, last 10 % {last_rate:,.1f}/s "
          f"({last_rate / first_rate - 1:+.0%}; target within −20 %); by the wall clock, which also "
          f"waits for problems to arrive: {first_wall:,.1f}/s and {last_wall:,.1f}/s")
    clean_produced = {t: clean_messages_after[t] - clean_messages_before[t] for t in ALL_TOPICS}
    print(f"a clean registration ({clean_count:,}: a resident ID alone on its key, verified):")
    print(f"   documents dedup wrote          {clean_written / clean_count:6.3f} (target ≤ 1.5)")
    for name, n in sorted(clean_produced.items(), key=lambda kv: -kv[1]):
        if n and name != REGISTRATIONS:
            print(f"   messages on {name:30} {n / clean_count:6.3f}")
    clean_others = sum(clean_produced.values()) - clean_produced[REGISTRATIONS]
    print(f"   messages besides the registration {clean_others / clean_count:6.3f} (target ≤ 2)")
    if ops_before and ops_after:
        writes = sum(ops_after[k] - ops_before[k] for k in ("insert", "update", "delete") if k in ops_after)
        queries = ops_after.get("query", 0) - ops_before.get("query", 0)
        print(f"database server: {writes / count:.2f} writes and {queries / count:.2f} queries per "
              "registration (serverStatus opcounters)")
    else:
        print("database server: opcounters not reported by this server")
    print("CPU seconds per 10 000 registrations (the pipeline; dedup alone in the same run):")
    for name, seconds in {**cpu, **{f"server {n}": s for n, s in servers.items()}}.items():
        target = " (target ≤ 1.0)" if name == "dedup" else ""
        alone_part = f"   alone {alone_cpu[name] / total * 10_000:6.2f}" if name in alone_cpu else ""
        print(f"   {name:36} {seconds / count * 10_000:6.2f}{alone_part}{target}")
    print(f"   {'dedup until it had caught up':36} {dedup_busy / count * 10_000:6.2f} (every registration "
          "read and every population answer applied; the rest of the run it idles)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200_000, help="registrations published at once")
    parser.add_argument("--latency-count", type=int, default=5_000, help="registrations in the paced phase")
    parser.add_argument("--clean-count", type=int, default=5_000,
                        help="clean registrations measured on their own at the end")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    asyncio.run(run(args.count, args.latency_count, args.clean_count, args.seed))


if __name__ == "__main__":
    main()
