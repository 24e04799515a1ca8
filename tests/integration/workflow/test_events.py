"""Dedup's problem events in through the broker; case events out on each province's topic."""

import asyncio
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from xueji_contracts import topics
from xueji_contracts.enums import ProblemType, Role
from xueji_contracts.evidence import EvidenceStored
from xueji_contracts.problems import ProblemDetected
from xueji_contracts.topics import DEDUP_COMMANDS, PROBLEMS, case_topic

from services.common import reading
from services.workflow.cases import Cases
from services.workflow.settings import WorkflowSettings

from ...messages import decoded_or_none
from ...unit.workflow.factories import EVIDENCE, REF, brief
from .conftest import Client

pytestmark = pytest.mark.integration


async def events_on(
    settings: WorkflowSettings, topic: str, group: UUID, until: Any, within: float = 30
) -> list[Any]:
    def of_group(record: Any) -> Any:
        event = decoded_or_none(record.value)
        return event if event and event.get("group_id") == str(group) else None

    return await reading.collect(settings.KAFKA_BOOTSTRAP, topic, until, within, keep=of_group)


async def until_stored(cases: Cases, group: UUID) -> None:
    async with asyncio.timeout(30):
        for _ in range(150):  # polling the database: the case is written by the subscriber
            if await cases.store.load(group) is not None:
                return
            await asyncio.sleep(0.2)


async def test_a_problem_event_opens_a_case_announced_to_each_province_and_commands_reach_dedup(
    app: FastAPI, cases: Cases, as_party: Client, workflow_settings: WorkflowSettings
) -> None:
    a, b = brief(1, "110105"), brief(2, "440103")
    detected = ProblemDetected(
        producer="dedup", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID, members=(a, b)
    )
    producer = AIOKafkaProducer(bootstrap_servers=workflow_settings.KAFKA_BOOTSTRAP)
    await producer.start()
    try:
        for _ in range(2):  # a redelivered event opens nothing twice
            await producer.send_and_wait(
                PROBLEMS, detected.model_dump_json().encode(), key=str(detected.group_id).encode()
            )
    finally:
        await producer.stop()

    await until_stored(cases, detected.group_id)
    stored = EvidenceStored(producer="evidence", evidence_id=EVIDENCE[0], group_id=detected.group_id,
                            registry_number=a.registry_number, province_code="110000",
                            uploaded_by=a.school_code, file_type="jpg", size_bytes=1000, sha256="0" * 64)
    producer = AIOKafkaProducer(bootstrap_servers=workflow_settings.KAFKA_BOOTSTRAP)
    await producer.start()
    try:
        await producer.send_and_wait(topics.EVIDENCE, stored.model_dump_json().encode(),
                                     key=str(detected.group_id).encode())
    finally:
        await producer.stop()
    async with asyncio.timeout(30):
        while not await cases.store.evidence_of(detected.group_id, REF(a.registry_number)):  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    school = as_party(Role.SCHOOL_REGISTRAR, a.school_code)
    url = f"/v1/cases/{detected.group_id}/members/{a.registry_number}"
    await school.post(
        f"{url}/actions",
        json={
            "action": "amend",
            "evidence_ids": [str(EVIDENCE[0])],
            "amendment": {"id_number": "11010520120101123X", "name": "张三"},
        },
    )
    approved = await as_party(Role.BUREAU_REGISTRAR, a.district_code).post(
        f"{url}/review", json={"decision": "approved"}
    )
    assert approved.status_code == 200

    beijing = await events_on(
        workflow_settings, case_topic("110000"), detected.group_id, lambda s: len(s) >= 3
    )
    guangdong = await events_on(
        workflow_settings, case_topic("440000"), detected.group_id, lambda s: len(s) >= 3
    )
    commands = await events_on(workflow_settings, DEDUP_COMMANDS, detected.group_id, lambda s: len(s) >= 2)
    kinds = [e["event_type"] for e in beijing]
    assert kinds[:3] == ["case.group_opened", "case.action_submitted", "case.reviewed"]
    assert [e["event_id"] for e in beijing] == [e["event_id"] for e in guangdong]
    assert kinds.count("case.group_opened") == 1
    assert {c["event_type"] for c in commands} == {"command.apply_amendment", "command.mark_formal"}
    amendment = next(c for c in commands if c["event_type"] == "command.apply_amendment")
    changed = {k: v for k, v in amendment["changes"].items() if v is not None}
    assert changed == {"id_number": "11010520120101123X", "name": "张三"}

    def key_of_ours(record: Any) -> Any:
        event = decoded_or_none(record.value)
        return record.key.decode() if event and event.get("group_id") == str(detected.group_id) else None

    keys = await reading.collect(workflow_settings.KAFKA_BOOTSTRAP, DEDUP_COMMANDS, lambda s: len(s) >= 2,
                                 keep=key_of_ours)
    member = amendment["registry_number"]
    assert set(keys) == {workflow_settings.member_ref(member)}  # keyed by member, never by its number
    shanghai = await events_on(workflow_settings, case_topic("310000"), detected.group_id, lambda s: True, 5)
    assert shanghai == []
