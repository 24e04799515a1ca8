"""Scenario 7: a group across two provinces. Each province's side finishes on its own, and each
province's subscriber (the sample in contracts/examples) receives that group's events and no event
of a group without a member in its province."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from xueji_contracts.enums import IdType, Role
from xueji_contracts.students import StudentRecord
from xueji_contracts.topics import CaseMessage

from services.common.settings import ServiceSettings

from ..messages import province_subscriber
from ..unit.dedup.factories import record
from .conftest import System, eventually
from .people import attest_with_evidence, case_of, fresh_birth, register

pytestmark = pytest.mark.integration
BEIJING, GUANGDONG = "110000", "440000"


async def events_until(province: str, *awaited: tuple[uuid.UUID, str]) -> list[CaseMessage]:
    """The province's case events from the start of its topic, until every (group, event type) awaited."""
    subscriber = province_subscriber()
    seen: list[CaseMessage] = []
    missing = set(awaited)

    async def read() -> None:
        group = f"province-{province}-{uuid.uuid4().hex[:8]}"
        async for event in subscriber.case_events(ServiceSettings().KAFKA_BOOTSTRAP, province, group):
            seen.append(event)
            missing.discard((event.group_id, event.event_type))
            if not missing:
                return

    await asyncio.wait_for(read(), 90)
    return seen


def approve(system: System, group: str, rec: StudentRecord) -> None:
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, rec.school_code) as school,
        system.client("workflow", Role.BUREAU_REGISTRAR, rec.district_code) as bureau,
    ):
        attest_with_evidence(system, school, group, rec)
        url = f"/v1/cases/{group}/members/{rec.registry_number}/review"
        assert bureau.post(url, json={"decision": "approved"}).status_code == 200


def group_of(operator: httpx.Client, records: tuple[StudentRecord, ...]) -> uuid.UUID:
    case = eventually(lambda: case_of(operator, {r.registry_number for r in records}))
    return uuid.UUID(case["group_id"])


def provinces_of(operator: httpx.Client, group: uuid.UUID) -> set[str] | None:
    """The provinces of a group's members, or None for a group of another test's system."""
    response = operator.get(f"/v1/cases/{group}")
    return {m["province_code"] for m in response.json()["members"]} if response.status_code == 200 else None


async def test_each_province_finishes_its_side_and_hears_only_of_its_own_groups(system: System) -> None:
    rng, birth = fresh_birth()
    serial = rng.randrange(1000, 9990)

    def pair(name: str, first: str, second: str) -> tuple[StudentRecord, StudentRecord]:
        nonlocal serial
        serial += 2  # registry numbers of their own
        a, b = (record(serial + i, district=d, school=f"{d}00{61 + i}", id_type=IdType.PASSPORT, name=name,
                       birth=birth) for i, d in enumerate((first, second)))
        return a, b

    cross = pair("赵 敏", "110105", "440103")
    beijing_only = pair("孙 丽", "110105", "110108")
    guangdong_only = pair("钱 坤", "440103", "440303")
    await register(*cross, *beijing_only, *guangdong_only)
    with system.client("workflow", Role.OPERATOR, "000000") as operator:
        cross_group, beijing_group, guangdong_group = (
            group_of(operator, p) for p in (cross, beijing_only, guangdong_only)
        )
        await asyncio.to_thread(approve, system, str(cross_group), cross[0])
        beijing_side = operator.get(f"/v1/cases/{cross_group}").json()
        assert beijing_side["finished_provinces"] == [BEIJING] and not beijing_side["closed"]
        guangdong_member = next(m for m in beijing_side["members"] if m["province_code"] == GUANGDONG)
        assert guangdong_member["stage"] == "to_handle"  # Guangdong's side has not been touched

        await asyncio.to_thread(approve, system, str(cross_group), cross[1])
        done = operator.get(f"/v1/cases/{cross_group}").json()
        assert sorted(done["finished_provinces"]) == [BEIJING, GUANGDONG] and done["closed"]

        closed = (cross_group, "case.group_closed")
        beijing, guangdong = await asyncio.gather(
            events_until(BEIJING, closed, (beijing_group, "case.group_opened")),
            events_until(GUANGDONG, closed, (guangdong_group, "case.group_opened")),
        )
        sides = ((BEIJING, beijing, guangdong_group), (GUANGDONG, guangdong, beijing_group))
        for province, events, foreign in sides:
            assert foreign not in {e.group_id for e in events}
            known: dict[uuid.UUID, set[str] | None] = {}
            for event in events:
                assert province in event.province_codes
                if event.group_id not in known:
                    known[event.group_id] = provinces_of(operator, event.group_id)
                members_in = known[event.group_id]
                assert members_in is None or province in members_in
            of_cross: list[Any] = [e for e in events if e.group_id == cross_group]
            kinds = [e.event_type for e in of_cross]
            assert kinds[0] == "case.group_opened" and kinds[-1] == "case.group_closed"
            finished = [e.province_code for e in of_cross if e.event_type == "case.side_finished"]
            assert finished == [BEIJING, GUANGDONG]  # Beijing's side first, on its own
