"""Deadline timers on the real database: they survive restarts and never fire twice."""

import asyncio
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient
from xueji_contracts.enums import ProblemType, RuleSet
from xueji_contracts.problems import ProblemDetected

from services.workflow.adapters.store import CaseStore
from services.workflow.cases import Cases
from services.workflow.domain.handling import open_case
from services.workflow.settings import WorkflowSettings

from ...unit.workflow.factories import NOW, REF, brief

pytestmark = pytest.mark.integration


async def test_two_replicas_scanning_at_once_fire_each_timer_once(
    cases: Cases, workflow_settings: WorkflowSettings
) -> None:
    policy = workflow_settings.deadline_policy
    event = ProblemDetected(
        producer="dedup",
        group_id=uuid4(),
        problem_type=ProblemType.DUPLICATE_ID,
        members=(brief(1), brief(2)),
    )
    assert await cases.create(open_case(event, RuleSet.R2017, NOW, REF))
    # a second replica with its own client, as after a restart: the timers live in the database
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        workflow_settings.MONGO_URI.get_secret_value(), tz_aware=True
    )
    store = CaseStore(client[workflow_settings.MONGO_DATABASE], policy)
    other = Cases(store, cases.relay, RuleSet.R2017, REF)
    later = NOW + timedelta(days=policy.school_handling_days + 1)
    cases.clock = other.clock = lambda: later
    try:
        await asyncio.gather(cases.fire_deadlines(policy), other.fire_deadlines(policy))
        await asyncio.gather(cases.fire_deadlines(policy), other.fire_deadlines(policy))
    finally:
        await client.close()
    history = [h.what for h in await cases.store.history(event.group_id)]
    assert history.count("deadline_reminder_school_handling") == 2  # one per member
    assert history.count("deadline_escalated_school_handling") == 2
    assert await cases.store.due(later) == []
