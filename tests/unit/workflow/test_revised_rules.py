"""The revised DOMAIN rules on the case aggregate: each defect found on the document's own paths,
and what reviewers, registrars and leaders need (§1, §4–8)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from xueji_contracts import cases as ev
from xueji_contracts.commands import AmendedFields, MarkAttestedDistinct
from xueji_contracts.enums import (
    Action,
    ArbitrationStatus,
    ProblemType,
    RecordStatus,
    ReviewDecision,
    RuleSet,
    SettlementOutcome,
)
from xueji_contracts.problems import (
    AmendmentApplied,
    MemberBrief,
    MembershipChanged,
    ProblemCleared,
    ProblemDetected,
)

from services.dedup.domain.groups import Group
from services.workflow.domain import rules
from services.workflow.domain.case import Case, Stage
from services.workflow.domain.deadlines import DeadlinePolicy, timers
from services.workflow.domain.disclosure import for_province
from services.workflow.domain.errors import EvidenceNotKnownYet, Invalid, Refused
from services.workflow.domain.handling import (
    apply_membership,
    confirm_deletion,
    decide_arbitration,
    reinitiate,
    review,
    submit_action,
)
from services.workflow.domain.views import EvidenceFile, case_view, history_view

from .factories import EVIDENCE, NOW, REF, arbiter, attest, brief, bureau, case_of, kinds, leader, registrar

APPROVE, REJECT = ReviewDecision.APPROVED, ReviewDecision.REJECTED


@contextmanager
def refused(rule: str) -> Iterator[None]:
    """Refused, naming the rule (what the 409 problem's ``rule`` tells the caller)."""
    with pytest.raises(Refused) as caught:
        yield
    assert rule in (caught.value.rule or "")


def amend(case: Case, b: MemberBrief, changes: AmendedFields | None = None) -> None:
    submit_action(case, registrar(b), b.registry_number, Action.AMEND, NOW, evidence_ids=EVIDENCE,
                  known_evidence=frozenset(EVIDENCE),
                  amendment=changes or AmendedFields(id_number="440103201201011234", name="张三"))


def request_deletion(case: Case, b: MemberBrief) -> None:
    submit_action(case, registrar(b), b.registry_number, Action.DELETE, NOW, confirmed=True)


def dedup_says(case: Case, *members: MemberBrief, cleared: bool = False) -> None:
    """Dedup's next view of the group (members present after the change)."""
    sequence = case.dedup_sequence + 1
    event = (ProblemCleared(producer="dedup", group_id=case.group_id, problem_type=case.problem_type,
                            reason="no_duplicate_left", members=members, sequence=sequence)
             if cleared else
             MembershipChanged(producer="dedup", group_id=case.group_id, problem_type=case.problem_type,
                               members=members, sequence=sequence))
    apply_membership(case, event, NOW, REF)


def applied(case: Case, b: MemberBrief, *, kept: bool = False, id_problem: ProblemType | None = None
            ) -> AmendmentApplied:
    """Dedup's report of the amendment the case sent last for ``b``."""
    command = case.members[b.registry_number].amendment_command
    return AmendmentApplied(producer="dedup", group_id=case.group_id, registry_number=b.registry_number,
                            member=b.model_copy(update={"status": RecordStatus.FORMAL}),
                            identity_key_kept=kept, id_problem=id_problem,
                            causation_id=UUID(command) if command else None)


def outcome(case: Case, b: MemberBrief) -> SettlementOutcome | None:
    return case.members[b.registry_number].outcome


# --- defect 1: outcomes survive the group's end ------------------------------------------------

@pytest.mark.parametrize("other_goes", ["amended", "deleted"])
def test_an_approved_attestation_stays_attested_when_the_other_member_goes(other_goes: str) -> None:
    a, b = brief(1, "110105"), brief(2, "110108")
    case = case_of(a, b)
    attest(case, a, approve=True)
    assert case.arbitration is ArbitrationStatus.UNDECIDED
    if other_goes == "amended":
        amend(case, b)
        review(case, bureau(b), b.registry_number, APPROVE, None, NOW)
    else:
        request_deletion(case, b)
        confirm_deletion(case, leader(b), b.registry_number, NOW)
    dedup_says(case, a.model_copy(update={"status": RecordStatus.FORMAL}), cleared=True)
    assert case.closed
    assert outcome(case, a) is SettlementOutcome.ATTESTED  # never "left the group"
    new = reinitiate(case, registrar(a), a.registry_number, True, RuleSet.R2017, NOW)
    assert list(new.members) == [a.registry_number]


# --- defect 2: the case follows every change of a member's details -----------------------------

def test_an_approval_makes_the_record_formal_in_the_case_and_its_later_deletion_goes_to_the_bureau() -> None:
    a, b = brief(1, "440103"), brief(2, "440104")
    case = case_of(a, b)
    attest(case, a, approve=True)
    attest(case, b, approve=True)
    assert all(m.brief.status is RecordStatus.FORMAL for m in case.members.values())
    decide_arbitration(case, arbiter("440100"), a.registry_number, "older record", NOW)
    request_deletion(case, b)  # the loser, formal since its bureau approved it
    confirm_deletion(case, leader(b), b.registry_number, NOW)
    assert case.members[b.registry_number].stage is Stage.AWAITING_REVIEW  # not deleted by the school alone
    review(case, bureau(b), b.registry_number, APPROVE, None, NOW)
    assert outcome(case, b) is SettlementOutcome.DELETED and case.closed


def test_a_details_only_membership_change_is_written_and_formal_never_reads_pending_again() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    formal_b = b.model_copy(update={"status": RecordStatus.FORMAL, "masked_name": "李*"})
    dedup_says(case, a, formal_b)
    assert kinds(case) == ["case.members_changed"] and case.audit[-1].what == "member_details_changed"
    assert case.members[b.registry_number].brief.masked_name == "李*"
    dedup_says(case, a, b)  # an older view of b, sent before dedup heard of the approval
    assert case.members[b.registry_number].brief.status is RecordStatus.FORMAL


# --- defect 4: no arbitration across provinces ----------------------------------------------------

def test_a_cross_province_group_finishes_with_both_sides_attested_and_no_arbitration() -> None:
    a, b = brief(1, "110105"), brief(2, "440103")
    case = case_of(a, b)
    attest(case, a, approve=True)
    assert case.finished_provinces == ["110000"] and not case.closed  # 单方处理结束
    attest(case, b, approve=True)
    assert (outcome(case, a), outcome(case, b)) == (SettlementOutcome.ATTESTED, SettlementOutcome.ATTESTED)
    assert case.closed and case.arbitration is ArbitrationStatus.NOT_NEEDED  # 跨省双佐证
    assert not any(isinstance(e, MarkAttestedDistinct) for e in case.pending)
    new = reinitiate(case, registrar(b), b.registry_number, True, RuleSet.R2017, NOW)  # the remedy
    assert new.province_codes == ("440000",)


def test_within_one_provinces_side_the_district_rules_apply() -> None:
    a, b, c = brief(1, "440103"), brief(2, "440305"), brief(3, "110105")
    case = case_of(a, b, c)
    attest(case, a, approve=True)
    attest(case, b, approve=True)
    guangdong = case.sides["440000"]
    assert (guangdong.arbitration, guangdong.arbiter_code) == (ArbitrationStatus.PENDING, "440000")
    assert case.sides["110000"].arbitration is ArbitrationStatus.NOT_NEEDED
    attest(case, c, approve=True)  # Beijing's member attests on its own side
    assert outcome(case, c) is SettlementOutcome.ATTESTED
    decide_arbitration(case, arbiter("440000"), b.registry_number, "the school's records", NOW)
    amend(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    case.apply_amendment_result(applied(case, a), NOW)
    assert case.closed and outcome(case, a) is SettlementOutcome.AMENDED


def test_the_rule_set_may_choose_national_arbitration_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    national = replace(rules.RULE_SETS[RuleSet.R2017], cross_province="national")
    monkeypatch.setitem(rules.RULE_SETS, RuleSet.R2017, national)
    a, b = brief(1, "110105"), brief(2, "440103")
    case = case_of(a, b)
    attest(case, a, approve=True)
    attest(case, b, approve=True)
    assert (case.arbitration, case.arbiter_code) == (ArbitrationStatus.PENDING, "000000")


# --- defect 5: nobody waits for dedup forever ---------------------------------------------------------

def test_a_reinitiated_members_amendment_settles_when_dedup_reports_it() -> None:
    a, b = brief(1, "110105"), brief(2, "440103")
    case = case_of(a, b)
    attest(case, a, approve=True)
    attest(case, b, approve=True)
    new = reinitiate(case, registrar(a), a.registry_number, True, RuleSet.R2017, NOW)
    amend(new, a)
    review(new, bureau(a), a.registry_number, APPROVE, None, NOW)
    assert not new.closed and new.members[a.registry_number].stage is Stage.AWAITING_DEDUP
    assert new.apply_amendment_result(applied(new, a), NOW)
    assert outcome(new, a) is SettlementOutcome.AMENDED and new.closed
    assert not new.apply_amendment_result(applied(new, a), NOW)  # redelivered: nothing more


def test_a_report_of_an_earlier_amendment_delivered_again_settles_nothing() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    amend(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    first = applied(case, a, kept=True)
    case.apply_amendment_result(first, NOW)  # the number was kept: to handle again
    amend(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    assert not case.apply_amendment_result(first, NOW)  # the first report again: not this amendment's
    assert case.members[a.registry_number].stage is Stage.AWAITING_DEDUP
    assert case.apply_amendment_result(applied(case, a), NOW)
    assert outcome(case, a) is SettlementOutcome.AMENDED


def test_a_member_that_had_gone_and_comes_back_is_handled_again() -> None:
    a, b, c = brief(1), brief(2), brief(3)
    case = case_of(a, b, c)
    request_deletion(case, b)
    confirm_deletion(case, leader(b), b.registry_number, NOW)
    assert outcome(case, b) is SettlementOutcome.DELETED
    event = MembershipChanged(producer="dedup", group_id=case.group_id, problem_type=case.problem_type,
                              members=(a, b, c), joined=(b.registry_number,),
                              sequence=case.dedup_sequence + 1)
    apply_membership(case, event, NOW, REF)  # registered again upstream with the old number
    member = case.members[b.registry_number]
    assert (member.stage, member.outcome) == (Stage.TO_HANDLE, None)


def test_an_attested_member_whose_record_leaves_the_number_no_longer_keeps_it() -> None:
    a, b, c = brief(1, "440103"), brief(2, "440104"), brief(3, "440104")
    case = case_of(a, b, c)
    attest(case, a, approve=True)
    request_deletion(case, c)
    confirm_deletion(case, leader(c), c.registry_number, NOW)
    attest(case, b, approve=True)
    decide_arbitration(case, arbiter("440100"), a.registry_number, "older", NOW)
    dedup_says(case, b)  # a's record was deleted upstream
    assert outcome(case, a) is SettlementOutcome.LEFT_GROUP


def test_an_arbiter_sees_only_its_own_side_of_a_cross_province_group_in_full() -> None:
    a, b, c = brief(1, "440103", prefix="G"), brief(2, "440305"), brief(3, "110105", prefix="G")
    case = case_of(a, b, c)
    attest(case, a, approve=True)
    attest(case, b, approve=True)
    seen = {m.school_code: m for m in case_view(case, arbiter("440000")).members}
    assert seen[a.school_code].registry_number == a.registry_number
    assert seen[c.school_code].registry_number is None and seen[c.school_code].brief is None


def test_an_amendment_that_keeps_the_number_returns_the_member_with_the_reason() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    amend(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    case.pending.clear()
    case.apply_amendment_result(applied(case, a, kept=True), NOW)
    member = case.members[a.registry_number]
    assert member.stage is Stage.TO_HANDLE and "still duplicates" in (member.rejected_reason or "")
    [ended] = [e for e in case.pending if isinstance(e, ev.RequestEnded)]
    assert ended.ended == "problem_remains"
    amend(case, a)  # the school can act again


def test_an_amendment_that_keeps_the_id_problem_returns_the_member_and_another_problem_settles() -> None:
    a = brief(1)
    case = case_of(a, problem=ProblemType.ID_NOT_FOUND)
    amend(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    case.apply_amendment_result(applied(case, a, id_problem=ProblemType.ID_NOT_FOUND), NOW)
    assert case.members[a.registry_number].stage is Stage.TO_HANDLE and not case.closed
    amend(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    case.apply_amendment_result(applied(case, a), NOW)
    assert outcome(case, a) is SettlementOutcome.AMENDED and case.closed


def test_waiting_for_dedup_has_a_deadline_that_escalates() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    amend(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    policy = DeadlinePolicy(dedup_update_days=3, reminder_days_before=1)
    [timer] = [t for t in timers(case, policy) if t.registry_number == a.registry_number]
    assert (timer.stage.value, timer.party_code, timer.due_at) == ("dedup_update", a.district_code,
                                                                   NOW + timedelta(days=3))
    case.fire_due_timers(policy, NOW + timedelta(days=3))
    escalated = [e for e in case.pending if isinstance(e, ev.DeadlineEscalated)]
    assert [e.escalated_to for e in escalated if e.stage.value == "dedup_update"] == ["110000"]


# --- defect 6: a record that joins a closed group ---------------------------------------------------

def test_a_record_joining_a_closed_group_reopens_it_for_the_newcomer_only() -> None:
    a, b, c = brief(1), brief(2), brief(3)
    case = case_of(a, b)
    attest(case, a, approve=True)
    request_deletion(case, b)
    confirm_deletion(case, leader(b), b.registry_number, NOW)
    assert case.closed and outcome(case, a) is SettlementOutcome.ATTESTED
    case.pending.clear()
    dedup_says(case, a, b, c)  # c registered before dedup applied b's deletion
    assert not case.closed and "case.group_reopened" in kinds(case)
    assert outcome(case, a) is SettlementOutcome.ATTESTED and outcome(case, b) is SettlementOutcome.DELETED
    assert case.members[c.registry_number].stage is Stage.TO_HANDLE
    with refused("already_attested"):  # a's approved attestation counts
        attest(case, c)
    request_deletion(case, c)
    confirm_deletion(case, leader(c), c.registry_number, NOW)
    assert case.closed


# --- defect 7: the arbiter is recomputed -----------------------------------------------------------

def test_a_further_approval_while_arbitration_is_pending_moves_the_arbiter_up() -> None:
    a, b, c = brief(1, "440103"), brief(2, "440104"), brief(3, "440305")
    case = case_of(a, b, c)
    attest(case, a, approve=True)
    attest(case, b, approve=True)
    assert (case.arbitration, case.arbiter_code) == (ArbitrationStatus.PENDING, "440100")
    attest(case, c, approve=True)
    assert case.arbiter_code == "440000"
    changed = [e for e in case.pending if isinstance(e, ev.ArbitrationStateChanged)]
    assert changed[-1].arbiter_code == "440000"
    with pytest.raises(Exception, match="assigned"):
        decide_arbitration(case, arbiter("440100"), a.registry_number, "older", NOW)
    decide_arbitration(case, arbiter("440000"), c.registry_number, "older", NOW)
    losers = {rn for rn, m in case.members.items() if m.lost_arbitration}
    assert losers == {a.registry_number, b.registry_number}


# --- defect 8: the 2014 table ------------------------------------------------------------------------

def test_under_2014_a_formal_l_record_is_deleted_with_review_and_only_g_records_are_refused() -> None:
    a = brief(1, status=RecordStatus.FORMAL)
    g = brief(2, prefix="G", status=RecordStatus.FORMAL)
    case = case_of(a, g, rule_set=RuleSet.R2014)
    request_deletion(case, a)
    confirm_deletion(case, leader(a), a.registry_number, NOW)
    assert case.members[a.registry_number].stage is Stage.AWAITING_REVIEW
    with refused("g_record_may_not_be_deleted"):
        request_deletion(case, g)


# --- defect 9: nothing is left in a queue when a case closes ------------------------------------------

def test_requests_still_open_when_the_case_closes_are_cancelled_with_a_reason() -> None:
    a, b = brief(1, "110105"), brief(2, "110108")
    case = case_of(a, b)
    attest(case, a)
    request_deletion(case, b)
    confirm_deletion(case, leader(b), b.registry_number, NOW)  # pending record: deleted at once
    assert case.closed
    member = case.members[a.registry_number]
    assert (member.stage, member.outcome) == (Stage.SETTLED, SettlementOutcome.CLEARED)
    [cancelled] = [e for e in case.pending if isinstance(e, ev.RequestEnded)]
    assert (cancelled.ended, cancelled.was_awaiting, cancelled.registry_number) == (
        "cancelled", "review", a.registry_number)
    assert cancelled.reason
    with pytest.raises(Refused):
        review(case, bureau(a), a.registry_number, APPROVE, None, NOW)


# --- defect 10: amending what the ID problem is about ---------------------------------------------------

def test_a_gender_mismatch_is_amended_by_the_gender_alone() -> None:
    a = brief(1)
    case = case_of(a, problem=ProblemType.ID_NOT_FOUND)
    case.reasons = ("gender_mismatch",)
    amend(case, a, AmendedFields(gender=2))
    assert case.members[a.registry_number].stage is Stage.AWAITING_REVIEW
    other = case_of(a, problem=ProblemType.ID_NOT_FOUND)
    other.reasons = ("check_digit",)
    with refused("changes_identity"):
        amend(other, a, AmendedFields(gender=2))


def test_an_amended_id_number_without_the_name_is_refused_with_the_reason() -> None:
    a = brief(1)
    case = case_of(a, problem=ProblemType.ID_NOT_FOUND)
    with pytest.raises(Invalid, match="together with the name"):
        amend(case, a, AmendedFields(id_number="110105201201011234"))


# --- defect 11: allowed actions mean "accepted now" -------------------------------------------------------

def test_allowed_actions_list_only_what_the_next_request_will_have_accepted() -> None:
    a, b = brief(1, "440103"), brief(2, "440104")
    case = case_of(a, b)

    def allowed(member: MemberBrief) -> set[Action]:
        members = case_view(case, registrar(member)).members
        [view] = [m for m in members if m.school_code == member.school_code]
        return set(view.allowed_actions)

    assert allowed(a) == {Action.ATTEST, Action.AMEND, Action.DELETE}
    attest(case, a)
    assert allowed(a) == set()  # at review: nothing to submit
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    attest(case, b, approve=True)
    decide_arbitration(case, arbiter("440100"), a.registry_number, "older", NOW)
    assert allowed(b) == {Action.AMEND, Action.DELETE}  # the loser may not attest again


# --- what the people need -----------------------------------------------------------------------------------

def test_the_registrar_withdraws_an_untouched_request_and_the_leader_declines_a_deletion() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    attest(case, a)
    case.withdraw(registrar(a), a.registry_number, NOW)
    assert case.members[a.registry_number].stage is Stage.TO_HANDLE
    request_deletion(case, b)
    with pytest.raises(Invalid):
        case.decline_deletion(leader(b), b.registry_number, "  ", NOW)
    case.decline_deletion(leader(b), b.registry_number, "学生仍在读", NOW)
    member = case.members[b.registry_number]
    assert (member.stage, member.rejected_reason) == (Stage.TO_HANDLE, "学生仍在读")
    formal = brief(3, status=RecordStatus.FORMAL)
    other = case_of(formal, brief(4))
    request_deletion(other, formal)
    confirm_deletion(other, leader(formal), formal.registry_number, NOW)  # confirmed: no longer withdrawable
    with refused("untouched"):
        other.withdraw(registrar(formal), formal.registry_number, NOW)
    ended = [e.ended for e in case.pending if isinstance(e, ev.RequestEnded)]
    assert ended == ["withdrawn", "declined"]


def test_the_bureau_sees_the_request_it_reviews_with_its_evidence_and_what_approval_rejects() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    attest(case, a, opinion="两个孩子，户口簿为证")
    attest(case, b)
    file = EvidenceFile(evidence_id=EVIDENCE[0], file_name="户口簿.jpg", file_type="jpg", size_bytes=1000,
                        uploaded_at=NOW, link=f"/v1/evidence/{EVIDENCE[0]}/link")
    view = case_view(case, bureau(a), {EVIDENCE[0]: file})
    [seen_a] = [m for m in view.members if m.registry_number == a.registry_number]
    assert seen_a.request is not None
    assert seen_a.request.opinion == "两个孩子，户口簿为证" and seen_a.request.evidence == [file]
    assert seen_a.request.approval_rejects == [b.registry_number]
    assert "review" in seen_a.next_steps
    other_school = case_view(case, registrar(b)).members
    assert [m.request for m in other_school if m.registry_number == a.registry_number] == [None]


def test_an_amendment_shows_old_and_new_values_side_by_side() -> None:
    a = brief(1).model_copy(update={"masked_id_number": "110*************11", "gender": 1})
    case = case_of(a, problem=ProblemType.ID_NOT_FOUND)
    amend(case, a, AmendedFields(id_number="110105201201011234", name="张三", gender=2))
    [seen] = case_view(case, bureau(a)).members
    assert seen.request is not None
    changes = {c.field: (c.old, c.new) for c in seen.request.changes}
    assert changes == {"gender": ("1", "2"), "id_number": ("110*************11", "110105201201011234"),
                       "name": ("张*", "张三")}


def test_the_losing_concurrent_approval_is_told_it_was_auto_rejected() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    attest(case, a)
    attest(case, b)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    with pytest.raises(Refused, match=f"attestation of {a.registry_number} was approved"):
        review(case, bureau(b), b.registry_number, APPROVE, None, NOW)


def test_citing_evidence_not_heard_of_yet_is_worth_a_retry() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    mine, theirs, unknown = uuid4(), uuid4(), uuid4()
    with pytest.raises(Invalid, match="another member"):
        submit_action(case, registrar(a), a.registry_number, Action.ATTEST, NOW, evidence_ids=(theirs,),
                      known_evidence=frozenset({mine}), elsewhere=frozenset({theirs}), opinion="x")
    with pytest.raises(EvidenceNotKnownYet) as not_yet:
        submit_action(case, registrar(a), a.registry_number, Action.ATTEST, NOW, evidence_ids=(unknown,),
                      known_evidence=frozenset({mine}), opinion="x")
    assert not_yet.value.retry_after and not_yet.value.status == 409


def test_the_rule_set_of_new_groups_is_chosen_per_province() -> None:
    by_province = {"440000": RuleSet.R2014}
    assert rules.rule_set_for(("440000",), by_province, RuleSet.R2017) is RuleSet.R2014
    assert rules.rule_set_for(("110000",), by_province, RuleSet.R2017) is RuleSet.R2017
    assert rules.rule_set_for(("110000", "440000"), by_province, RuleSet.R2017) is RuleSet.R2017


# --- issue 18: one rule for the view and the history ---------------------------------------------------

def test_another_schools_g_member_is_masked_alike_in_the_view_and_the_history() -> None:
    g = brief(1, prefix="G").model_copy(update={"masked_id_number": "110*************11", "gender": 1})
    other, far = brief(2), brief(3, "440103")
    case = case_of(g, other, far)
    attest(case, g, opinion="本校学生，户口簿为证")
    review(case, bureau(g), g.registry_number, REJECT, "证明材料不清晰", NOW)
    entries = list(case.audit)
    masked = g.registry_number[:4] + "*" * 12 + g.registry_number[-3:]
    for reader in (registrar(other), bureau(far)):  # another school; another province's bureau
        [seen] = [m for m in case_view(case, reader).members if m.school_code == g.school_code]
        lines = [e for e in history_view(case, entries, reader) if e.school_code == g.school_code]
        if reader.organisation_code.startswith("11"):
            assert seen.registry_number == masked and seen.brief is not None
            assert seen.brief.registry_number == masked and seen.brief.gender is None
            assert {e.registry_number for e in lines} == {masked}
        else:  # another province: province and school only
            assert seen.registry_number is None and seen.brief is None
            assert {e.registry_number for e in lines} == {None}
            assert {e.province_code for e in lines} == {"110000"}
        assert seen.rejected_reason is None
        assert {e.reason for e in lines} == {None}  # neither the opinion nor the rejection's reason
        assert all(e.actor_subject is None for e in history_view(case, entries, reader))
        assert g.registry_number not in case_view(case, reader).model_dump_json()
    own = [e for e in history_view(case, entries, registrar(g)) if e.school_code == g.school_code]
    assert {e.registry_number for e in own} == {g.registry_number}
    assert {e.reason for e in own} >= {"本校学生，户口簿为证", "证明材料不清晰"}
    [mine] = [m for m in case_view(case, registrar(g)).members if m.school_code == g.school_code]
    assert mine.registry_number == g.registry_number and mine.rejected_reason == "证明材料不清晰"


def test_an_applied_amendment_is_kept_masked_in_the_case_and_its_audit() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    amend(case, a, AmendedFields(id_number="440103201201011234", name="李四"))
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    assert case.members[a.registry_number].amendment == AmendedFields(id_number="440103201201011234",
                                                                     name="李四")  # until dedup applies it
    case.apply_amendment_result(applied(case, a), NOW)
    kept = case.members[a.registry_number].amendment
    assert kept is not None and (kept.name, kept.id_number) == ("李*", "440*************34")
    shown = case.model_dump_json() + "".join(e.model_dump_json() for e in case.audit)
    assert "440103201201011234" not in shown and "李四" not in shown
    assert any(e.what == "amendment_applied" and e.reason and "440*" in e.reason for e in case.audit)


def test_each_provinces_copy_of_a_case_event_carries_only_its_own_members_in_full() -> None:
    beijing, guangdong = brief(1, "110105", prefix="G"), brief(2, "440103", prefix="G")
    case = case_of(beijing, guangdong)
    attest(case, guangdong)
    opened = next(e for e in case.pending if isinstance(e, ev.ActionSubmitted))
    for province, own, other in (("110000", beijing, guangdong), ("440000", guangdong, beijing)):
        members = for_province(case_of_event(case), province, case)
        assert isinstance(members, ev.GroupOpened)
        shown = {m.school_code: m for m in members.members}
        assert shown[own.school_code].brief is not None and shown[other.school_code].brief is None
        assert shown[other.school_code].member_ref == REF(other.registry_number)
        copy = for_province(opened, province, case)
        assert isinstance(copy, ev.ActionSubmitted) and copy.member_ref == REF(guangdong.registry_number)
        assert copy.registry_number == (guangdong.registry_number if province == "440000" else None)
        text = members.model_dump_json() + copy.model_dump_json()
        assert other.registry_number not in text and other.registry_number[1:] not in text


def case_of_event(case: Case) -> ev.GroupOpened:
    """The case's opening event as its members are now."""
    return ev.GroupOpened(**case.case_fields(), rule_set=case.rule_set, members=case.case_members(),
                          arbitration_status=case.arbitration)


def test_dedups_own_events_reopen_a_closed_case_for_a_record_that_joins_later() -> None:
    """The path through dedup's real group transitions: b amended away clears the group; c registered
    later with the number reopens that group, and its case for c only."""
    a, b, c = brief(1), brief(2), brief(3)
    group = Group("id:k")
    group.put(a)
    group.put(b)
    [opened] = group.pending
    assert isinstance(opened, ProblemDetected)
    case = Case.open(opened, RuleSet.R2017, NOW, REF)
    attest(case, a, approve=True)
    amend(case, b)
    review(case, bureau(b), b.registry_number, APPROVE, None, NOW)
    group.pending.clear()
    group.drop(b.registry_number)  # dedup applied b's amendment: the number is a's alone
    group.put(c)
    cleared, reopened = group.pending
    assert isinstance(cleared, ProblemCleared) and isinstance(reopened, MembershipChanged)
    apply_membership(case, cleared, NOW, REF)
    assert case.closed and outcome(case, a) is SettlementOutcome.ATTESTED
    assert outcome(case, b) is SettlementOutcome.AMENDED
    apply_membership(case, reopened, NOW, REF)
    assert not case.closed and outcome(case, a) is SettlementOutcome.ATTESTED
    assert case.members[c.registry_number].stage is Stage.TO_HANDLE


def test_an_id_problem_amended_by_the_name_alone_is_refused_with_the_reason() -> None:
    a = brief(1)
    case = case_of(a, problem=ProblemType.ID_NAME_MISMATCH)
    with pytest.raises(Invalid, match="together with the ID number"):
        amend(case, a, AmendedFields(name="李四"))  # the population database could not check it again
    amend(case, a, AmendedFields(name="李四", id_number="110105201201011234"))


def test_the_view_gives_each_waiting_member_its_deadline_and_names_who_auto_rejected_it() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    policy = DeadlinePolicy(school_handling_days=10, bureau_review_days=5)
    view = {m.registry_number: m for m in case_view(case, registrar(a), policy=policy).members}
    assert view[a.registry_number].due_at == NOW + timedelta(days=10)  # 期限 of the school's handling
    attest(case, a)
    attest(case, b)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    seen = {m.registry_number: m for m in case_view(case, registrar(b), policy=policy).members}
    assert seen[b.registry_number].auto_rejected_by == a.registry_number
    assert seen[b.registry_number].due_at == NOW + timedelta(days=10)  # back with the school, anew
    assert "自动不通过" in (seen[b.registry_number].rejected_reason or "")


def test_case_events_carry_the_groups_sequence_strictly_increasing_across_decisions() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    attest(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    sequences = [e.sequence for e in case.pending if isinstance(e, ev.CaseEvent)]
    # the group's opening was the first (cleared from ``pending`` by the factory)
    assert sequences == list(range(2, len(sequences) + 2)) and len(sequences) >= 3
    assert case.events_emitted == sequences[-1]
