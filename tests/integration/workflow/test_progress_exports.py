"""The export's reads on the real local MongoDB: every matching case once, in batches, also when
many cases were opened at the same moment; and the count of their members that caps an export."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient
from xueji_contracts.enums import ProblemType, RuleSet
from xueji_contracts.problems import ProblemDetected

from services.workflow import usecases
from services.workflow.adapters.store import CaseStore
from services.workflow.cases import Cases
from services.workflow.domain.deadlines import DeadlinePolicy

from ...unit.workflow.factories import REF, brief
from ...unit.workflow.fakes import RecordingPublisher

pytestmark = pytest.mark.integration
MOMENT = datetime(2026, 11, 23, 9, tzinfo=UTC)


async def test_batches_hold_every_matching_case_once_newest_first(
        mongo: AsyncMongoClient[dict[str, Any]], unique: str) -> None:
    store = CaseStore(mongo[f"wf_export_{unique}"], DeadlinePolicy())
    await store.ensure_indexes()
    opened: dict[str, datetime] = {}
    for n in range(12):
        at = MOMENT if n < 7 else MOMENT + timedelta(minutes=n)  # seven opened at the very same moment
        cases = Cases(store, RecordingPublisher(), RuleSet.R2017, REF, clock=lambda at=at: at)
        district = "110105" if n % 4 else "440103"
        kind = ProblemType.DUPLICATE_NGB if n == 5 else ProblemType.DUPLICATE_ID
        event = ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=kind,
                                members=(brief(2 * n, district), brief(2 * n + 1, "110105")))
        await usecases.open_case(cases, event)
        opened[str(event.group_id)] = at

    scope = {"district_codes": "110105"}
    batches = [batch async for batch in store.batches(scope, {}, 3)]
    found = [str(case.group_id) for batch in batches for case in batch]
    assert sorted(found) == sorted(opened) and len(batches) == 4  # each member's district is 110105
    assert [opened[g] for g in found] == sorted((opened[g] for g in found), reverse=True)

    only_ngb = {"problem_type": "DUPLICATE_NGB"}
    ngb = [case async for batch in store.batches(scope, only_ngb, 3) for case in batch]
    assert [case.problem_type for case in ngb] == [ProblemType.DUPLICATE_NGB]
    later = {"opened_at": {"$gte": MOMENT + timedelta(minutes=8)}}
    assert len([c async for batch in store.batches(scope, later, 2) for c in batch]) == 4

    assert await store.count_members(scope, {}, 100) == 24
    assert await store.count_members(scope, {}, 5) == 10
    assert await store.count_members({"district_codes": "440103"}, {}, 100) == 6
