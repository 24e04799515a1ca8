"""A write sent again after its answer was lost never applies a decision twice (README "The local
stack": the local URI turns MongoDB's retryable writes off).

Each write is sent twice exactly as it was made, the way a driver or a caller retries after a lost
reply, on the real local MongoDB with the local stack's own URI. The second one meets the version
it was conditional on gone (or the `_id` it inserted): it changes nothing, and the caller is told
so and reads again.
"""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient
from xueji_contracts.enums import ProblemType, RuleSet
from xueji_contracts.problems import MembershipChanged, ProblemDetected

from services.common.settings import ServiceSettings
from services.dedup.adapters.store import IdentityStore
from services.dedup.adapters.vault import Vault
from services.dedup.domain.groups import Group
from services.dedup.domain.identity import record_state
from services.workflow import usecases
from services.workflow.adapters.store import CaseStore
from services.workflow.cases import Cases
from services.workflow.domain.deadlines import DeadlinePolicy
from services.workflow.usecases.changing import outbox_entries

from ..unit.dedup.factories import PEPPER, TODAY, id_number, record
from ..unit.workflow.factories import REF, brief
from ..unit.workflow.fakes import RecordingPublisher

pytestmark = pytest.mark.integration


def test_the_local_stack_turns_retryable_writes_off() -> None:
    assert "retryWrites=false" in ServiceSettings().MONGO_URI.get_secret_value()


async def test_a_case_decision_written_twice_is_stored_once(
        mongo: AsyncMongoClient[dict[str, Any]], unique: str) -> None:
    db = mongo[f"retried_{unique}"]
    store = CaseStore(db, DeadlinePolicy())
    cases = Cases(store, RecordingPublisher(), RuleSet.R2017, REF, count_inline=False)
    opened = ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID,
                             members=(brief(1), brief(2)))
    assert await usecases.open_case(cases, opened)
    stored = await store.load(opened.group_id)
    assert stored is not None
    assert not await store.save(stored[0].model_copy(update={"version": 0}), [], [])  # the opening again

    case = await cases.load(opened.group_id)
    joined = MembershipChanged(producer="dedup", group_id=opened.group_id,
                               problem_type=ProblemType.DUPLICATE_ID, members=(brief(1), brief(2), brief(3)),
                               joined=(brief(3).registry_number,), sequence=1)
    assert case.apply_membership(joined, datetime.now(UTC), REF)
    entries, audit = outbox_entries(case, case.pending, REF), list(case.audit)
    assert entries and audit
    before = await db["workflow_cases"].find_one({"_id": str(opened.group_id)})
    assert before is not None

    assert await store.save(case, entries, audit)
    assert not await store.save(case, entries, audit)  # the same write, sent again

    after = await db["workflow_cases"].find_one({"_id": str(opened.group_id)})
    assert after is not None
    assert after["version"] == before["version"] + 1
    assert len(after.get("history", [])) == len(before.get("history", [])) + len(audit)
    new_ids = {e["id"] for e in entries}
    assert sorted(e["id"] for e in after["outbox"] if e["id"] in new_ids) == sorted(new_ids)
    assert len(after["state"]["members"]) == 3


async def test_an_index_write_and_a_verified_answer_written_twice_are_stored_once(
        mongo: AsyncMongoClient[dict[str, Any]], unique: str) -> None:
    store = IdentityStore(mongo[f"retried_{unique}"], Vault(PEPPER))
    await store.ensure_indexes()
    state = record_state(record(1, number=id_number()), PEPPER, TODAY)
    founded = [(Group("key", members={state.registry_number: state.brief()}), state)]
    assert await store.insert_new(founded) == set()
    assert await store.insert_new(founded) == {state.registry_number}  # the insert again: held
    elsewhere = [(Group("another key", members={state.registry_number: state.brief()}), state)]
    assert await store.insert_new(elsewhere) == {state.registry_number}  # the record has its home

    request_id = str(uuid4())
    asking = replace(state, population_request_id=request_id)
    assert await store.save_records([(asking, 1)]) == set()
    assert await store.save_records([(asking, 1)]) == {state.registry_number}  # version 1 is gone

    await store.record_verified([(state.registry_number, request_id)])
    await store.record_verified([(state.registry_number, request_id)])  # the answer applied again
    [(stored, version, _)] = (await store.load_records([state.registry_number])).values()
    assert version == 3  # inserted, asked, verified: once each
    assert stored.population_request_id == request_id and stored.population is not None
