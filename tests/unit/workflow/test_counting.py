"""Each write of a case is counted by the progress counters right after it, as far as possible."""

from uuid import UUID, uuid4

import pytest
from xueji_contracts.enums import Action, ProblemType, RuleSet
from xueji_contracts.problems import MemberBrief, ProblemDetected

from services.workflow import usecases
from services.workflow.cases import Cases
from services.workflow.usecases.changing import Uncounted

from .factories import EVIDENCE, REF, brief, registrar
from .fakes import FakeCaseStore, RecordingPublisher, counted_cases


def detected(*members: MemberBrief) -> ProblemDetected:
    return ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID,
                           members=members)


async def test_a_change_is_counted_right_after_it_is_written() -> None:
    cases, store, progress = counted_cases()
    a, b = brief(1), brief(2)
    event = detected(a, b)
    await usecases.open_case(cases, event)
    assert progress.tallies[event.group_id]["district:110105:110000:DUPLICATE_ID:to_handle"] == 2
    store.evidence.add((event.group_id, REF(a.registry_number), EVIDENCE[0]))
    await usecases.submit_action(cases, registrar(a), event.group_id, a.registry_number, Action.ATTEST,
                                 evidence_ids=EVIDENCE, opinion="two children")
    district = await progress.division("110105")
    assert district is not None
    assert district.counts == {"DUPLICATE_ID:to_handle": 1, "DUPLICATE_ID:awaiting_review": 1}


class BrokenProgress(Uncounted):
    async def project(self, group_id: UUID) -> None:
        raise ConnectionError("the database went away")


async def test_a_change_whose_counting_fails_is_still_written(caplog: pytest.LogCaptureFixture) -> None:
    store = FakeCaseStore()
    cases = Cases(store, RecordingPublisher(), RuleSet.R2017, REF, progress=BrokenProgress())
    a, b = brief(1, prefix="G"), brief(2)
    event = detected(a, b)
    assert await usecases.open_case(cases, event)
    assert event.group_id in store.docs
    assert "progress left for the sweep" in caplog.text
    assert a.registry_number not in caplog.text
