"""Reading and emptying many documents by id, ``IN_LIST`` ids to a ``$in``, on the real database:
nothing is left out past the first list, and the query and projection hold for every list."""

from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.common.mongo import IN_LIST, find_in, find_leaving, in_lists
from services.common.outbox import clear

pytestmark = pytest.mark.integration


def test_values_are_split_in_order_into_lists_of_at_most_in_list() -> None:
    values = list(range(2 * IN_LIST + 3))
    assert [len(part) for part in in_lists(values)] == [IN_LIST, IN_LIST, 3]
    assert [v for part in in_lists(values) for v in part] == values
    assert in_lists([]) == []


async def test_every_document_of_many_ids_is_read_and_emptied(
        mongo: AsyncMongoClient[dict[str, Any]], unique: str) -> None:
    docs = mongo[f"in_lists_{unique}"]["docs"]
    count = 3 * IN_LIST + 7
    await docs.insert_many([{"_id": f"d{n}", "version": 1, "even": n % 2 == 0, "has_outbox": True,
                             "outbox": [{"id": f"e{n}"}]} for n in range(count)])
    ids = [f"d{n}" for n in range(count)] + ["unknown"]

    found = await find_in(docs, "_id", ids, {"even": True}, {"version": 1})
    assert sorted(d["_id"] for d in found) == sorted(f"d{n}" for n in range(0, count, 2))
    assert all(set(d) == {"_id", "version"} for d in found)
    held = {f"d{n}" for n in range(2 * IN_LIST)}  # past the first list, as a sweep leaving them out
    left = await find_leaving(docs, {"has_outbox": True}, {"version": 1}, count, held)
    assert {d["_id"] for d in left} == {f"d{n}" for n in range(2 * IN_LIST, count)}

    await clear(docs, [(f"d{n}", 1, [{"id": f"e{n}"}]) for n in range(count)])
    assert await docs.count_documents({"has_outbox": True}) == 0
    assert await docs.count_documents({"outbox": {"$exists": True}}) == 0
    await mongo.drop_database(f"in_lists_{unique}")
