"""The MongoDB client (PyMongo's async API), and what it asks of the database."""

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from prometheus_client import Counter
from pymongo import AsyncMongoClient, InsertOne, UpdateOne, monitoring
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from .settings import ServiceSettings

DB_CALLS = Counter("xueji_db_calls", "Commands this process sent to the database, by command and collection",
                   ["command", "collection"])
DB_CALL_SECONDS = Counter("xueji_db_call_seconds", "Time from sending a database command to its answer, "
                          "summed, by command and collection", ["command", "collection"])


class DatabaseCalls(monitoring.CommandListener):
    """Counts each command by its name and collection (PyMongo's command monitoring); it reads nothing
    else of a command, so no value, and no personal data, reaches a label."""

    def __init__(self) -> None:
        self._sent: dict[tuple[Any, int], tuple[str, str]] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        target = event.command.get(name)
        collection = target if isinstance(target, str) else event.command.get("collection", "")
        self._sent[event.connection_id, event.request_id] = (name, str(collection))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._answered(event)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._answered(event)

    def _answered(self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent) -> None:
        if labels := self._sent.pop((event.connection_id, event.request_id), None):
            DB_CALLS.labels(*labels).inc()
            DB_CALL_SECONDS.labels(*labels).inc(event.duration_micros / 1e6)


def make_mongo_client(settings: ServiceSettings, app_name: str) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(settings.MONGO_URI.get_secret_value(), appname=app_name, tz_aware=True,
                            serverSelectionTimeoutMS=10_000, event_listeners=[DatabaseCalls()])


T = TypeVar("T")

IN_LIST = 50
"""The most values one ``$in`` carries. SecantusDB (STACK.md) matches every document a query reads
against the whole list, so each document costs in proportion to the list: reading 600 documents
by ``_id`` took 0.35 ms a document in one list, 0.15 in lists of 200, 0.08 in lists of 50 and 0.10
in lists of 25; emptying their outboxes (``UpdateMany``) 0.84, 0.44, 0.28 and 0.34 ms."""


def in_lists(values: Iterable[T]) -> list[list[T]]:
    """``values`` in lists of at most ``IN_LIST``, one per ``$in``."""
    listed = list(values)
    return [listed[start:start + IN_LIST] for start in range(0, len(listed), IN_LIST)]


async def find_in(collection: AsyncCollection[dict[str, Any]], field: str, values: Iterable[Any],
                  query: Mapping[str, Any] | None = None,
                  projection: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The documents whose ``field`` is one of ``values`` (and that match ``query``), read ``IN_LIST``
    values at a time."""
    found: list[dict[str, Any]] = []
    for part in in_lists(values):
        found += [d async for d in collection.find({**(query or {}), field: {"$in": part}},
                                                   dict(projection) if projection is not None else None)]
    return found


DUPLICATE_KEY = 11000
INDEX_NOT_FOUND = 27


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


async def find_leaving(collection: AsyncCollection[dict[str, Any]], query: Mapping[str, Any],
                       projection: Mapping[str, Any], limit: int,
                       leave: Collection[Any] = ()) -> list[dict[str, Any]]:
    """Up to ``limit`` documents matching ``query``, but none whose ``_id`` is in ``leave``.

    The ids are left out here, not with ``$nin`` in the query: SecantusDB (STACK.md) checks a ``$nin``
    list against every document it reads, so a sweep leaving out the 2 000 documents a relay holds
    took 5.5 s, against 0.09 s for reading ``limit + len(leave)`` ids, dropping those, and then the
    documents by ``_id``. Under load ``leave`` could fill the limit, hence the larger first read.
    """
    if not leave:
        return [d async for d in collection.find(dict(query), dict(projection)).limit(limit)]
    found = collection.find(dict(query), {"_id": 1}).limit(limit + len(leave))
    ids = [d["_id"] async for d in found if d["_id"] not in leave][:limit]
    if not ids:
        return []
    return await find_in(collection, "_id", ids, query, projection)
