"""Progress benchmark: the database's work to count new cases into the progress counters.

    ./dev bench progress [--cases 2000]

On the benchmark stack's database, with the workflow's own stores and no broker:

1. ``--cases`` duplicate cases open, two members each, in schools of the demo's districts (most
   cases span two districts), 500 cases a write as the workflow opens a batch of problems; none
   is counted yet (each waits with ``tally_pending``);
2. the workflow's progress sweep counts them all (``ProgressStore.sweep``, up to 200 cases a
   pass; the outbox relay's ``count_and_empty`` takes the same steps for what it published);
3. raw, in the same run: one bulk insert of one small document per case.

It prints the cases counted per second, the database server's CPU per case (from /proc) beside
the raw insert's, and the write statements per case by collection (a command listener on the
driver), and checks the counters against the cases' tallies. Left out: the broker and the
relay, changes of cases already counted (only new cases), two projectors at once, and every
other service.
"""

import argparse
import asyncio
import random
import time
import uuid
from collections import Counter
from typing import Any

from pymongo import AsyncMongoClient
from xueji_contracts.enums import IdType, ProblemType, RecordStatus
from xueji_contracts.problems import MemberBrief, ProblemDetected

from services.dedup.demo import DISTRICTS
from services.workflow import usecases
from services.workflow.adapters.progress import ProgressStore
from services.workflow.adapters.store import CaseStore
from services.workflow.cases import Cases
from services.workflow.domain.case import Case
from services.workflow.domain.deadlines import DeadlinePolicy
from services.workflow.domain.progress import Key, tally
from services.workflow.settings import WorkflowSettings

from .common import Statements, machine, tree_cpu_seconds
from .pipeline import server_pids

OPENED_AT_ONCE = 500


class NoRelay:
    """The cases' outboxes are left as written: this measures the counting alone."""

    async def publish(self, written: Any) -> None:
        pass


def member(n: int, district: str, school: int) -> MemberBrief:
    return MemberBrief(registry_number=f"L{district}2012{n:08d}", registry_prefix="L",
                       school_code=f"{district}{school:04d}", district_code=district,
                       province_code=district[:2] + "0000", status=RecordStatus.PENDING,
                       id_type=IdType.RESIDENT_ID, masked_name="张*")


def problems(count: int, seed: int) -> list[ProblemDetected]:
    """Duplicate cases of two members, each in one of 40 schools of a demo district (as the demo's)."""
    rng = random.Random(seed)
    events = []
    for n in range(count):
        members = tuple(member(2 * n + k, rng.choice(DISTRICTS), rng.randrange(1, 40)) for k in range(2))
        events.append(ProblemDetected(producer="bench", group_id=uuid.uuid4(),
                                      problem_type=ProblemType.DUPLICATE_ID, members=members))
    return events


async def recount_matches(db: Any, policy: DeadlinePolicy) -> bool:
    """The counters are the sums of every case's tally."""
    expected: dict[str, Counter[str]] = {}
    async for doc in db["workflow_cases"].find({}, {"state": 1, "version": 1}):
        for key, n in tally(Case.model_validate({**doc["state"], "version": doc["version"]}), policy).items():
            parsed = Key.parse(key)
            expected.setdefault(parsed.code, Counter())[parsed.metric] += n
    stored = {d["_id"]: Counter({k: v for k, v in d.get("n", {}).items() if v})
              async for d in db["workflow_progress"].find()}
    return {c: n for c, n in stored.items() if n} == {c: n for c, n in expected.items() if n}


async def run(count: int, seed: int) -> None:
    settings = WorkflowSettings()
    listener = Statements()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.MONGO_URI.get_secret_value(), tz_aware=True, event_listeners=[listener])
    db = client[f"bench_progress_{uuid.uuid4().hex[:8]}"]
    database_pid = server_pids()["mongodb"]
    policy = DeadlinePolicy()
    try:
        store = CaseStore(db, policy)
        progress = ProgressStore(db)
        await store.ensure_indexes()
        await progress.ensure_indexes()
        cases = Cases(store, NoRelay(), settings.RULE_SET, settings.member_ref, policy=policy)
        print(f"machine: {machine()}")
        print(f"1/3 {count:,} cases open, {OPENED_AT_ONCE} a write, none counted yet …", flush=True)
        events = problems(count, seed)
        for i in range(0, count, OPENED_AT_ONCE):
            await usecases.open_cases(cases, events[i:i + OPENED_AT_ONCE])
        print("2/3 the progress sweep counts them …", flush=True)
        listener.sent.clear()
        cpu_before, started = tree_cpu_seconds(database_pid), time.perf_counter()
        counted = 0
        while taken := await progress.sweep():
            counted += taken
            print(f"   … {counted:,} / {count:,} counted", flush=True)
        elapsed, cpu = time.perf_counter() - started, tree_cpu_seconds(database_pid) - cpu_before
        statements = listener.of()
        exact = await recount_matches(db, policy)
        print("3/3 raw: one bulk insert of one document per case …", flush=True)
        raw_cpu_before, raw_started = tree_cpu_seconds(database_pid), time.perf_counter()
        await db["raw"].insert_many([{"_id": str(uuid.uuid4()), "n": n} for n in range(count)])
        raw_elapsed = time.perf_counter() - raw_started
        raw_cpu = tree_cpu_seconds(database_pid) - raw_cpu_before

        print(f"\ncases counted             {count / elapsed:,.0f}/s ({count:,} cases, {elapsed:.1f} s)")
        print(f"database CPU              {1000 * cpu / count:.2f} ms a case "
              f"(raw insert {1000 * raw_cpu / count:.3f} ms a document, {count / raw_elapsed:,.0f}/s)")
        print("write statements per case, by collection:")
        for name, n in sorted(statements.items(), key=lambda kv: -kv[1]):
            print(f"   {name:28s} {n / count:6.2f}")
        print(f"   {'all':28s} {sum(statements.values()) / count:6.2f}")
        print(f"counters against the cases' tallies: {'exact' if exact else 'NOT EXACT'}")
    finally:
        await client.drop_database(db.name)
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    asyncio.run(run(args.cases, args.seed))


if __name__ == "__main__":
    main()
