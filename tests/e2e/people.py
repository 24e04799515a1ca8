"""What the people of DOMAIN.md do in the running system, as steps the scenarios share."""

import random
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from xueji_contracts.enums import Role
from xueji_contracts.refs import mask_registry_number
from xueji_contracts.students import StudentRecord, StudentRegistered
from xueji_contracts.topics import REGISTRATIONS

from services.common.settings import ServiceSettings

from ..system import System, eventually
from ..unit.dedup.factories import BIRTH
from ..unit.evidence.samples import JPEG


def fresh_birth() -> tuple[random.Random, date]:
    """A generator and a birth date of one test's own: with the sequence digits, numbers never collide."""
    rng = random.Random(uuid.uuid4().int)
    return rng, BIRTH + timedelta(days=rng.randrange(3000))


async def register(*records: StudentRecord) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=ServiceSettings().KAFKA_BOOTSTRAP)
    await producer.start()
    try:
        for rec in records:
            body = StudentRegistered(producer="province-system", record=rec).model_dump_json().encode()
            await producer.send_and_wait(REGISTRATIONS, body, key=rec.registry_number.encode())
    finally:
        await producer.stop()


def case_of(client: httpx.Client, registry_numbers: set[str]) -> dict[str, Any] | None:
    """The caller's case of exactly these members, as far as the caller may see them (another
    school's G number masked, another province's member unnamed)."""
    wanted = {mask_registry_number(rn) for rn in registry_numbers}
    for case in client.get("/v1/cases", params={"page_size": 200}).json()["items"]:
        shown = [m["registry_number"] for m in case["members"]]
        named = [mask_registry_number(rn) for rn in shown if rn]
        if len(shown) == len(registry_numbers) and named and all(n in wanted for n in named):
            return dict(case)
    return None


def upload_evidence(system: System, group: str, rec: StudentRecord) -> str:
    with system.client("evidence", Role.SCHOOL_REGISTRAR, rec.school_code) as evidence:

        def stored() -> str | None:
            response = evidence.post(
                "/v1/evidence",
                params={"group_id": group, "registry_number": rec.registry_number},
                files=[("files", ("证明.jpg", JPEG + rec.registry_number.encode()))],
            )
            return str(response.json()[0]["evidence_id"]) if response.status_code == 200 else None

        return eventually(stored)  # the evidence service learns the group from the case events


def attest_with_evidence(system: System, client: httpx.Client, group: str, rec: StudentRecord) -> None:
    evidence_id = upload_evidence(system, group, rec)
    body = {"action": "attest", "evidence_ids": [evidence_id], "opinion": "本校学生信息真实"}
    url = f"/v1/cases/{group}/members/{rec.registry_number}/actions"
    eventually(lambda: client.post(url, json=body).status_code == 200)  # once the evidence event has arrived
