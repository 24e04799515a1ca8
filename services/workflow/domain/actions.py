"""What a school asks for its own member (DOMAIN §4): attest, amend, or delete with its leader;
withdraw a request nobody has taken up yet; the leader declines a deletion.

``refusal`` is the one answer to "may this member's school do this now": ``submit_action``
raises it, and the case view offers exactly the actions it lets through.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from xueji_contracts import cases as ev
from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import Action, IdType, ProblemType, Role, SettlementOutcome

from .errors import EvidenceNotKnownYet, Invalid, Refused
from .jurisdiction import require_school
from .rules import ID_PROBLEMS, deletion_needs_review, may_attest, may_delete
from .settlement import Settlement
from .state import Actor, CaseState, Member, Stage

IDENTITY_FIELDS = {
    ProblemType.DUPLICATE_ID: {"id_number", "id_type"},
    ProblemType.DUPLICATE_NGB: {"name", "gender", "birth_date", "id_type", "id_number"},
}
ID_FIELDS = {"id_number", "name", "id_type"}
MISMATCH_FIELDS = {"gender_mismatch": "gender", "birth_date_mismatch": "birth_date"}


def one_attestation_per_district(case: CaseState, member: Member) -> Refused | None:
    """DUPLICATE_ID: one approved attestation per district; none once the number is attested on
    the member's side (each side of a cross-province group keeps the number on its own, §5)."""
    if case.problem_type is not ProblemType.DUPLICATE_ID:
        return None
    side = case.side_of(member)
    others = [m for m in case.side_members(side) if m.rn != member.rn and not m.gone]
    if any(m.outcome is SettlementOutcome.ATTESTED for m in others):
        return Refused(
            "duplicate_id.number_already_attested",
            "本组已有学籍佐证通过，请变更或删除本学籍 (another member's attestation of this number was "
            "approved: amend or delete this record)",
        )
    if any(m.stage is Stage.APPROVED and m.brief.district_code == member.brief.district_code for m in others):
        return Refused(
            "duplicate_id.one_approved_attestation_per_district",
            "同一区县已有佐证核办通过 (another attestation of this district is already approved for this "
            "number)",
        )
    return None


def refusal(case: CaseState, member: Member, action: Action) -> Refused | None:
    """Why the member's school may not ``action`` now (None: it may)."""
    if case.closed or member.stage is not Stage.TO_HANDLE:
        return Refused("handling.to_handle", f"this member is {member.stage.value}; nothing to submit now")
    if action is Action.ATTEST:
        if member.lost_arbitration:
            return Refused(
                "arbitration.rejected_member_amends_or_deletes",
                "仲裁未通过本学籍的佐证，请变更或删除 (the arbiter rejected this attestation: amend or "
                "delete the record)",
            )
        if forbidden := may_attest(case.rules, case.problem_type, member.brief, case.others(member.rn)):
            return Refused(forbidden, "this member may not attest under the group's rule set")
        return one_attestation_per_district(case, member)
    if action is Action.DELETE and (forbidden := may_delete(case.rules, member.brief)):
        return Refused(forbidden, "this record may not be deleted under the group's rule set")
    return None


def amendable_fields(case: CaseState) -> set[str]:
    """What an amendment must change for the problem: the identity the group is about; for an ID
    number that disagrees with the recorded gender or birth date, also that field."""
    if case.problem_type in IDENTITY_FIELDS:
        return IDENTITY_FIELDS[case.problem_type]
    return ID_FIELDS | {field for reason, field in MISMATCH_FIELDS.items() if reason in case.reasons}


def check_amend(case: CaseState, member: Member, amendment: AmendedFields | None) -> None:
    if amendment is None or not amendment.model_fields_set:
        raise Invalid("an amendment needs new field values and at least one evidence file")
    resident = (amendment.id_type or member.brief.id_type) is IdType.RESIDENT_ID
    renamed_only = amendment.name is not None and amendment.id_number is None
    if case.problem_type in ID_PROBLEMS and resident and renamed_only:
        raise Invalid("变更姓名时请同时填写身份证件号：人口库按号码和姓名一起核验 (an amended name is "
                      "verified with the population database together with the ID number: send the number "
                      "as well, unchanged if it is right)")
    if amendment.id_number is not None and amendment.name is None:
        raise Invalid("变更身份证件号时请同时填写姓名：人口库按号码和姓名一起核验 (an amended ID number is "
                      "verified with the population database together with the name: send the name as well, "
                      "unchanged if it is right)")
    wanted = amendable_fields(case)
    if not wanted & amendment.model_fields_set:
        raise Refused(
            "amendment.changes_identity",
            f"for {case.problem_type.value} an amendment must change one of {sorted(wanted)}",
        )


def check_evidence(cited: tuple[UUID, ...], known: frozenset[UUID], elsewhere: frozenset[UUID]) -> None:
    """Cited evidence must be this member's; evidence not heard of yet is worth a retry."""
    if foreign := set(cited) & elsewhere - known:
        raise Invalid(f"evidence {sorted(map(str, foreign))} was uploaded for another member")
    if unknown := set(cited) - known:
        raise EvidenceNotKnownYet(f"evidence {sorted(map(str, unknown))} is not known yet: retry in a moment")


class Actions(Settlement):
    def submit_action(self, actor: Actor, rn: str, action: Action, now: datetime, *,
                      evidence_ids: tuple[UUID, ...] = (), known_evidence: frozenset[UUID] = frozenset(),
                      elsewhere: frozenset[UUID] = frozenset(), opinion: str | None = None,
                      amendment: AmendedFields | None = None, confirmed: bool = False) -> None:
        """A school registrar attests, amends or requests deletion of its own member."""
        member = self.member(rn)
        require_school(actor, member, Role.SCHOOL_REGISTRAR)
        if forbidden := refusal(self, member, action):
            raise forbidden
        if action is not Action.DELETE and not evidence_ids:
            raise Invalid(f"{'an attestation' if action is Action.ATTEST else 'an amendment'} needs at least "
                          "one evidence file")
        check_evidence(evidence_ids, known_evidence, elsewhere)
        if action is Action.ATTEST and not (opinion and opinion.strip()):
            raise Invalid("an attestation needs the school's opinion and at least one evidence file")
        if action is Action.AMEND:
            check_amend(self, member, amendment)
        if action is Action.DELETE and not confirmed:
            raise Invalid("a deletion must be confirmed: send confirm=true")
        before = member.stage
        member.action, member.evidence_ids, member.opinion = action, evidence_ids, opinion
        member.amendment, member.rejected_reason, member.auto_rejected_by = amendment, None, None
        member.move(Stage.AWAITING_LEADER if action is Action.DELETE else Stage.AWAITING_REVIEW, now)
        self.emit(ev.ActionSubmitted(
            **self.case_fields(),
            **self.mention(member),
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
        member = self._awaiting_leader(actor, rn)
        needs_review = deletion_needs_review(member.brief)
        self.emit(ev.DeletionConfirmed(**self.case_fields(), **self.mention(member),
                                       actor=actor.as_event_actor(), needs_review=needs_review))
        self.record(now, actor, "deletion_confirmed", member, before=Stage.AWAITING_LEADER)
        if needs_review:
            member.move(Stage.AWAITING_REVIEW, now)
        else:
            self.delete_member(member, now)
        self.settle(now)

    def decline_deletion(self, actor: Actor, rn: str, reason: str, now: datetime) -> None:
        """The school leader declines the deletion its registrar requested, with a reason."""
        if not reason.strip():
            raise Invalid("declining a deletion needs a reason")
        member = self._awaiting_leader(actor, rn)
        self._end(member, actor, "declined", reason, now)
        member.rejected_reason = reason

    def withdraw(self, actor: Actor, rn: str, now: datetime) -> None:
        """The registrar takes back a request nobody has reviewed or confirmed yet."""
        member = self.member(rn)
        require_school(actor, member, Role.SCHOOL_REGISTRAR)
        untouched = member.stage is Stage.AWAITING_LEADER or (
            member.stage is Stage.AWAITING_REVIEW and member.action is not Action.DELETE)
        if self.closed or not untouched:
            raise Refused("withdraw.untouched_request",
                          "只能撤回尚未审核或确认的申请 (only a request nobody has reviewed or confirmed yet "
                          "can be withdrawn)")
        self._end(member, actor, "withdrawn", None, now)

    def _awaiting_leader(self, actor: Actor, rn: str) -> Member:
        member = self.member(rn)
        require_school(actor, member, Role.SCHOOL_LEADER)
        if member.stage is not Stage.AWAITING_LEADER:
            raise Refused(
                "deletion.awaiting_leader", "no deletion request awaits confirmation for this member"
            )
        return member

    def _end(self, member: Member, actor: Actor, ended: Literal["withdrawn", "declined"], reason: str | None,
             now: datetime) -> None:
        leader = member.stage is Stage.AWAITING_LEADER
        awaiting: Literal["leader", "review"] = "leader" if leader else "review"
        self.emit(ev.RequestEnded(**self.case_fields(), **self.mention(member), action=member.action,
                                  ended=ended, was_awaiting=awaiting, reason=reason,
                                  actor=actor.as_event_actor()))
        self.record(now, actor, f"request_{ended}", member, reason=reason, before=member.stage)
        member.end_request(now)
