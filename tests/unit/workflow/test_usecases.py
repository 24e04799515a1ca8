"""Each use case against fake ports: an in-memory case store, a recording publisher, a fixed clock."""

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from xueji_contracts.enums import Action, ProblemType, RecordStatus, ReviewDecision, RuleSet
from xueji_contracts.evidence import EvidenceStored
from xueji_contracts.problems import MemberBrief, MembershipChanged, ProblemDetected
from xueji_contracts.topics import case_topic

from services.workflow import usecases
from services.workflow.domain.case import Stage
from services.workflow.domain.deadlines import DeadlinePolicy
from services.workflow.domain.errors import (
    CaseNotFound,
    EvidenceNotKnownYet,
    Invalid,
    OutsideJurisdiction,
    Refused,
)
from services.workflow.domain.views import EvidenceFile
from services.workflow.usecases import Cases

from .factories import EVIDENCE, NOW, arbiter, brief, bureau, leader, registrar
from .fakes import fake_cases

APPROVE = ReviewDecision.APPROVED


def detected(*members: MemberBrief, problem: ProblemType = ProblemType.DUPLICATE_ID) -> ProblemDetected:
    return ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=problem, members=members)


def evidence_for(event: ProblemDetected, member: MemberBrief) -> EvidenceStored:
    return EvidenceStored(producer="evidence", evidence_id=EVIDENCE[0], group_id=event.group_id,
                          registry_number=member.registry_number, province_code=member.province_code,
                          uploaded_by=member.school_code, file_type="jpg", size_bytes=1000, sha256="0" * 64)


async def attested(cases: Cases, event: ProblemDetected, member: MemberBrief, approve: bool = True) -> None:
    await usecases.record_evidence(cases, evidence_for(event, member))
    await usecases.submit_action(cases, registrar(member), event.group_id, member.registry_number,
                                 Action.ATTEST, evidence_ids=EVIDENCE, opinion="two children")
    if approve:
        await usecases.review_request(cases, bureau(member), event.group_id, member.registry_number,
                                      APPROVE, None)


async def test_open_case_stores_the_group_and_announces_it_to_each_province_once() -> None:
    cases, store, publisher = fake_cases()
    event = detected(brief(1, "110105"), brief(2, "440103"))
    assert await usecases.open_case(cases, event)
    assert not await usecases.open_case(cases, event)  # redelivered: nothing twice
    assert publisher.event_types() == ["case.group_opened", "case.group_opened"]
    assert publisher.topics() == {case_topic("110000"), case_topic("440000")}
    assert (await store.stored(event.group_id)).opened_at == NOW


async def test_a_batch_opens_its_consecutive_new_groups_in_one_write_and_keeps_each_groups_order() -> None:
    cases, store, publisher = fake_cases()
    a, b, c = brief(1), brief(2), brief(3)
    first, second, third = detected(a, b), detected(b, c), detected(a, c)
    joined = MembershipChanged(producer="dedup", group_id=first.group_id, problem_type=first.problem_type,
                               members=(a, b, c), sequence=1)
    await usecases.apply_problems(cases, [first, second, first, joined, third])  # first redelivered at once

    assert store.inserts == [[first.group_id, second.group_id], [third.group_id]]
    assert [(UUID(g), version) for g, version, _ in publisher.written] == [
        (first.group_id, 1), (second.group_id, 1), (first.group_id, 2), (third.group_id, 1)]
    assert publisher.event_types() == ["case.group_opened", "case.group_opened", "case.members_changed",
                                       "case.group_opened"]
    assert set((await store.stored(first.group_id)).members) == {a.registry_number, b.registry_number,
                                                                  c.registry_number}
    assert await usecases.open_cases(cases, [third, detected(a, b)]) == [False, True]  # only the new one


async def test_apply_membership_adds_a_joining_member_and_ignores_unknown_groups() -> None:
    cases, store, publisher = fake_cases()
    a, b, c = brief(1), brief(2), brief(3, "120101")
    event = detected(a, b)
    await usecases.apply_problem(cases, event)
    changed = MembershipChanged(producer="dedup", group_id=event.group_id, problem_type=event.problem_type,
                                members=(a, b, c), sequence=1)
    await usecases.apply_problem(cases, changed)
    assert (await store.stored(event.group_id)).members[c.registry_number].stage is Stage.TO_HANDLE
    assert "case.members_changed" in publisher.event_types()
    await usecases.apply_membership(cases, changed.model_copy(update={"group_id": uuid4()}))  # dropped


async def test_an_action_may_cite_only_evidence_recorded_for_the_member() -> None:
    cases, store, _ = fake_cases()
    a, b = brief(1), brief(2)
    event = detected(a, b)
    await usecases.open_case(cases, event)
    with pytest.raises(EvidenceNotKnownYet, match="not known yet") as not_yet:
        await usecases.submit_action(cases, registrar(a), event.group_id, a.registry_number, Action.ATTEST,
                                     evidence_ids=EVIDENCE, opinion="x")
    assert not_yet.value.retry_after  # the announcement may still be on its way: worth a retry
    await usecases.record_evidence(cases, evidence_for(event, b))
    with pytest.raises(Invalid, match="uploaded for another member"):
        await usecases.submit_action(cases, registrar(a), event.group_id, a.registry_number, Action.ATTEST,
                                     evidence_ids=EVIDENCE, opinion="x")
    await attested(cases, event, a, approve=False)
    assert (await store.stored(event.group_id)).members[a.registry_number].stage is Stage.AWAITING_REVIEW


async def test_the_members_own_evidence_announced_while_the_action_is_read_is_never_another_members() -> None:
    cases, store, _ = fake_cases()
    a, b = brief(1), brief(2)
    event = detected(a, b)
    await usecases.open_case(cases, event)
    files_of = store.evidence_files

    async def announced_meanwhile(evidence_ids: set[UUID]) -> dict[UUID, EvidenceFile]:
        found = await files_of(evidence_ids)
        await usecases.record_evidence(cases, evidence_for(event, a))  # lands between the reads
        return found

    store.evidence_files = announced_meanwhile  # type: ignore[method-assign]
    view = await usecases.submit_action(cases, registrar(a), event.group_id, a.registry_number, Action.ATTEST,
                                        evidence_ids=EVIDENCE, opinion="x")
    assert view is not None
    assert (await store.stored(event.group_id)).members[a.registry_number].stage is Stage.AWAITING_REVIEW


async def test_confirm_deletion_of_a_pending_record_settles_it_without_review() -> None:
    cases, store, publisher = fake_cases()
    a, b = brief(1), brief(2)
    event = detected(a, b)
    await usecases.open_case(cases, event)
    await usecases.submit_action(cases, registrar(b), event.group_id, b.registry_number, Action.DELETE,
                                 confirmed=True)
    seen = await usecases.confirm_deletion(cases, leader(b), event.group_id, b.registry_number)
    assert seen.closed
    assert "command.delete_record" in publisher.event_types()
    assert [h.what for h in store.histories[event.group_id]][-1] == "group_closed"


async def test_review_request_rejects_with_a_reason_and_a_second_click_is_refused() -> None:
    cases, _, _ = fake_cases()
    a, b = brief(1), brief(2)
    event = detected(a, b)
    await usecases.open_case(cases, event)
    await attested(cases, event, a, approve=False)
    seen = await usecases.review_request(cases, bureau(a), event.group_id, a.registry_number,
                                         ReviewDecision.REJECTED, "blurred")
    assert seen.members[0].rejected_reason == "blurred"
    with pytest.raises(Refused):
        await usecases.review_request(cases, bureau(a), event.group_id, a.registry_number,
                                      ReviewDecision.REJECTED, "again")


async def test_decide_arbitration_settles_the_winner() -> None:
    cases, _, publisher = fake_cases()
    a, b = brief(1, "110105"), brief(2, "110108")
    event = detected(a, b)
    await usecases.open_case(cases, event)
    await attested(cases, event, a)
    await attested(cases, event, b)
    seen = await usecases.decide_arbitration(cases, arbiter("110000"), event.group_id, a.registry_number,
                                             "older record")
    assert seen.arbitration_status == "decided"
    assert "case.arbitration_decided" in publisher.event_types()


async def test_reinitiate_member_writes_the_new_group_and_records_it_on_the_old() -> None:
    cases, store, _ = fake_cases()
    a = brief(1)
    event = detected(a, problem=ProblemType.ID_NOT_FOUND)
    await usecases.open_case(cases, event)
    await attested(cases, event, a)
    new = await usecases.reinitiate_member(cases, registrar(a), event.group_id, a.registry_number, True)
    assert new.linked_group_id == event.group_id
    assert (await store.stored(new.group_id)).members[a.registry_number].stage is Stage.TO_HANDLE
    assert (await store.stored(event.group_id)).members[a.registry_number].reinitiated
    with pytest.raises(Refused):  # written nothing twice
        await usecases.reinitiate_member(cases, registrar(a), event.group_id, a.registry_number, True)


async def test_fire_deadlines_escalates_the_due_groups() -> None:
    cases, store, publisher = fake_cases()
    event = detected(brief(1), brief(2))
    await usecases.open_case(cases, event)
    cases.clock = lambda: NOW + timedelta(days=16)
    store.due_groups = [event.group_id]
    assert await usecases.fire_deadlines(cases, DeadlinePolicy()) == 1
    assert publisher.event_types().count("case.deadline_escalated") == 2


async def test_a_lost_write_is_decided_again_and_endless_conflicts_are_refused() -> None:
    cases, store, _ = fake_cases()
    a, b = brief(1), brief(2)
    event = detected(a, b)
    await usecases.open_case(cases, event)
    store.lose_next_writes = 1
    await usecases.submit_action(cases, registrar(b), event.group_id, b.registry_number, Action.DELETE,
                                 confirmed=True)
    store.lose_next_writes = 100
    with pytest.raises(Refused) as refused:
        await usecases.confirm_deletion(cases, leader(b), event.group_id, b.registry_number)
    assert refused.value.rule == "concurrency.retry"


async def test_listings_are_limited_to_the_jurisdiction_and_to_the_right_roles() -> None:
    cases, store, _ = fake_cases()
    a = brief(1)
    await usecases.open_case(cases, detected(a, brief(2)))
    listing = await usecases.list_cases(cases, registrar(a), status="open", page=1, page_size=10)
    assert not listing.has_more and len(listing.items) == 1
    scope, filters, offset, limit = store.queries[-1]
    assert (scope, filters, offset, limit) == ({"school_codes": a.school_code}, {"closed": False}, 0, 10)
    await usecases.list_reviews(cases, bureau(a))
    assert store.queries[-1][:2] == ({"district_codes": a.district_code}, {"reviews_due": a.district_code})
    with pytest.raises(OutsideJurisdiction):
        await usecases.list_reviews(cases, registrar(a))
    with pytest.raises(OutsideJurisdiction):
        await usecases.list_arbitrations(cases, bureau(a))
    await usecases.list_arbitrations(cases, arbiter("110000"))
    assert store.queries[-1][:2] == ({"arbiters": "110000"}, {"arbiter_code": "110000"})
    await usecases.list_arbitrations(cases, arbiter("110000"), status="decided")
    assert store.queries[-1][:2] == ({"arbiters": "110000"}, {"decided_by": "110000"})


async def test_view_case_masks_another_provinces_member_and_refuses_outsiders() -> None:
    cases, _, _ = fake_cases()
    a, b = brief(1, "110105"), brief(2, "440103", status=RecordStatus.PENDING)
    event = detected(a, b)
    await usecases.open_case(cases, event)
    seen = await usecases.view_case(cases, registrar(a), event.group_id)
    mine, theirs = seen.members
    assert mine.registry_number == a.registry_number and mine.allowed_actions
    assert theirs.brief is None and theirs.registry_number is None and theirs.allowed_actions == []
    with pytest.raises(OutsideJurisdiction):
        await usecases.view_case(cases, registrar(brief(3, "120101")), event.group_id)
    with pytest.raises(CaseNotFound):
        await usecases.view_case(cases, registrar(a), uuid4())


async def test_read_history_is_the_audit_trail_for_those_who_may_see_the_group() -> None:
    cases, _, _ = fake_cases()
    a = brief(1)
    event = detected(a, brief(2))
    await usecases.open_case(cases, event)
    history = await usecases.read_history(cases, bureau(a), event.group_id)
    assert [h.what for h in history] == ["group_opened"]
    with pytest.raises(OutsideJurisdiction):
        await usecases.read_history(cases, arbiter("110100"), event.group_id)



async def test_a_province_still_on_2014_opens_its_groups_under_2014_beside_one_on_2017() -> None:
    cases, store, _ = fake_cases()
    cases.by_province = {"440000": RuleSet.R2014}  # XUEJI_RULE_SETS='{"440000": "2014"}'
    guangdong, beijing = detected(brief(1, "440103"), brief(2, "440104")), detected(brief(3), brief(4))
    await usecases.open_case(cases, guangdong)
    await usecases.open_case(cases, beijing)
    assert (await store.stored(guangdong.group_id)).rule_set is RuleSet.R2014
    assert (await store.stored(beijing.group_id)).rule_set is RuleSet.R2017


async def test_the_reviewer_sees_the_request_with_the_files_the_evidence_service_announced() -> None:
    cases, _, _ = fake_cases()
    a, b = brief(1), brief(2)
    event = detected(a, b)
    await usecases.open_case(cases, event)
    await attested(cases, event, a, approve=False)
    seen = await usecases.view_case(cases, bureau(a), event.group_id)
    [request] = [m.request for m in seen.members if m.registry_number == a.registry_number]
    assert request is not None and request.opinion == "two children"
    [file] = request.evidence
    assert (file.evidence_id, file.file_type, file.size_bytes) == (EVIDENCE[0], "jpg", 1000)
    assert file.link == f"/v1/evidence/{EVIDENCE[0]}/link"
