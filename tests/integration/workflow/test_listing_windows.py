"""A listing read in growing windows of ``opened_at`` gives exactly the page one query over
everything gives, whatever the page, the filters and the spread of the cases over time."""

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.common.settings import ServiceSettings
from services.workflow.adapters.store import CaseStore
from services.workflow.domain.deadlines import DeadlinePolicy

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


@pytest.fixture
async def store() -> AsyncIterator[CaseStore]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        ServiceSettings().MONGO_URI.get_secret_value(), tz_aware=True)
    database = client[f"wf_windows_{uuid.uuid4().hex[:8]}"]
    cases = CaseStore(database, DeadlinePolicy())
    await cases.ensure_indexes()
    rng = random.Random(7)
    ages = ([timedelta(minutes=rng.randrange(60 * 20)) for _ in range(40)]  # today
            + [timedelta(days=rng.uniform(1, 40)) for _ in range(150)]  # the campaign
            + [timedelta(days=rng.uniform(300, 700)) for _ in range(10)])  # long ago
    await cases.cases.insert_many([
        {"_id": f"c{n:04d}", "district_codes": ["110105" if n % 3 else "110108"], "opened_at": NOW - age,
         "problem_type": "DUPLICATE_ID" if n % 2 else "ID_NOT_FOUND", "state": {"n": n}, "version": 1}
        for n, age in enumerate(ages)])
    yield cases
    await client.drop_database(database.name)
    await client.close()


@pytest.mark.parametrize(("offset", "limit"), [(0, 20), (20, 20), (0, 50), (100, 20), (120, 20), (0, 200)])
@pytest.mark.parametrize("filters", [
    {"district_codes": "110105"},
    {"district_codes": "110105", "problem_type": "DUPLICATE_ID"},
    {"district_codes": "110108", "opened_at": {"$gte": NOW - timedelta(days=10)}},
    {"district_codes": "110105", "opened_at": {"$lt": NOW - timedelta(days=5)}},
    {},
])
async def test_windows_give_the_page_one_query_gives(store: CaseStore, filters: dict[str, Any], offset: int,
                                                     limit: int) -> None:
    whole = await store._page(filters, offset, limit)
    windowed = await store._page_in_windows(filters, offset, limit)
    assert [d["_id"] for d in windowed] == [d["_id"] for d in whole]
