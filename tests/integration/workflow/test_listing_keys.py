"""Every listing is served by one index over ``listing_keys``: a case stored before it existed is
listed as before, once the store has started, and the eight indexes it replaced are gone."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.common.settings import ServiceSettings
from services.workflow.adapters.store import NARROWEST_FIRST, REPLACED, CaseStore, listing_query
from services.workflow.domain.deadlines import DeadlinePolicy

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


@pytest.fixture
async def database() -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        ServiceSettings().MONGO_URI.get_secret_value(), tz_aware=True)
    db = client[f"wf_keys_{uuid.uuid4().hex[:8]}"]
    yield db
    await client.drop_database(db.name)
    await client.close()


def stored_before(n: int) -> dict[str, Any]:
    """A case as the store wrote it before ``listing_keys``: its query fields only."""
    return {"_id": f"c{n:03d}", "registry_numbers": [f"G1101051990010{n:05d}"], "name_keys": [],
            "school_codes": [f"11010500{n % 2:02d}"], "district_codes": ["110105"],
            "reviews_due": ["110105"] if n % 3 == 0 else [], "arbiter_code": [], "decided_by": [],
            "arbiters": [], "opened_at": NOW - timedelta(minutes=n), "closed": False, "state": {"n": n},
            "version": 1}


async def test_cases_stored_before_are_listed_by_the_one_index_and_the_old_indexes_go(
        database: AsyncDatabase[dict[str, Any]]) -> None:
    cases = database["workflow_cases"]
    for field in NARROWEST_FIRST:
        await cases.create_index([(field, ASCENDING), ("opened_at", DESCENDING)])
    await cases.insert_many([stored_before(n) for n in range(1_200)])  # more than one batch of keys
    store = CaseStore(database, DeadlinePolicy())

    await store.ensure_indexes()
    await store.ensure_indexes()  # a second start finds nothing to do

    names = set(await cases.index_information())
    assert not names & set(REPLACED)
    assert "listing_keys_1_opened_at_-1" in names
    assert await cases.count_documents({"listing_keys": {"$exists": False}}) == 0

    async def ids(scope: dict[str, Any], filters: dict[str, Any]) -> list[str]:
        found = [d async for d in cases.find(listing_query(scope, filters), {"_id": 1}).sort("opened_at", -1)]
        return [d["_id"] for d in found]

    assert len(await ids({"district_codes": "110105"}, {})) == 1_200
    assert await ids({"school_codes": "1101050001"}, {"registry_numbers": "G110105199001000007"}) == ["c007"]
    assert await ids({"school_codes": "1101050000"}, {"registry_numbers": "G110105199001000007"}) == []
    due = await ids({"district_codes": "110105"}, {"reviews_due": "110105"})
    assert due == [f"c{n:03d}" for n in range(0, 1_200, 3)]


async def test_a_new_store_has_one_listing_index_beside_its_sweeps(
        database: AsyncDatabase[dict[str, Any]]) -> None:
    await CaseStore(database, DeadlinePolicy()).ensure_indexes()
    names = set(await database["workflow_cases"].index_information())
    assert names == {"_id_", "listing_keys_1_opened_at_-1", "has_outbox_1", "next_timer_at_1",
                     "tally_pending_1", "opened_at_-1"}


async def test_two_replicas_starting_at_once_both_start(database: AsyncDatabase[dict[str, Any]]) -> None:
    """Both find the old indexes, both give the old cases their keys, and whichever drops an index
    second finds it gone: neither fails to start."""
    cases = database["workflow_cases"]
    for field in NARROWEST_FIRST:
        await cases.create_index([(field, ASCENDING), ("opened_at", DESCENDING)])
    await cases.insert_many([stored_before(n) for n in range(50)])
    await asyncio.gather(*(CaseStore(database, DeadlinePolicy()).ensure_indexes() for _ in range(3)))
    assert not set(await cases.index_information()) & set(REPLACED)
    assert await cases.count_documents({"listing_keys": {"$exists": False}}) == 0
