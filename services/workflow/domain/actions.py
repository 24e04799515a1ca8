"""What a school asks for its own member (DOMAIN §4): attest, amend, or delete with its leader."""

from datetime import datetime
from uuid import UUID

from xueji_contracts import cases as ev
from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import Action, ProblemType, Role, SettlementOutcome

from .errors import Invalid, Refused
from .jurisdiction import require_school
from .rules import deletion_needs_review, may_attest, may_delete
from .settlement import Settlement
from .state import Actor, CaseState, Member, Stage

IDENTITY_FIELDS = {
    ProblemType.DUPLICATE_ID: {"id_number", "id_type"},
    ProblemType.DUPLICATE_NGB: {"name", "gender", "birth_date", "id_type", "id_number"},
}


def one_attestation_per_district(case: CaseState, member: Member) -> None:
    """DUPLICATE_ID: one approved attestation per district; none once the number is attested."""
    if case.problem_type is not ProblemType.DUPLICATE_ID:
        return
    others = [m for m in case.members.values() if m.rn != member.rn and not m.gone]
    if any(m.outcome is SettlementOutcome.ATTESTED for m in others):
        raise Refused(
            "duplicate_id.number_already_attested",
            "another member's attestation of this number was approved: amend or delete this record",
        )
    if any(m.stage is Stage.APPROVED and m.brief.district_code == member.brief.district_code for m in others):
        raise Refused(
            "duplicate_id.one_approved_attestation_per_district",
            "another attestation of this district is already approved for this number",
        )


def check_attest(
    case: CaseState, member: Member, evidence_ids: tuple[UUID, ...], opinion: str | None
) -> None:
    if not evidence_ids or not (opinion and opinion.strip()):
        raise Invalid("an attestation needs the school's opinion and at least one evidence file")
    if member.lost_arbitration:
        raise Refused(
            "arbitration.rejected_member_amends_or_deletes",
            "the arbiter rejected this attestation: amend or delete the record",
        )
    if forbidden := may_attest(case.rules, case.problem_type, member.brief, case.others(member.rn)):
        raise Refused(forbidden, "this member may not attest under the group's rule set")
    one_attestation_per_district(case, member)


def check_amend(
    problem_type: ProblemType, evidence_ids: tuple[UUID, ...], amendment: AmendedFields | None
) -> None:
    if not evidence_ids or amendment is None or not amendment.model_fields_set:
        raise Invalid("an amendment needs new field values and at least one evidence file")
    if amendment.id_number is not None and amendment.name is None:
        raise Invalid("an amended ID number needs the name too, so the population database can check both")
    wanted = IDENTITY_FIELDS.get(problem_type, {"id_number", "name", "id_type"})
    if not wanted & amendment.model_fields_set:
        raise Refused(
            "amendment.changes_identity",
            f"for {problem_type.value} an amendment must change one of {sorted(wanted)}",
        )


class Actions(Settlement):
    def submit_action(self, actor: Actor, rn: str, action: Action, now: datetime, *,
                      evidence_ids: tuple[UUID, ...] = (), known_evidence: frozenset[UUID] = frozenset(),
                      opinion: str | None = None, amendment: AmendedFields | None = None,
                      confirmed: bool = False) -> None:
        """A school registrar attests, amends or requests deletion of its own member."""
        member = self.member(rn)
        require_school(actor, member, Role.SCHOOL_REGISTRAR)
        if self.closed or member.stage is not Stage.TO_HANDLE:
            raise Refused("handling.to_handle", f"this member is {member.stage.value}; nothing to submit now")
        if unknown := set(evidence_ids) - known_evidence:
            raise Invalid(f"evidence {sorted(map(str, unknown))} was not uploaded for this member")
        if action is Action.ATTEST:
            check_attest(self, member, evidence_ids, opinion)
        elif action is Action.AMEND:
            check_amend(self.problem_type, evidence_ids, amendment)
        else:
            if not confirmed:
                raise Invalid("a deletion must be confirmed: send confirm=true")
            if forbidden := may_delete(self.rules, member.brief):
                raise Refused(forbidden, "this record may not be deleted under the group's rule set")
        before = member.stage
        member.action, member.evidence_ids, member.opinion = action, evidence_ids, opinion
        member.amendment, member.rejected_reason = amendment, None
        member.move(Stage.AWAITING_LEADER if action is Action.DELETE else Stage.AWAITING_REVIEW, now)
        self.emit(ev.ActionSubmitted(
            **self.case_fields(),
            registry_number=rn,
            action=action,
            actor=actor.as_event_actor(),
            evidence_ids=evidence_ids,
            changed_fields=tuple(sorted(amendment.model_fields_set)) if amendment else (),
            needs_leader_confirmation=action is Action.DELETE,
            needs_review=action is not Action.DELETE or deletion_needs_review(member.brief),
        ))
        self.record(now, actor, f"submitted_{action.value}", member, reason=opinion, before=before)

    def confirm_deletion(self, actor: Actor, rn: str, now: datetime) -> None:
        """The school leader confirms a deletion its registrar requested."""
        member = self.member(rn)
        require_school(actor, member, Role.SCHOOL_LEADER)
        if member.stage is not Stage.AWAITING_LEADER:
            raise Refused(
                "deletion.awaiting_leader", "no deletion request awaits confirmation for this member"
            )
        needs_review = deletion_needs_review(member.brief)
        self.emit(ev.DeletionConfirmed(**self.case_fields(), registry_number=rn, actor=actor.as_event_actor(),
                                       needs_review=needs_review))
        self.record(now, actor, "deletion_confirmed", member, before=Stage.AWAITING_LEADER)
        if needs_review:
            member.move(Stage.AWAITING_REVIEW, now)
        else:
            self.delete_member(member, now)
        self.settle(now)
