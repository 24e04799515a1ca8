from typing import Any
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient

from services.common.idempotency import ProcessedEvents

pytestmark = pytest.mark.integration


async def test_a_redelivered_event_is_recognised(
    mongo: AsyncMongoClient[dict[str, Any]], unique: str
) -> None:
    processed = ProcessedEvents(mongo.idempotency[f"p{unique}"], "consumer-a")
    event_id = uuid4()
    assert await processed.first_time(event_id) is True
    assert await processed.first_time(event_id) is False


async def test_batches_mark_and_filter_seen_ids(mongo: AsyncMongoClient[dict[str, Any]], unique: str) -> None:
    processed = ProcessedEvents(mongo.idempotency[f"b{unique}"], "consumer-b")
    await processed.ensure_indexes()
    first, second, third = uuid4(), uuid4(), uuid4()
    await processed.mark([first, second])
    await processed.mark([second])  # marking twice is harmless
    assert await processed.unseen([first, second, third]) == {str(third)}


async def test_consumers_keep_separate_records(mongo: AsyncMongoClient[dict[str, Any]], unique: str) -> None:
    collection = mongo.idempotency[f"c{unique}"]
    event_id = uuid4()
    assert await ProcessedEvents(collection, "a").first_time(event_id)
    assert await ProcessedEvents(collection, "b").first_time(event_id)
