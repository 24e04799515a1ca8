"""Settlement benchmark: the identity index's writes when schools settle duplicate records.

    ./dev bench settlement [--pairs 2000]

On the benchmark stack's database, with the index's own use case (``Indexer``) and no broker:
``--pairs`` records each register alone on an ID number (each founds its key's group, stored in
that group's document), then as many records register on the same numbers, one each, making
as many duplicate groups. Then every founder is marked formal (``MarkFormal``, as the workflow
sends once a school has settled), in batches of 100, as dedup applies a batch of commands.

It prints the settlement actions per second and the database's update statements per action
(counted by a command listener on the driver), beside the raw limit measured in the same run:
one bulk update per batch of 100 documents, one statement each, the least a change of a record
and its brief could cost. Left out: the broker, the outbox relay (the outboxes are left full,
as the relay would empty them after publishing), the joiners' settlement (their records are
stored apart from the group: two updates each, unchanged) and every other service.
"""

import argparse
import asyncio
import time
import uuid
from datetime import date
from typing import Any

from pymongo import AsyncMongoClient, UpdateOne
from xueji_contracts.commands import MarkFormal
from xueji_contracts.enums import RecordStatus
from xueji_contracts.students import StudentRecord, StudentRegistered

from services.dedup.adapters.store import IdentityStore
from services.dedup.adapters.vault import Vault
from services.dedup.demo import Generator
from services.dedup.domain.identity import record_state
from services.dedup.settings import DedupSettings
from services.dedup.usecases import Indexer, changes
from services.dedup.usecases.index import Change

from .common import Statements, machine

BATCH = 100
PEPPER = b"settlement-benchmark-pepper-0000"
TODAY = date(2026, 9, 1)


def pairs(count: int, seed: int) -> tuple[list[StudentRecord], list[StudentRecord]]:
    """Founders on distinct resident ID numbers, and a joiner on each one's number."""
    founders: list[StudentRecord] = []
    numbers: set[str] = set()
    for r in Generator(seed=seed).stream(count * 3):
        state = record_state(r, PEPPER, TODAY)
        fresh = r.id_number is not None and r.id_number not in numbers
        if fresh and r.id_number and state.checks_by_number and state.id_problem() is None:
            numbers.add(r.id_number)
            founders.append(r.model_copy(update={"status": RecordStatus.PENDING}))  # 未核办, to settle
        if len(founders) == count:
            break
    joiners = [r.model_copy(update={"registry_number": f"L{n:018d}", "name": r.name + "甲"})
               for n, r in enumerate(founders)]
    return founders, joiners


def registered(records: list[StudentRecord]) -> list[Change]:
    return [changes.registered(StudentRegistered(producer="bench", record=r), PEPPER, TODAY) for r in records]


async def run(count: int, seed: int) -> None:
    settings = DedupSettings()
    listener = Statements()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.MONGO_URI.get_secret_value(),
                                                                event_listeners=[listener])
    db = client[f"bench_settlement_{uuid.uuid4().hex[:8]}"]
    try:
        store = IdentityStore(db, Vault(PEPPER))
        await store.ensure_indexes()
        indexer = Indexer(store, PEPPER, lambda: TODAY)
        founders, joiners = pairs(count, seed)
        print(f"machine: {machine()}")
        print(f"1/3 {len(founders):,} founders, then {len(joiners):,} joiners on their numbers …", flush=True)
        for group in (founders, joiners):
            for i in range(0, len(group), BATCH):
                await indexer.apply(registered(group[i:i + BATCH]))
        print(f"2/3 each founder marked formal, {BATCH} at a time …", flush=True)
        listener.sent.clear()
        started = time.perf_counter()
        for i in range(0, len(founders), BATCH):
            await indexer.apply([changes.mark_formal(MarkFormal(producer="bench", group_id=uuid.uuid4(),
                                                                registry_number=r.registry_number))
                                 for r in founders[i:i + BATCH]])
        elapsed = time.perf_counter() - started
        statements = sum(listener.of("update").values())
        print("3/3 raw: one bulk update per batch, one statement a document …", flush=True)
        ids = [d["_id"] async for d in db["dedup_groups"].find({}, {"_id": 1})]
        raw_started = time.perf_counter()
        for i in range(0, len(ids), BATCH):
            await db["dedup_groups"].bulk_write([UpdateOne({"_id": d}, {"$inc": {"touched": 1}})
                                                 for d in ids[i:i + BATCH]], ordered=False)
        raw_rate = len(ids) / (time.perf_counter() - raw_started)
        print(f"\nsettlement actions        {len(founders) / elapsed:,.0f}/s "
              f"({len(founders):,} founders marked formal)")
        print(f"update statements         {statements / len(founders):.2f} per action")
        print(f"raw database              {raw_rate:,.0f} documents/s updated, one statement each, "
              f"in bulk writes of {BATCH}")
    finally:
        await client.drop_database(db.name)
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    asyncio.run(run(args.pairs, args.seed))


if __name__ == "__main__":
    main()
