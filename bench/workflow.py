"""Workflow benchmark: mixed actions at a fixed rate through the running service.

    ./dev bench workflow [--rate 200] [--groups 600]

1. raw database: versioned ``update_one`` of a case-sized document at the same rate
   (p50/p99 write latency, measured in the same run);
2. ``xueji-workflow`` runs as two processes, as deployed at scale: one consuming dedup's
   problem events (which open the groups) and one API replica that consumes nothing
   (``XUEJI_SUBSCRIBE=false``) and serves the requests;
3. mixed actions at ``--rate`` requests/s: attest, review, delete request, leader
   confirmation, reads of a group and of a listing. Each group's actions follow the
   handling path; requests are started on schedule whether or not earlier ones finished.
"""

import argparse
import asyncio
import functools
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from xueji_contracts.enums import IdType, ProblemType, RecordStatus, Role
from xueji_contracts.problems import MemberBrief, ProblemDetected
from xueji_contracts.topics import PROBLEMS

from services.cli.topics import create_topics
from services.common.auth import local_key_pair, mint_token
from services.workflow.settings import WorkflowSettings

from .common import ServiceProcess, machine, percentile

PORT = 8102
CONSUMER_PORT = 8106
EVIDENCE = str(uuid.UUID(int=1))


def member(n: int, district: str) -> MemberBrief:
    return MemberBrief(
        registry_number=f"L{district}2012{n:08d}",
        registry_prefix="L",
        school_code=f"{district}0001",
        district_code=district,
        province_code=district[:2] + "0000",
        status=RecordStatus.PENDING,
        id_type=IdType.RESIDENT_ID,
        masked_name="张*",
    )


async def raw_write_latencies(settings: WorkflowSettings, rate: float, count: int) -> list[float]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.MONGO_URI.get_secret_value())
    collection = client[f"bench_raw_{uuid.uuid4().hex[:8]}"]["cases"]
    doc = {
        "state": {
            "members": {str(i): {"brief": member(i, "110105").model_dump(mode="json")} for i in range(2)}
        }
    }
    await collection.insert_many([{"_id": i, "version": 0, **doc} for i in range(count)])
    latencies: list[float] = []

    async def write(i: int) -> None:
        started = time.perf_counter()
        await collection.update_one({"_id": i, "version": 0}, {"$set": {**doc, "version": 1}})
        latencies.append((time.perf_counter() - started) * 1000)

    await paced([lambda i=i: write(i) for i in range(count)], rate)
    await client.drop_database(collection.database.name)
    await client.close()
    return latencies


async def paced(calls: list[Any], rate: float) -> None:
    """Start each call on schedule (open loop), then wait for all."""
    started, tasks = time.monotonic(), []
    for i, call in enumerate(calls):
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(call()))
    await asyncio.gather(*tasks)


async def open_groups(settings: WorkflowSettings, count: int) -> list[tuple[str, MemberBrief, MemberBrief]]:
    groups = []
    producer = AIOKafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP, linger_ms=5)
    await producer.start()
    try:
        for i in range(count):
            a, b = member(2 * i, "110105"), member(2 * i + 1, "110105")
            event = ProblemDetected(
                producer="bench", group_id=uuid.uuid4(), problem_type=ProblemType.DUPLICATE_ID, members=(a, b)
            )
            await producer.send(PROBLEMS, event.model_dump_json().encode(), key=str(event.group_id).encode())
            groups.append((str(event.group_id), a, b))
        await producer.flush()
    finally:
        await producer.stop()
    return groups


async def until_opened(settings: WorkflowSettings, database: str, count: int) -> None:
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.MONGO_URI.get_secret_value())
    try:
        for _ in range(3600):  # the service writes them; polling its database is the only signal
            if await mongo[database]["workflow_cases"].count_documents({}) >= count:
                return
            await asyncio.sleep(0.5)
    finally:
        await mongo.close()


async def cite_evidence(settings: WorkflowSettings, database: str, groups: list[Any]) -> None:
    """What the evidence service's events would have recorded: one file per attesting member."""
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.MONGO_URI.get_secret_value())
    docs = [
        {
            "_id": f"{g}:{a.registry_number}:{EVIDENCE}",
            "group_id": g,
            "registry_number": a.registry_number,
            "evidence_id": EVIDENCE,
        }
        for g, a, _ in groups
    ]
    await mongo[database]["workflow_evidence"].insert_many(docs)
    await mongo.close()


async def run(rate: float, group_count: int) -> None:
    settings = WorkflowSettings()
    print(f"machine: {machine()}")
    await create_topics(settings, 1, report=lambda _: None)
    print(f"1/3 raw database writes at {rate:.0f}/s …", flush=True)
    raw = await raw_write_latencies(settings, rate, 2000)
    keys = Path(tempfile.mkdtemp())
    private, _ = local_key_pair(keys)
    database = f"bench_wf_{uuid.uuid4().hex[:8]}"
    env = {
        "XUEJI_MONGO_DATABASE": database,
        "XUEJI_CONSUMER_GROUP": f"bench-{database}",
        "XUEJI_JWT_LOCAL_KEY_DIR": str(keys),
    }
    # As deployed at scale: an API replica that consumes nothing, and a replica that consumes.
    api = ServiceProcess(
        "xueji-workflow", PORT, {**env, "XUEJI_SUBSCRIBE": "false"}, Path(".local/bench-wf-api.log")
    )
    consumer = ServiceProcess("xueji-workflow", CONSUMER_PORT, env, Path(".local/bench-wf-consumer.log"))
    consumer.start()
    api.start()
    try:
        print(f"2/3 opening {group_count:,} groups from problem events …", flush=True)
        groups = await open_groups(settings, group_count)
        await until_opened(settings, database, group_count)
        await cite_evidence(settings, database, groups)
        results: list[tuple[str, int, float]] = []
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{PORT}", timeout=30, limits=httpx.Limits(max_connections=200)
        ) as http:
            calls = list(actions(http, private, groups, results))
            print(f"3/3 {len(calls):,} mixed requests at {rate:.0f}/s …", flush=True)
            started = time.perf_counter()
            await paced(calls, rate)
            elapsed = time.perf_counter() - started
    finally:
        api.stop()
        consumer.stop()
    report(raw, results, elapsed)


def actions(http: httpx.AsyncClient, private: bytes, groups: list[Any], results: list[Any]) -> Any:
    """Per group in turn: attest, attest, review (approve), delete request, leader confirmation, reads."""

    @functools.cache  # signing is costly: one token per caller, as a real client keeps it
    def token(role: Role, org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(private, role, org)}"}

    def call(kind: str, method: str, url: str, headers: dict[str, str], body: Any = None) -> Any:
        async def send() -> None:
            started = time.perf_counter()
            try:
                status = (await http.request(method, url, json=body, headers=headers)).status_code
            except httpx.TransportError:
                status = 0  # the connection failed: counted as an error, not a latency
            results.append((kind, status, (time.perf_counter() - started) * 1000))

        return send

    attest = {"action": "attest", "evidence_ids": [EVIDENCE], "opinion": "two children"}
    for stage in range(6):  # every group moves one stage per round, so earlier stages are done
        for group, a, b in groups:
            school, bureau = (
                token(Role.SCHOOL_REGISTRAR, a.school_code),
                token(Role.BUREAU_REGISTRAR, a.district_code),
            )
            base = f"/v1/cases/{group}/members"
            yield [
                call("attest", "POST", f"{base}/{a.registry_number}/actions", school, attest),
                call("read", "GET", f"/v1/cases/{group}", school),
                call(
                    "review", "POST", f"{base}/{a.registry_number}/review", bureau, {"decision": "approved"}
                ),
                call(
                    "delete",
                    "POST",
                    f"{base}/{b.registry_number}/actions",
                    school,
                    {"action": "delete", "confirm": True},
                ),
                call(
                    "confirm",
                    "POST",
                    f"{base}/{b.registry_number}/deletion-confirmation",
                    token(Role.SCHOOL_LEADER, b.school_code),
                ),
                call("list", "GET", "/v1/reviews", bureau),
            ][stage]


def report(raw: list[float], results: list[tuple[str, int, float]], elapsed: float) -> None:
    latencies = [ms for _, status, ms in results if status]
    failures = [(kind, status) for kind, status, _ in results if status >= 400 or status == 0]
    raw_p99, p99 = percentile(raw, 0.99), percentile(latencies, 0.99)
    print(f"\nrequests                 {len(results):,} in {elapsed:.1f} s = {len(results) / elapsed:,.0f}/s")
    print(f"raw database write       p50 {percentile(raw, 0.5):.1f} ms, p99 {raw_p99:.1f} ms")
    print(
        f"workflow actions         p50 {percentile(latencies, 0.5):.1f} ms, p99 {p99:.1f} ms "
        f"→ p99 {p99 - raw_p99:+.1f} ms above raw (target < 50)"
    )
    for kind in ("attest", "review", "delete", "confirm", "read", "list"):
        own = [ms for k, _, ms in results if k == kind]
        p50, p99_own = percentile(own, 0.5), percentile(own, 0.99)
        print(f"   {kind:8} p50 {p50:6.1f} ms  p99 {p99_own:6.1f} ms  n={len(own)}")
    print(f"error responses          {len(failures)} {sorted(set(failures))[:5]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--groups", type=int, default=600, help="groups; six requests each")
    args = parser.parse_args()
    asyncio.run(run(args.rate, args.groups))


if __name__ == "__main__":
    main()
