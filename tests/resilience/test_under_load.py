"""Under a steady load, services killed (-9), the broker and the database restarted: afterwards
every count is exact.

Bounded in time, on loopback only. Registrations of duplicate pairs arrive in waves while one
school deletes its member of each pair as soon as it can (registrar, then leader), retrying as a
person would when the workflow is away. After each wave but the last, one thing is disrupted:
each service (dedup, the workflow, notify, evidence, the population stand-in) is killed without
warning and restarted; then the broker is restarted; then the database. Poison messages go to
every topic the services consume. When the load has drained:
- every registration is in the identity index once, and each deleted record is deleted;
- every pair is one group and one case, and every case closed; the evidence service knows the
  members of each;
- each case was announced once and closed once: one distinct ``case.group_opened`` and one
  ``case.group_closed`` event per group on its province's topic (a crash may publish an event
  again, with the same id, which consumers drop; no second event is ever made);
- the other school has exactly one inbox entry per group opened and one per group closed;
- no request was answered with an error other than "unavailable, retry" (503);
- every poison message is in the dead-letter topic, and the consumers went on.
"""

import asyncio
import random
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo import MongoClient
from xueji_contracts.enums import Gender, Role
from xueji_contracts.students import StudentRecord, StudentRegistered
from xueji_contracts.topics import (
    DEAD_LETTERS,
    DEDUP_COMMANDS,
    EVIDENCE,
    POPULATION_RESULTS,
    PROBLEMS,
    REGISTRATIONS,
    case_topic,
)

from services.common.settings import ServiceSettings
from services.dedup.adapters import store
from services.dedup.adapters.vault import Vault
from services.dedup.demo import synthetic_id_number

from ..consumer_groups import read_all
from ..messages import decoded_or_none
from ..system import SERVICES, System, eventually, running_system
from ..unit.dedup.factories import BIRTH, record

pytestmark = pytest.mark.integration
STACK = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.py"
# one after each wave but the last
DISRUPTIONS = ("dedup", "workflow", "notify", "evidence", "population-standin", "kafka", "mongodb")
PAIRS_PER_WAVE, WAVES = 8, len(DISRUPTIONS) + 1
SCHOOL_A, SCHOOL_B = "6301020001", "6301030002"
POISONED = (REGISTRATIONS, POPULATION_RESULTS, DEDUP_COMMANDS, PROBLEMS, EVIDENCE, case_topic("630000"))


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("resilience")) as running:
        yield running


def pairs(count: int, rng: random.Random) -> list[tuple[StudentRecord, StudentRecord]]:
    made = []
    for _ in range(count):
        birth = BIRTH + timedelta(days=rng.randrange(3000))  # with the sequence digits: never a collision
        number = synthetic_id_number(rng, "630102", birth, Gender.FEMALE)
        serial = rng.randrange(10, 9990)
        made.append(
            (
                record(
                    serial,
                    district="630102",
                    number=number,
                    school=SCHOOL_A,
                    gender=Gender.FEMALE,
                    birth=birth,
                ),
                record(
                    serial + 1,
                    district="630103",
                    number=number,
                    school=SCHOOL_B,
                    gender=Gender.FEMALE,
                    birth=birth,
                ),
            )
        )
    return made


async def send(messages: list[tuple[str, bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=ServiceSettings().KAFKA_BOOTSTRAP)
    await producer.start()
    try:
        for topic, key, value in messages:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


def disrupt(system: System, name: str) -> None:
    """``kill -9`` a service and start it again, or restart a server of the local stack."""
    if name in SERVICES:
        system.restart_after_kill(name)
        return
    stack = {line.split("=", 1)[1] for line in stack_output("env").splitlines()}
    assert ServiceSettings().KAFKA_BOOTSTRAP in stack, "run with ./dev test: the stack's ports are unknown"
    stack_output("restart", name)


def stack_output(*arguments: str) -> str:
    command = [sys.executable, str(STACK), *arguments]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603


class DeletingSchool(threading.Thread):
    """School B deletes its member of every open case of ours: the registrar asks, the leader confirms.

    Like a person, it tries again when the workflow does not answer or asks to retry later; any other
    error is kept in ``errors``."""

    def __init__(self, system: System, ours: set[str]) -> None:
        super().__init__(daemon=True)
        self.system, self.ours = system, ours
        self.stopped = threading.Event()
        self.errors: list[str] = []

    def run(self) -> None:
        with (
            self.system.client("workflow", Role.SCHOOL_REGISTRAR, SCHOOL_B) as registrar,
            self.system.client("workflow", Role.SCHOOL_LEADER, SCHOOL_B) as leader,
        ):
            while not self.stopped.wait(0.5):
                try:
                    self.act(registrar, leader)
                except httpx.TransportError:
                    continue  # killed and restarting

    def act(self, registrar: httpx.Client, leader: httpx.Client) -> None:
        listing = self.checked(registrar.get("/v1/cases", params={"page_size": 200, "status": "open"}))
        for case in listing.json()["items"] if listing.status_code == 200 else []:
            for member in case["members"]:
                rn = member["registry_number"]
                url = f"/v1/cases/{case['group_id']}/members/{rn}"
                if rn in self.ours and member["stage"] == "to_handle":
                    self.checked(registrar.post(f"{url}/actions", json={"action": "delete", "confirm": True}))
                elif rn in self.ours and member["stage"] == "awaiting_leader":
                    self.checked(leader.post(f"{url}/deletion-confirmation"))

    def checked(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400 and response.status_code not in (409, 503):  # 409: raced itself
            self.errors.append(f"{response.request.method} {response.request.url.path}: "
                               f"{response.status_code} {response.text[:200]}")
        return response


def inbox_of(system: System, school: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    with system.client("notify", Role.SCHOOL_REGISTRAR, school) as inbox:
        page, more = 1, True
        while more:
            body = inbox.get("/v1/inbox", params={"page_size": 200, "page": page}).json()
            items, more, page = items + body["items"], body["has_more"], page + 1
    return items


async def test_disrupted_under_load_the_system_loses_nothing_and_doubles_nothing(system: System) -> None:
    rng = random.Random(uuid.uuid4().int)
    all_pairs: list[tuple[StudentRecord, StudentRecord]] = []
    poison_key = f"poison-{system.unique}".encode()
    await send([(topic, poison_key, b"{not json") for topic in POISONED])
    school_b = DeletingSchool(system, set())
    school_b.start()
    for wave in range(WAVES):
        batch = pairs(PAIRS_PER_WAVE, rng)
        all_pairs += batch
        school_b.ours |= {b.registry_number for _, b in batch}
        await send([
            (REGISTRATIONS, rec.registry_number.encode(),
             StudentRegistered(producer="province", record=rec).model_dump_json().encode())
            for pair in batch
            for rec in pair
        ])
        if wave < len(DISRUPTIONS):
            await asyncio.sleep(1.5)  # mid-flight
            await asyncio.to_thread(disrupt, system, DISRUPTIONS[wave])

    ours = {rec.registry_number for pair in all_pairs for rec in pair}
    with MongoClient[dict[str, Any]](ServiceSettings().MONGO_URI.get_secret_value()) as mongo:
        db = mongo[system.database]

        def cases_of_ours() -> list[dict[str, Any]]:
            found = db["workflow_cases"].find({"district_codes": "630102"}, {"state": 1, "closed": 1})
            return [c for c in found if set(c["state"]["members"]) <= ours]

        def drained() -> bool:
            return len([c for c in cases_of_ours() if c["closed"]]) >= len(all_pairs)

        try:
            await asyncio.to_thread(eventually, drained, 240, 1.0)
        finally:
            school_b.stopped.set()
            school_b.join(10)
        await asyncio.sleep(3)  # anything late or doubled would show up now
        assert school_b.errors == []
        vault = Vault(system.env("dedup")["XUEJI_PEPPER"].encode())  # the system's own pepper
        record_ids = {vault.record_id(rn): rn for rn in ours}
        records = list(db[store.COLLECTION].find({"holder": {"$in": sorted(record_ids)}},
                                                 {"holder": 1, "record.status": 1}))
        assert len(records) == len(ours)
        deleted = {record_ids[r["holder"]] for r in records if r["record"]["status"] == "deleted"}
        assert deleted == school_b.ours
        cases = cases_of_ours()
        assert len(cases) == len(all_pairs) and all(c["closed"] for c in cases)
        assert all(len(c["state"]["members"]) == 2 for c in cases)
        ids = sorted(str(c["_id"]) for c in cases)
        known = {k["_id"]: set(k["members"]) for k in db["evidence_cases"].find({"_id": {"$in": ids}})}
        refs = {str(c["_id"]): {m["ref"] for m in c["state"]["members"].values()} for c in cases}
        assert known == refs  # who may upload, known by member reference
    groups = sorted(str(c["_id"]) for c in cases)
    events = [e for m in await read_all(case_topic("630000")) if (e := decoded_or_none(m.value))]

    def delivered() -> list[dict[str, Any]] | None:
        inbox = [n for n in inbox_of(system, SCHOOL_A) if n["group_id"] in groups]
        return inbox if sum(n["event_type"] == "case.group_closed" for n in inbox) >= len(groups) else None

    inbox = await asyncio.to_thread(eventually, delivered, 120, 1.0)
    for kind in ("case.group_opened", "case.group_closed"):
        distinct = {(e["group_id"], e["event_id"]) for e in events if e["event_type"] == kind}
        assert sorted(g for g, _ in distinct if g in groups) == groups, kind  # once each, never twice
        assert sorted(n["group_id"] for n in inbox if n["event_type"] == kind) == groups, kind
    parked = {
        dict(m.headers).get("x-dlq-source-topic", b"").decode()
        for m in await read_all(DEAD_LETTERS)
        if m.key == poison_key
    }
    assert parked >= set(POISONED) - {case_topic("630000")} or parked == set(POISONED)
