"""Every handling path of DOMAIN §4–6 on the case aggregate."""

import pytest
from xueji_contracts import cases as ev
from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import (
    Action,
    ArbitrationStatus,
    ProblemType,
    RecordStatus,
    ReviewDecision,
    RuleSet,
    SettlementOutcome,
)
from xueji_contracts.problems import MemberBrief, MembershipChanged, ProblemCleared

from services.workflow.domain.case import Case, Stage
from services.workflow.domain.errors import Invalid, OutsideJurisdiction, Refused
from services.workflow.domain.handling import (
    apply_membership,
    confirm_deletion,
    decide_arbitration,
    reinitiate,
    review,
    submit_action,
)

from .factories import EVIDENCE, NOW, REF, arbiter, attest, brief, bureau, case_of, kinds, leader, registrar

APPROVE, REJECT = ReviewDecision.APPROVED, ReviewDecision.REJECTED


def amend(case: Case, b: MemberBrief, number: str = "110105201201011234") -> None:
    submit_action(
        case,
        registrar(b),
        b.registry_number,
        Action.AMEND,
        NOW,
        evidence_ids=EVIDENCE,
        known_evidence=frozenset(EVIDENCE),
        amendment=AmendedFields(id_number=number, name="张三"),
    )


def left(case: Case, *remaining: MemberBrief, sequence: int = 1) -> MembershipChanged:
    return MembershipChanged(
        producer="dedup",
        group_id=case.group_id,
        problem_type=case.problem_type,
        members=remaining,
        sequence=sequence,
    )


def test_same_district_approving_one_attestation_auto_rejects_the_other_then_delete_closes() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    attest(case, a)
    attest(case, b)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    assert case.members[b.registry_number].stage is Stage.TO_HANDLE
    assert "case.auto_rejected" in kinds(case)
    assert case.arbitration is ArbitrationStatus.NOT_NEEDED
    with pytest.raises(Refused) as refused:
        attest(case, b)
    assert refused.value.rule == "duplicate_id.number_already_attested"
    submit_action(case, registrar(b), b.registry_number, Action.DELETE, NOW, confirmed=True)
    confirm_deletion(case, leader(b), b.registry_number, NOW)  # pending record: no bureau review
    assert case.closed
    assert kinds(case)[-1] == "case.group_closed"
    assert "command.delete_record" in kinds(case)
    assert case.members[a.registry_number].outcome is SettlementOutcome.ATTESTED


def test_two_districts_of_one_city_approve_then_the_city_arbitrates_and_the_loser_amends() -> None:
    a, b = brief(1, "440103"), brief(2, "440104")
    case = case_of(a, b)
    attest(case, a)
    attest(case, b)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    assert case.arbitration.value == "undecided"
    review(case, bureau(b), b.registry_number, APPROVE, None, NOW)
    assert (case.arbitration, case.arbiter_code) == (ArbitrationStatus.PENDING, "440100")
    with pytest.raises(OutsideJurisdiction):
        decide_arbitration(case, arbiter("440000"), a.registry_number, "older record", NOW)
    decide_arbitration(case, arbiter("440100"), a.registry_number, "older record", NOW)
    assert case.arbitration.value == "decided"
    with pytest.raises(Refused):
        attest(case, b)
    amend(case, b)
    review(case, bureau(b), b.registry_number, APPROVE, None, NOW)
    assert "command.apply_amendment" in kinds(case)
    assert not case.closed
    apply_membership(case, left(case, a), NOW, REF)
    assert case.closed
    assert case.members[b.registry_number].outcome is SettlementOutcome.AMENDED


@pytest.mark.parametrize(
    ("first", "second", "arbiter_code"),
    [("110105", "110108", "110000"), ("440103", "440305", "440000"), ("320102", "320104", "320100"),
     ("429004", "420102", "420000"), ("441900", "440103", "440000")],
)
def test_arbitration_goes_to_the_lowest_common_superior(first: str, second: str, arbiter_code: str) -> None:
    a, b = brief(1, first), brief(2, second)
    case = case_of(a, b)
    for member in (a, b):
        attest(case, member)
        review(case, bureau(member), member.registry_number, APPROVE, None, NOW)
    assert case.arbiter_code == arbiter_code


def test_a_rejection_needs_a_reason_and_sends_the_member_back_to_its_school() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    attest(case, a)
    with pytest.raises(Invalid):
        review(case, bureau(a), a.registry_number, REJECT, " ", NOW)
    review(case, bureau(a), a.registry_number, REJECT, "evidence unreadable", NOW)
    member = case.members[a.registry_number]
    assert (member.stage, member.rejected_reason) == (Stage.TO_HANDLE, "evidence unreadable")
    with pytest.raises(Refused):  # the second click of the same button
        review(case, bureau(a), a.registry_number, REJECT, "again", NOW)


def test_nobody_acts_outside_their_jurisdiction() -> None:
    a, b = brief(1, "110105"), brief(2, "110108")
    case = case_of(a, b)
    with pytest.raises(OutsideJurisdiction):
        submit_action(
            case,
            registrar(b),
            a.registry_number,
            Action.ATTEST,
            NOW,
            evidence_ids=EVIDENCE,
            known_evidence=frozenset(EVIDENCE),
            opinion="x",
        )
    attest(case, a)
    with pytest.raises(OutsideJurisdiction):
        review(case, bureau(b), a.registry_number, APPROVE, None, NOW)
    with pytest.raises(OutsideJurisdiction):
        confirm_deletion(case, registrar(a), a.registry_number, NOW)


def test_attestation_and_amendment_need_evidence_and_deletion_needs_confirmation() -> None:
    a, b = brief(1), brief(2)
    case = case_of(a, b)
    with pytest.raises(Invalid):
        submit_action(case, registrar(a), a.registry_number, Action.ATTEST, NOW, opinion="x")
    with pytest.raises(Invalid):
        submit_action(
            case,
            registrar(a),
            a.registry_number,
            Action.AMEND,
            NOW,
            evidence_ids=EVIDENCE,
            known_evidence=frozenset(EVIDENCE),
        )
    with pytest.raises(Invalid):
        submit_action(
            case,
            registrar(a),
            a.registry_number,
            Action.AMEND,
            NOW,
            evidence_ids=EVIDENCE,
            known_evidence=frozenset(EVIDENCE),
            amendment=AmendedFields(id_number="110105201201011234"),
        )  # without the name
    with pytest.raises(Refused):
        submit_action(
            case,
            registrar(a),
            a.registry_number,
            Action.AMEND,
            NOW,
            evidence_ids=EVIDENCE,
            known_evidence=frozenset(EVIDENCE),
            amendment=AmendedFields(name="张四"),
        )  # does not change the duplicated number
    with pytest.raises(Invalid):
        submit_action(case, registrar(a), a.registry_number, Action.DELETE, NOW)


@pytest.mark.parametrize(("rule_set", "allowed"), [(RuleSet.R2014, False), (RuleSet.R2017, True)])
def test_an_l_record_duplicated_with_a_g_record_attests_only_under_2017(
    rule_set: RuleSet, allowed: bool
) -> None:
    g, lrec = brief(1, prefix="G", status=RecordStatus.FORMAL), brief(2, district="110108")
    case = case_of(g, lrec, rule_set=rule_set)
    if allowed:
        attest(case, lrec)
    else:
        with pytest.raises(Refused, match="may not attest") as refused:
            attest(case, lrec)
        assert refused.value.rule == "rule_set_2014.l_with_g_may_not_attest"


def test_under_2014_only_the_g_side_whose_number_is_its_id_number_attests() -> None:
    matching, other = brief(1, prefix="G", matches=True), brief(2, "110108", prefix="G")
    case = case_of(matching, other, rule_set=RuleSet.R2014)
    attest(case, matching)
    with pytest.raises(Refused):
        attest(case, other)
    both = case_of(brief(3, prefix="G"), brief(4, "110108", prefix="G"))
    attest(both, brief(3, prefix="G"))
    attest(both, brief(4, "110108", prefix="G"))


def test_a_g_record_is_deleted_with_leader_and_bureau_under_2017_and_never_under_2014() -> None:
    g, other = brief(1, prefix="G", status=RecordStatus.FORMAL), brief(2)
    old = case_of(g, other, rule_set=RuleSet.R2014)
    with pytest.raises(Refused, match="may not be deleted"):
        submit_action(old, registrar(g), g.registry_number, Action.DELETE, NOW, confirmed=True)
    case = case_of(g, other)
    submit_action(case, registrar(g), g.registry_number, Action.DELETE, NOW, confirmed=True)
    confirm_deletion(case, leader(g), g.registry_number, NOW)
    assert case.members[g.registry_number].stage is Stage.AWAITING_REVIEW
    review(case, bureau(g), g.registry_number, APPROVE, None, NOW)
    assert case.members[g.registry_number].outcome is SettlementOutcome.DELETED
    assert case.closed


@pytest.mark.parametrize("problem", [ProblemType.ID_NOT_FOUND, ProblemType.ID_NAME_MISMATCH])
def test_id_errors_attest_under_2017_only(problem: ProblemType) -> None:
    a = brief(1)
    with pytest.raises(Refused):
        attest(case_of(a, problem=problem, rule_set=RuleSet.R2014), a)
    case = case_of(a, problem=problem)
    attest(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    assert case.closed and "command.mark_formal" in kinds(case)
    assert "command.accept_id_problem" in kinds(case)  # dedup will not flag this identity again


def test_id_changed_amended_to_the_new_number_closes_when_dedup_clears() -> None:
    a = brief(1)
    case = case_of(a, problem=ProblemType.ID_CHANGED)
    amend(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    cleared = ProblemCleared(
        producer="dedup",
        group_id=case.group_id,
        problem_type=case.problem_type,
        reason="amended",
        members=(a,),
        sequence=1,
    )
    assert apply_membership(case, cleared, NOW, REF)
    assert case.closed
    assert not apply_membership(case, cleared, NOW, REF)  # redelivered: ignored


def test_duplicate_ngb_attestations_are_all_approved_and_sent_as_attested_distinct() -> None:
    a, b = brief(1), brief(2, "110108")
    case = case_of(a, b, problem=ProblemType.DUPLICATE_NGB)
    for member in (a, b):
        attest(case, member)
        review(case, bureau(member), member.registry_number, APPROVE, None, NOW)
    assert case.closed
    assert "command.mark_attested_distinct" in kinds(case)


def test_reinitiate_is_refused_while_undecided_then_opens_a_one_member_group() -> None:
    a, b = brief(1, "130102"), brief(2, "130104")
    case = case_of(a, b)
    attest(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    assert case.arbitration is ArbitrationStatus.UNDECIDED
    with pytest.raises(Refused, match="undecided"):
        reinitiate(case, registrar(a), a.registry_number, True, RuleSet.R2017, NOW)
    submit_action(case, registrar(b), b.registry_number, Action.DELETE, NOW, confirmed=True)
    confirm_deletion(case, leader(b), b.registry_number, NOW)
    assert case.closed
    new = reinitiate(case, registrar(a), a.registry_number, True, RuleSet.R2017, NOW)
    assert list(new.members) == [a.registry_number]
    assert new.linked_group_id == case.group_id
    assert new.province_codes == ("130000",)
    with pytest.raises(Refused):
        reinitiate(case, registrar(a), a.registry_number, True, RuleSet.R2017, NOW)


def test_a_cross_province_side_finishes_on_its_own() -> None:
    a, b, c = brief(1, "110105"), brief(2, "110105"), brief(3, "440103")
    case = case_of(a, b, c)
    submit_action(case, registrar(b), b.registry_number, Action.DELETE, NOW, confirmed=True)
    confirm_deletion(case, leader(b), b.registry_number, NOW)
    attest(case, a)
    review(case, bureau(a), a.registry_number, APPROVE, None, NOW)
    # no arbitration across provinces: Beijing's side is finished though Guangdong's is still open
    assert case.arbitration is ArbitrationStatus.NOT_NEEDED
    assert case.finished_provinces == ["110000"] and not case.closed
    submit_action(case, registrar(c), c.registry_number, Action.DELETE, NOW, confirmed=True)
    confirm_deletion(case, leader(c), c.registry_number, NOW)
    assert set(case.finished_provinces) == {"110000", "440000"}
    assert case.closed


def test_a_member_joining_later_must_be_handled_too() -> None:
    a, b, c = brief(1), brief(2), brief(3, "120101")
    case = case_of(a, b)
    apply_membership(case, left(case, a, b, c), NOW, REF)
    assert case.members[c.registry_number].stage is Stage.TO_HANDLE
    [changed] = [e for e in case.pending if isinstance(e, ev.MembersChanged)]
    assert changed.joined == (REF(c.registry_number),) and len(changed.members) == 3
    assert case.province_codes == ("110000", "120000")
