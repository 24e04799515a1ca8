"""The MongoDB client (PyMongo's async API)."""

from collections.abc import Sequence
from typing import Any

from pymongo import AsyncMongoClient, InsertOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from .settings import ServiceSettings


def make_mongo_client(settings: ServiceSettings, app_name: str) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(settings.MONGO_URI.get_secret_value(), appname=app_name, tz_aware=True,
                            serverSelectionTimeoutMS=10_000)


DUPLICATE_KEY = 11000


async def insert_new(collection: AsyncCollection[dict[str, Any]],
                     ops: Sequence[InsertOne[dict[str, Any]] | UpdateOne]) -> set[int]:
    """One unordered bulk write in which a duplicate ``_id`` is an answer, not an error: the
    indexes of the operations that collided (another writer, or a redelivery, got there first)."""
    if not ops:
        return set()
    try:
        await collection.bulk_write(list(ops), ordered=False)
    except BulkWriteError as error:
        errors = error.details["writeErrors"]
        if any(e["code"] != DUPLICATE_KEY for e in errors):
            raise
        return {e["index"] for e in errors}
    return set()
