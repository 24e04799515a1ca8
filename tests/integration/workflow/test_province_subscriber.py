"""The sample province subscriber (contracts/examples) reads real case events of its province only."""

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from xueji_contracts.enums import ProblemType, RuleSet
from xueji_contracts.problems import ProblemDetected

from services.workflow.cases import Cases
from services.workflow.domain.handling import open_case
from services.workflow.settings import WorkflowSettings

from ...messages import province_subscriber
from ...unit.workflow.factories import NOW, REF, brief

pytestmark = pytest.mark.integration


async def test_a_province_receives_its_groups_events_and_no_other(
        cases: Cases, workflow_settings: WorkflowSettings) -> None:
    duplicate = ProblemType.DUPLICATE_ID
    ningxia_and_xinjiang = ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=duplicate,
                                           members=(brief(1, "640104"), brief(2, "650102")))
    xinjiang_only = ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=duplicate,
                                    members=(brief(3, "650102"), brief(4, "650103")))
    for event in (ningxia_and_xinjiang, xinjiang_only):
        assert await cases.create(open_case(event, RuleSet.R2017, NOW, REF))
    seen: list[Any] = []

    async def read() -> None:
        bootstrap = workflow_settings.KAFKA_BOOTSTRAP
        events = province_subscriber().case_events(bootstrap, "640000", f"p-{uuid4()}")
        async for event in events:
            seen.append(event)
            if event.group_id == ningxia_and_xinjiang.group_id:
                return

    await asyncio.wait_for(read(), 30)
    assert all("640000" in e.province_codes for e in seen)
    assert xinjiang_only.group_id not in {e.group_id for e in seen}
    assert seen[-1].event_type == "case.group_opened"
