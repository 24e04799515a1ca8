"""Delivery jobs in MongoDB: one per endpoint and case event, written when the event is consumed.

- ``notify_jobs``: ``_id`` ``<province>:<event id>`` (a redelivered event finds its job), the exact
  body, the group, its place on the province's topic (``partition``, ``offset``: a group's events
  are on one partition in the order they were written), the state (queued → in_flight →
  delivered | parked), attempts, when it may go next and, while in flight, its lease.
- ``notify_endpoints``: per endpoint, the replica holding it (one sender per endpoint at a time,
  whichever replica) and its circuit.

A job goes only when no earlier job of its group for that endpoint is still queued or in flight:
a later event of a group never overtakes an earlier one that has not been delivered or parked.
A job whose sender died in flight (its lease ran out) is queued again, so nothing is lost; it may
then reach the endpoint twice, which receivers drop by ``X-Xueji-Event-Id``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from bson import Binary
from pymongo import ASCENDING, InsertOne, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.mongo import insert_new

from ..domain.delivery import Circuit
from ..ports import NewJob

Doc = dict[str, Any]
QUEUED, IN_FLIGHT, DELIVERED, PARKED = "queued", "in_flight", "delivered", "parked"
STATES = (QUEUED, IN_FLIGHT, DELIVERED, PARKED)
WAITING = (QUEUED, IN_FLIGHT)
CANDIDATES = 20  # queued jobs looked at per pick (the earliest of each group among them goes)


@dataclass(frozen=True)
class Job:
    id: str
    endpoint: str
    event_id: str
    group_id: str
    body: bytes
    attempts: int
    queued_at: datetime

    @classmethod
    def of(cls, doc: Doc) -> "Job":
        return cls(id=doc["_id"], endpoint=doc["endpoint"], event_id=doc["event_id"],
                   group_id=doc["group_id"],
                   body=bytes(doc["body"]), attempts=doc["attempts"], queued_at=doc["queued_at"])


def job_id(endpoint: str, event_id: str) -> str:
    return f"{endpoint}:{event_id}"


class JobStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.jobs = db["notify_jobs"]
        self.endpoints = db["notify_endpoints"]

    async def ensure_indexes(self) -> None:
        await self.jobs.create_index([("endpoint", ASCENDING), ("state", ASCENDING), ("next_at", ASCENDING)])
        await self.jobs.create_index(
            [("endpoint", ASCENDING), ("group_id", ASCENDING), ("offset", ASCENDING)])

    async def enqueue(self, jobs: Sequence[NewJob], now: datetime) -> None:
        """Each event's job for its endpoint, once: a redelivered event leaves its job as it is."""
        await insert_new(self.jobs, [InsertOne({
            "_id": job_id(j.endpoint, j.event_id), "endpoint": j.endpoint, "event_id": j.event_id,
            "group_id": j.group_id, "body": Binary(j.body), "partition": j.partition, "offset": j.offset,
            "sequence": j.sequence, "state": QUEUED, "attempts": 0, "next_at": now, "queued_at": now})
            for j in jobs])

    # the endpoint: who sends, and its circuit
    async def hold(self, endpoint: str, holder: str, now: datetime, lease: timedelta) -> bool:
        """Take or keep the endpoint for ``lease``; False while another replica holds it."""
        found = await self.endpoints.find_one_and_update(
            {"_id": endpoint, "$or": [{"holder": holder}, {"held_until": {"$lte": now}},
                                      {"held_until": {"$exists": False}}]},
            {"$set": {"holder": holder, "held_until": now + lease}}, return_document=ReturnDocument.AFTER)
        if found is not None:
            return True
        try:
            await self.endpoints.insert_one({"_id": endpoint, "holder": holder, "held_until": now + lease})
        except DuplicateKeyError:  # another replica created it meanwhile, and holds it
            return False
        return True

    async def release(self, endpoint: str, holder: str) -> None:
        await self.endpoints.update_one({"_id": endpoint, "holder": holder}, {"$unset": {"held_until": ""}})

    async def circuit(self, endpoint: str) -> Circuit:
        doc = await self.endpoints.find_one({"_id": endpoint}) or {}
        c = doc.get("circuit") or {}
        return Circuit(failures=c.get("failures", 0), opened=c.get("opened", 0),
                       open_until=c.get("open_until"))

    async def set_circuit(self, endpoint: str, circuit: Circuit) -> None:
        await self.endpoints.update_one(
            {"_id": endpoint}, {"$set": {"circuit": {"failures": circuit.failures, "opened": circuit.opened,
                                                     "open_until": circuit.open_until}}}, upsert=True)

    # the jobs
    async def next_jobs(self, endpoint: str, now: datetime, lease: timedelta, limit: int,
                        each: timedelta = timedelta(0)) -> list[Job]:
        """Up to ``limit`` due jobs of the endpoint, each the earliest still waiting of its group, now in
        flight, in the order they are due: the ``n``-th (from 0) leased for ``lease + n × each``, as it
        is sent after the ones before it (``each``: the longest one attempt takes)."""
        due = await self._due_heads(endpoint, now, limit)
        if not due:
            return []
        claim = uuid4().hex  # which of them this call took (another sender may take one first)
        await self.jobs.bulk_write(
            [UpdateOne({"_id": job, "state": QUEUED},
                       {"$set": {"state": IN_FLIGHT, "lease_until": now + lease + each * n, "claim": claim}})
             for n, job in enumerate(due)], ordered=False)
        taken = {d["_id"]: Job.of(d) async for d in self.jobs.find({"_id": {"$in": due}, "claim": claim})}
        return [taken[job] for job in due if job in taken]

    async def _due_heads(self, endpoint: str, now: datetime, limit: int) -> list[str]:
        """The ids of due jobs that are the earliest waiting job of their group, earliest due first.

        The groups are those of the earliest due queued jobs (``CANDIDATES``). A group's head may be
        a job that is not among those: one tried again later than the group's later jobs were
        queued for, or queued again after a pause. It is found all the same, so a group whose head
        waits never hides the heads of the others. When none of those groups has a due head, the
        next groups are looked at once more.
        """
        blocked: list[str] = []
        for _ in range(2):
            found = self.jobs.find({"endpoint": endpoint, "state": QUEUED, "next_at": {"$lte": now},
                                    **({"group_id": {"$nin": blocked}} if blocked else {})},
                                   {"group_id": 1}).sort("next_at", ASCENDING).limit(CANDIDATES)
            groups = sorted({d["group_id"] async for d in found})
            if not groups:
                return []
            waiting = {"endpoint": endpoint, "group_id": {"$in": groups}, "state": {"$in": list(WAITING)}}
            heads = await self.jobs.aggregate([
                {"$match": waiting},
                {"$sort": {"offset": ASCENDING}},
                {"$group": {"_id": "$group_id", "job": {"$first": "$_id"}, "state": {"$first": "$state"},
                            "next_at": {"$first": "$next_at"}}}])
            firsts = [d async for d in heads]
            due = sorted((d for d in firsts if d["state"] == QUEUED and d["next_at"] <= now),
                         key=lambda d: d["next_at"])
            if due:
                return [d["job"] for d in due[:limit]]
            blocked += groups
        return []

    async def reclaim(self, endpoint: str, now: datetime, every: bool = False) -> None:
        """Jobs whose sender died in flight (their lease ran out) are due again; with ``every``, all the
        endpoint's jobs in flight (it was just taken: whoever took them holds it no longer)."""
        query: Doc = {"endpoint": endpoint, "state": IN_FLIGHT}
        if not every:
            query["lease_until"] = {"$lte": now}
        await self.jobs.update_many(query, {"$set": {"state": QUEUED, "next_at": now}})

    async def delivered(self, job: Job, attempts: int, now: datetime) -> None:
        await self.jobs.update_one({"_id": job.id}, {
            "$set": {"state": DELIVERED, "attempts": attempts, "delivered_at": now},
            "$unset": {"lease_until": "", "body": ""}})  # delivered: its body is not kept

    async def retry(self, job: Job, attempts: int, at: datetime, reason: str) -> None:
        await self.jobs.update_one({"_id": job.id}, {
            "$set": {"state": QUEUED, "attempts": attempts, "next_at": at, "last_reason": reason},
            "$unset": {"lease_until": ""}})

    async def put_back(self, job: Job, at: datetime) -> None:
        """Taken but not sent (its endpoint paused, or another replica took it over, meanwhile):
        queued again as it was."""
        await self.jobs.update_one({"_id": job.id}, {"$set": {"state": QUEUED, "next_at": at},
                                                     "$unset": {"lease_until": ""}})

    async def park(self, job: Job, attempts: int, reason: str, now: datetime) -> None:
        await self.jobs.update_one({"_id": job.id}, {
            "$set": {"state": PARKED, "attempts": attempts, "last_reason": reason, "parked_at": now},
            "$unset": {"lease_until": ""}})

    async def requeue_parked(self, endpoint: str | None, now: datetime) -> int:
        """Parked jobs queued again with a new horizon (in their order: a group's earliest goes first)."""
        query: Doc = {"state": PARKED, **({"endpoint": endpoint} if endpoint else {})}
        result = await self.jobs.update_many(query, {"$set": {"state": QUEUED, "attempts": 0, "next_at": now,
                                                              "queued_at": now}})
        return result.modified_count

    # what operators see
    async def summary(self, now: datetime) -> list[Doc]:
        """Per endpoint: jobs by state, the oldest waiting job's age, and the circuit."""
        endpoints = sorted({d["_id"] async for d in self.endpoints.find({}, {"_id": 1})}
                           | set(await self.jobs.distinct("endpoint")))
        rows = []
        for endpoint in endpoints:
            counts = {state: await self.jobs.count_documents({"endpoint": endpoint, "state": state})
                      for state in STATES}
            oldest = await self.jobs.find_one({"endpoint": endpoint, "state": {"$in": list(WAITING)}},
                                              {"queued_at": 1}, sort=[("queued_at", ASCENDING)])
            age = (now - oldest["queued_at"]).total_seconds() if oldest else 0.0
            circuit = await self.circuit(endpoint)
            rows.append({"endpoint": endpoint, **counts, "oldest_waiting_seconds": max(age, 0.0),
                         "circuit": circuit.state(now).value, "circuit_open_until": circuit.open_until})
        return rows

    async def list_jobs(self, endpoint: str | None, state: str | None, offset: int, limit: int
                        ) -> tuple[bool, list[Doc]]:
        query: Doc = {k: v for k, v in (("endpoint", endpoint), ("state", state)) if v}
        found = self.jobs.find(query, {"body": 0}).sort("queued_at", ASCENDING).skip(offset).limit(limit + 1)
        docs = [d async for d in found]
        return len(docs) > limit, docs[:limit]
