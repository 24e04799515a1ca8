"""Every handling path of a case (DOMAIN §4–6), as functions on the ``Case``."""

from datetime import datetime
from uuid import UUID

from xueji_contracts import cases as ev
from xueji_contracts.commands import AcceptIdProblem, AmendedFields
from xueji_contracts.enums import Action, ProblemType, ReviewDecision, Role, RuleSet, SettlementOutcome
from xueji_contracts.problems import MembershipChanged, ProblemCleared, ProblemDetected

from .case import PRODUCER, Actor, Case, Member, Stage
from .errors import Invalid, Refused
from .jurisdiction import require_arbiter, require_bureau, require_school
from .rules import ID_PROBLEMS, deletion_needs_review, may_attest, may_delete, may_reinitiate
from .settlement import settle

IDENTITY_FIELDS = {
    ProblemType.DUPLICATE_ID: {"id_number", "id_type"},
    ProblemType.DUPLICATE_NGB: {"name", "gender", "birth_date", "id_type", "id_number"},
}


def _actor(actor: Actor) -> ev.Actor:
    return ev.Actor(role=Role(actor.role), organisation_code=actor.organisation_code)


def open_case(event: ProblemDetected, rule_set: RuleSet, now: datetime) -> Case:
    case = Case(
        group_id=event.group_id,
        problem_type=event.problem_type,
        rule_set=rule_set,
        opened_at=now,
        members={m.registry_number: Member(brief=m, since=now) for m in event.members},
        suggested_id_number=event.suggested_id_number,
        dedup_sequence=event.sequence,
    )
    case.emit(
        ev.GroupOpened(
            **case.case_fields(),
            rule_set=rule_set,
            members=event.members,
            arbitration_status=case.arbitration,
        )
    )
    case.record(now, None, "group_opened")
    return case


def apply_membership(case: Case, event: MembershipChanged | ProblemCleared, now: datetime) -> bool:
    """Dedup's view of the group changed; False when the event is older than one applied."""
    if event.sequence <= case.dedup_sequence:
        return False
    case.dedup_sequence = event.sequence
    present = {b.registry_number: b for b in event.members}
    joined = []
    for rn, brief in present.items():
        if rn in case.members:
            case.members[rn].brief = brief
        elif not isinstance(event, ProblemCleared):
            case.members[rn] = Member(brief=brief, since=now)
            case.record(now, None, "member_joined", case.members[rn])
            joined.append(rn)
    left = [m.rn for m in case.members.values() if m.outcome is None and m.rn not in present]
    if joined or left:  # the evidence and notify services learn who belongs to the group from this
        case.emit(
            ev.MembersChanged(
                **case.case_fields(),
                members=tuple(m.brief for m in case.members.values()),
                joined=tuple(joined),
                left=tuple(left),
            )
        )
    for member in case.members.values():
        if member.outcome is None and (member.rn not in present or isinstance(event, ProblemCleared)):
            amended = member.stage is Stage.AWAITING_DEDUP
            case.settle_member(
                member, SettlementOutcome.AMENDED if amended else SettlementOutcome.LEFT_GROUP, now
            )
    if isinstance(event, ProblemCleared):
        for member in case.members.values():
            if member.outcome is None:
                case.settle_member(member, SettlementOutcome.LEFT_GROUP, now)
    settle(case, now)
    return True


def submit_action(
    case: Case,
    actor: Actor,
    rn: str,
    action: Action,
    now: datetime,
    *,
    evidence_ids: tuple[UUID, ...] = (),
    known_evidence: frozenset[UUID] = frozenset(),
    opinion: str | None = None,
    amendment: AmendedFields | None = None,
    confirmed: bool = False,
) -> None:
    """A school registrar attests, amends or requests deletion of its own member."""
    member = case.member(rn)
    require_school(actor, member, Role.SCHOOL_REGISTRAR)
    _require_open(case, member)
    if unknown := set(evidence_ids) - known_evidence:
        raise Invalid(f"evidence {sorted(map(str, unknown))} was not uploaded for this member")
    if action is Action.ATTEST:
        _check_attest(case, member, evidence_ids, opinion)
    elif action is Action.AMEND:
        _check_amend(case, evidence_ids, amendment)
    else:
        if not confirmed:
            raise Invalid("a deletion must be confirmed: send confirm=true")
        if forbidden := may_delete(case.rules, member.brief):
            raise Refused(forbidden, "this record may not be deleted under the group's rule set")
    before = member.stage
    member.action, member.evidence_ids, member.opinion = action, evidence_ids, opinion
    member.amendment, member.rejected_reason = amendment, None
    member.move(Stage.AWAITING_LEADER if action is Action.DELETE else Stage.AWAITING_REVIEW, now)
    needs_review = action is not Action.DELETE or deletion_needs_review(member.brief)
    case.emit(
        ev.ActionSubmitted(
            **case.case_fields(),
            registry_number=rn,
            action=action,
            actor=_actor(actor),
            evidence_ids=evidence_ids,
            changed_fields=tuple(sorted(amendment.model_fields_set)) if amendment else (),
            needs_leader_confirmation=action is Action.DELETE,
            needs_review=needs_review,
        )
    )
    case.record(now, actor, f"submitted_{action.value}", member, reason=opinion, before=before)


def confirm_deletion(case: Case, actor: Actor, rn: str, now: datetime) -> None:
    """The school leader confirms a deletion its registrar requested."""
    member = case.member(rn)
    require_school(actor, member, Role.SCHOOL_LEADER)
    if member.stage is not Stage.AWAITING_LEADER:
        raise Refused("deletion.awaiting_leader", "no deletion request awaits confirmation for this member")
    needs_review = deletion_needs_review(member.brief)
    case.emit(
        ev.DeletionConfirmed(
            **case.case_fields(), registry_number=rn, actor=_actor(actor), needs_review=needs_review
        )
    )
    case.record(now, actor, "deletion_confirmed", member, before=Stage.AWAITING_LEADER)
    if needs_review:
        member.move(Stage.AWAITING_REVIEW, now)
    else:
        _delete(case, member, now)
    settle(case, now)


def review(
    case: Case, actor: Actor, rn: str, decision: ReviewDecision, reason: str | None, now: datetime
) -> None:
    """The district bureau approves, or rejects with a reason (核办)."""
    member = case.member(rn)
    require_bureau(actor, member)
    if member.stage is not Stage.AWAITING_REVIEW or member.action is None:
        raise Refused("review.awaiting_review", "no request of this member awaits review")
    if decision is ReviewDecision.REJECTED and not (reason and reason.strip()):
        raise Invalid("a rejection needs a reason")
    action = member.action
    if decision is ReviewDecision.APPROVED and action is Action.ATTEST:
        _check_one_attestation_per_district(case, member)
    case.emit(
        ev.Reviewed(
            **case.case_fields(),
            registry_number=rn,
            action=action,
            decision=decision,
            reason=reason,
            actor=_actor(actor),
        )
    )
    before = member.stage
    if decision is ReviewDecision.REJECTED:
        member.rejected_reason = reason
        member.move(Stage.TO_HANDLE, now)
    elif action is Action.ATTEST:
        _approve_attestation(case, member, now)
    elif action is Action.AMEND:
        member.move(Stage.AWAITING_DEDUP, now)
        case.command_amend(member)
        case.command_formal(rn)
    else:
        _delete(case, member, now)
    case.record(now, actor, f"reviewed_{decision.value}", member, reason=reason, before=before)
    settle(case, now)


def decide_arbitration(case: Case, actor: Actor, approved_rn: str, reason: str, now: datetime) -> None:
    """The lowest common superior approves exactly one attestation; the others are rejected."""
    require_arbiter(actor, case)
    if case.arbitration.value != "pending":
        raise Refused("arbitration.pending", "this group has no pending arbitration")
    contenders = [m for m in case.members.values() if m.stage is Stage.APPROVED]
    if approved_rn not in {m.rn for m in contenders}:
        raise Invalid(f"{approved_rn} is not one of the approved attestations under arbitration")
    rejected = [m for m in contenders if m.rn != approved_rn]
    for loser in rejected:
        loser.lost_arbitration, loser.rejected_reason = True, reason
        loser.move(Stage.TO_HANDLE, now)
        case.record(now, actor, "arbitration_rejected", loser, reason=reason, before=Stage.APPROVED)
    case.emit(
        ev.ArbitrationDecided(
            **case.case_fields(),
            arbiter_code=case.arbiter_code or "",
            approved=approved_rn,
            rejected=tuple(m.rn for m in rejected),
            reason=reason,
            actor=_actor(actor),
        )
    )
    winner = case.members[approved_rn]
    case.record(now, actor, "arbitration_approved", winner, reason=reason)
    case.arbitration_decided = True
    case.settle_member(winner, SettlementOutcome.ATTESTED, now)
    settle(case, now)


def reinitiate(case: Case, actor: Actor, rn: str, confirmed: bool, current: RuleSet, now: datetime) -> Case:
    """佐证后发起重新处理: a new one-member group for an attest-approved member of a finished group."""
    member = case.member(rn)
    require_school(actor, member, Role.SCHOOL_REGISTRAR)
    if forbidden := may_reinitiate(case.rules):
        raise Refused(forbidden, "the group's rule set has no re-initiation")
    if case.arbitration.value in ("undecided", "pending"):
        raise Refused("reinitiate.arbitration_open", f"arbitration is {case.arbitration.value}")
    if member.outcome is not SettlementOutcome.ATTESTED or member.reinitiated:
        raise Refused(
            "reinitiate.attest_approved_member", "only an attest-approved member can be re-initiated"
        )
    if not (case.closed or member.brief.province_code in case.finished_provinces):
        raise Refused("reinitiate.finished", "the group (or this province's side) has not finished")
    if not confirmed:
        raise Invalid("re-initiation must be confirmed: send confirm=true")
    member.reinitiated = True
    new = Case(
        group_id=case.reinitiated_group_id(rn),
        problem_type=case.problem_type,
        rule_set=current,
        members={rn: Member(brief=member.brief, since=now)},
        opened_at=now,
        linked_group_id=case.group_id,
    )
    case.emit(
        ev.Reinitiated(
            **case.case_fields(), registry_number=rn, new_group_id=new.group_id, actor=_actor(actor)
        )
    )
    case.record(now, actor, "reinitiated", member)
    new.emit(
        ev.GroupOpened(
            **new.case_fields(),
            rule_set=current,
            members=(member.brief,),
            arbitration_status=new.arbitration,
            linked_group_id=case.group_id,
        )
    )
    new.record(now, actor, "group_opened_by_reinitiation", new.members[rn])
    return new


def _require_open(case: Case, member: Member) -> None:
    if case.closed or member.stage is not Stage.TO_HANDLE:
        raise Refused("handling.to_handle", f"this member is {member.stage.value}; nothing to submit now")


def _check_attest(case: Case, member: Member, evidence_ids: tuple[UUID, ...], opinion: str | None) -> None:
    if not evidence_ids or not (opinion and opinion.strip()):
        raise Invalid("an attestation needs the school's opinion and at least one evidence file")
    if member.lost_arbitration:
        raise Refused(
            "arbitration.rejected_member_amends_or_deletes",
            "the arbiter rejected this attestation: amend or delete the record",
        )
    if forbidden := may_attest(case.rules, case.problem_type, member.brief, case.others(member.rn)):
        raise Refused(forbidden, "this member may not attest under the group's rule set")
    _check_one_attestation_per_district(case, member)


def _check_one_attestation_per_district(case: Case, member: Member) -> None:
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


def _check_amend(case: Case, evidence_ids: tuple[UUID, ...], amendment: AmendedFields | None) -> None:
    if not evidence_ids or amendment is None or not amendment.model_fields_set:
        raise Invalid("an amendment needs new field values and at least one evidence file")
    if amendment.id_number is not None and amendment.name is None:
        raise Invalid("an amended ID number needs the name too, so the population database can check both")
    wanted = IDENTITY_FIELDS.get(case.problem_type, {"id_number", "name", "id_type"})
    if not wanted & amendment.model_fields_set:
        raise Refused(
            "amendment.changes_identity",
            f"for {case.problem_type.value} an amendment must change one of {sorted(wanted)}",
        )


def _approve_attestation(case: Case, member: Member, now: datetime) -> None:
    case.command_formal(member.rn)
    if case.problem_type in ID_PROBLEMS:  # dedup accepts the identity and does not flag it again
        case.emit(AcceptIdProblem(producer=PRODUCER, group_id=case.group_id, registry_number=member.rn))
    if case.problem_type is not ProblemType.DUPLICATE_ID:
        case.settle_member(member, SettlementOutcome.ATTESTED, now)
        return
    member.move(Stage.APPROVED, now)
    for other in case.members.values():  # 另外一个自动不通过: same district, other attestations
        if (
            other.rn != member.rn
            and other.brief.district_code == member.brief.district_code
            and other.action is Action.ATTEST
            and other.stage is Stage.AWAITING_REVIEW
        ):
            reason = "another attestation of this number was approved in the same district"
            other.rejected_reason = reason
            other.move(Stage.TO_HANDLE, now)
            case.emit(
                ev.AutoRejected(
                    **case.case_fields(), registry_number=other.rn, because_of=member.rn, reason=reason
                )
            )
            case.record(now, None, "auto_rejected", other, reason=reason, before=Stage.AWAITING_REVIEW)


def _delete(case: Case, member: Member, now: datetime) -> None:
    case.command_delete(member.rn)
    case.settle_member(member, SettlementOutcome.DELETED, now)


__all__ = [
    "ID_PROBLEMS",
    "apply_membership",
    "confirm_deletion",
    "decide_arbitration",
    "open_case",
    "reinitiate",
    "review",
    "submit_action",
]
