"""Random action sequences on one case keep its invariants (hypothesis stateful test)."""

import contextlib
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from xueji_contracts import cases as ev
from xueji_contracts.commands import AmendedFields, ApplyAmendment, DeleteRecord
from xueji_contracts.enums import (
    Action,
    ProblemType,
    RecordStatus,
    ReviewDecision,
    RuleSet,
    SettlementOutcome,
)
from xueji_contracts.envelope import Envelope
from xueji_contracts.problems import AmendmentApplied, MemberBrief, MembershipChanged, ProblemCleared

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
from services.workflow.domain.settlement import conflict_remains

from .factories import EVIDENCE, NOW, REF, arbiter, brief, bureau, case_of, leader, registrar

DISTRICTS = ("110105", "110108", "120101", "440103")
EXPECTED = (Refused, Invalid, OutsideJurisdiction)
member_index = st.integers(min_value=0, max_value=3)


class CaseMachine(RuleBasedStateMachine):
    case: Case
    briefs: list[MemberBrief]
    events: list[Envelope]

    @initialize(
        problem=st.sampled_from(list(ProblemType)),
        rule_set=st.sampled_from(list(RuleSet)),
        districts=st.lists(st.sampled_from(DISTRICTS), min_size=2, max_size=4),
        prefixes=st.lists(st.sampled_from("GL"), min_size=4, max_size=4),
    )
    def open(
        self, problem: ProblemType, rule_set: RuleSet, districts: list[str], prefixes: list[str]
    ) -> None:
        count = 1 if problem not in (ProblemType.DUPLICATE_ID, ProblemType.DUPLICATE_NGB) else len(districts)
        self.briefs = [
            brief(i, d, prefix=p) for i, (d, p) in enumerate(zip(districts[:count], prefixes, strict=False))
        ]
        self.case = case_of(*self.briefs, problem=problem, rule_set=rule_set)
        self.rule_set, self.sequence, self.events = rule_set, 0, []

    def _pick(self, index: int) -> MemberBrief:
        return self.briefs[index % len(self.briefs)]

    def _do(self, action, *args) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(*EXPECTED):
            action(self.case, *args)
        self.events += self.case.pending
        self.case.pending.clear()

    @rule(i=member_index, action=st.sampled_from(list(Action)))
    def submit(self, i: int, action: Action) -> None:
        b = self._pick(i)
        self._do(
            lambda c: submit_action(
                c,
                registrar(b),
                b.registry_number,
                action,
                NOW,
                evidence_ids=EVIDENCE,
                known_evidence=frozenset(EVIDENCE),
                opinion="correct",
                confirmed=True,
                amendment=AmendedFields(
                    id_number=f"44010320120101{i:03d}1", name="李四", id_type="resident_id"
                ),
            )
        )

    @rule(i=member_index)
    def confirm(self, i: int) -> None:
        b = self._pick(i)
        self._do(lambda c: confirm_deletion(c, leader(b), b.registry_number, NOW))

    @rule(i=member_index, approve=st.booleans(), reason=st.sampled_from([None, "", "unclear evidence"]))
    def review_it(self, i: int, approve: bool, reason: str | None) -> None:
        b = self._pick(i)
        decision = ReviewDecision.APPROVED if approve else ReviewDecision.REJECTED
        self._do(lambda c: review(c, bureau(b), b.registry_number, decision, reason, NOW))

    @rule(i=member_index)
    def arbitrate(self, i: int) -> None:
        b = self._pick(i)
        self._do(
            lambda c: decide_arbitration(c, arbiter(c.arbiter_code or ""), b.registry_number, "older", NOW)
        )

    @rule(i=member_index)
    def re_initiate(self, i: int) -> None:
        b = self._pick(i)
        self._do(lambda c: reinitiate(c, registrar(b), b.registry_number, True, RuleSet.R2017, NOW))

    def _remaining(self) -> tuple[MemberBrief, ...]:
        away = {e.registry_number for e in self.events if isinstance(e, ApplyAmendment | DeleteRecord)}
        return tuple(b for b in self.briefs if b.registry_number not in away)

    @rule(cleared=st.booleans())
    def dedup_catches_up(self, cleared: bool) -> None:
        """Dedup applies the amendments and deletions sent so far (and may find no conflict left)."""
        self.sequence += 1
        remaining = self._remaining()
        duplicate = self.case.problem_type in (ProblemType.DUPLICATE_ID, ProblemType.DUPLICATE_NGB)
        cleared = cleared and not (duplicate and len(remaining) > 1)  # dedup clears what it no longer sees
        fields = {"producer": "dedup", "group_id": self.case.group_id, "problem_type": self.case.problem_type,
                  "sequence": self.sequence}
        event: MembershipChanged | ProblemCleared = (
            ProblemCleared(**fields, reason="no_duplicate_left", members=remaining)
            if cleared or not remaining else MembershipChanged(**fields, members=remaining))
        self._do(lambda c: apply_membership(c, event, NOW, REF))

    @rule(i=member_index)
    def details_change(self, i: int) -> None:
        """Dedup changes only a member's details (its masked name; formal once approved)."""
        b = self._pick(i)
        self.briefs = [x.model_copy(update={"masked_name": "李*"}) if x == b else x for x in self.briefs]
        self.dedup_catches_up(cleared=False)

    @rule(district=st.sampled_from(DISTRICTS))
    def late_join(self, district: str) -> None:
        """A record registered later joins the group (also a closed one, §6)."""
        duplicate = self.case.problem_type in (ProblemType.DUPLICATE_ID, ProblemType.DUPLICATE_NGB)
        if len(self.briefs) < 6 and duplicate:
            self.briefs.append(brief(len(self.briefs) + 10, district))
            self.dedup_catches_up(cleared=False)

    @rule(i=member_index, kept=st.booleans(), problem=st.sampled_from([None, *ProblemType]),
          stale=st.booleans())
    def amendment_applied(self, i: int, kept: bool, problem: ProblemType | None, stale: bool) -> None:
        """Dedup reports what became of an amendment it applied (or an earlier one, again)."""
        b = self._pick(i)
        member = self.case.members.get(b.registry_number)
        command = member.amendment_command if member else None
        event = AmendmentApplied(producer="dedup", group_id=self.case.group_id,
                                 registry_number=b.registry_number, member=b, identity_key_kept=kept,
                                 id_problem=problem,
                                 causation_id=uuid4() if stale or not command else UUID(command))
        self._do(lambda c: c.apply_amendment_result(event, NOW))

    @invariant()
    def never_two_approved_attestations_of_one_number_on_one_side(self) -> None:
        if self.case.problem_type is ProblemType.DUPLICATE_ID:
            attested = [m.brief.province_code for m in self.case.members.values()
                        if m.outcome is SettlementOutcome.ATTESTED and not m.gone]
            assert len(attested) == len(set(attested))
            approved = [
                m.brief.district_code for m in self.case.members.values() if m.stage is Stage.APPROVED
            ]
            assert len(approved) == len(set(approved))

    @invariant()
    def a_closed_group_leaves_nobody_waiting(self) -> None:
        if self.case.closed:
            assert all(m.stage is Stage.SETTLED for m in self.case.members.values())

    @invariant()
    def an_approved_request_makes_the_record_formal_in_the_case(self) -> None:
        approved = {e.member_ref for e in self.events if isinstance(e, ev.Reviewed)
                    and e.decision is ReviewDecision.APPROVED and e.action is not Action.DELETE}
        for m in self.case.members.values():
            assert m.ref not in approved or m.brief.status is RecordStatus.FORMAL

    @invariant()
    def an_approved_attestation_never_becomes_left_the_group(self) -> None:
        attested = {e.member_ref for e in self.events
                    if isinstance(e, ev.MemberSettled) and e.outcome is SettlementOutcome.ATTESTED}
        for m in self.case.members.values():
            assert m.ref not in attested or m.outcome is SettlementOutcome.ATTESTED

    @invariant()
    def a_closed_group_has_no_conflict(self) -> None:
        if self.case.closed:
            assert not conflict_remains(self.case)

    @invariant()
    def the_rule_set_never_changes(self) -> None:
        assert self.case.rule_set is self.rule_set

    @invariant()
    def every_rejection_has_a_reason(self) -> None:
        for event in self.events:
            if isinstance(event, ev.Reviewed) and event.decision is ReviewDecision.REJECTED:
                assert event.reason and event.reason.strip()
            if isinstance(event, ev.AutoRejected | ev.ArbitrationDecided):
                assert event.reason


TestCaseMachine = CaseMachine.TestCase
TestCaseMachine.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
