"""What a caller sees of a case (DOMAIN §4, §8): a member of another province is masked; the
request a bureau reviews (or an arbiter decides) is shown in full to it, with its evidence; the
member's school is offered exactly the steps the next request will have accepted."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from xueji_contracts.enums import Action, ArbitrationStatus, ProblemType, Role, RuleSet

from .actions import refusal
from .deadlines import DeadlinePolicy, waited_on
from .disclosure import BriefView, shown_brief, shown_registry_number, shows_subject, shows_text, takes_part
from .jurisdiction import arbiters_of
from .reinitiation import reinitiation_refusal
from .review import rejected_by_approving
from .state import Actor, AuditEntry, CaseState, Member, Side, Stage


class EvidenceFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    evidence_id: UUID
    file_name: str | None = None
    file_type: str | None = None
    size_bytes: int | None = None
    uploaded_at: datetime | None = None
    link: str = Field(description="POST here (evidence service) for a short-lived download link.")


class FieldChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    old: str | None = Field(description="As the platform keeps it (name and ID number masked).")
    new: str | None


class RequestView(BaseModel):
    """The school's request as its reviewer sees it: nobody approves blind (§4)."""

    model_config = ConfigDict(frozen=True)

    action: Action
    opinion: str | None = None
    changes: list[FieldChange] = []
    evidence: list[EvidenceFile] = []
    approval_rejects: list[str] = Field(
        default=[], description="Approving this attestation rejects these attestations of the same district.")


# One member, and the case, as the caller may see them: the API answers them as they are.
class MemberView(BaseModel):
    model_config = ConfigDict(frozen=True)

    brief: BriefView | None = Field(description="Masked brief; None for a member in another province.")
    registry_number: str | None
    school_code: str
    province_code: str
    stage: str
    action: Action | None = None
    rejected_reason: str | None = None
    auto_rejected_by: str | None = Field(default=None, description="The approved member whose attestation "
                                         "rejected this one automatically (shown as the view shows it).")
    outcome: str | None = None
    due_at: datetime | None = Field(default=None, description="期限: when the stage this member waits in is "
                                    "due (its own, or for an approved member its side's arbitration).")
    allowed_actions: list[Action] = Field(default=[], description="What the school registrar may submit now.")
    next_steps: list[str] = Field(default=[], description="What the caller may do to this member now: "
                                  "withdraw, confirm_deletion, decline_deletion, review, reinitiate.")
    request: RequestView | None = Field(default=None, description="The request, for its school, reviewer "
                                        "and arbiter.")


class CaseView(BaseModel):
    model_config = ConfigDict(frozen=True)

    group_id: UUID
    problem_type: ProblemType
    rule_set: RuleSet
    arbitration_status: ArbitrationStatus
    arbiter_code: str | None
    sides: list[Side] = Field(default=[], description="Each side's arbitration (one per province, §5).")
    closed: bool
    opened_at: datetime
    linked_group_id: UUID | None
    finished_provinces: list[str]
    suggested_id_number: str | None
    members: list[MemberView]


EvidenceIndex = dict[UUID, EvidenceFile]


def link_of(evidence_id: UUID) -> str:
    return f"/v1/evidence/{evidence_id}/link"


def request_view(case: CaseState, member: Member, files: EvidenceIndex) -> RequestView | None:
    if member.action is None:
        return None
    changes = []
    if member.amendment is not None:
        brief = member.brief
        old = {"name": brief.masked_name, "id_number": brief.masked_id_number, "id_type": brief.id_type,
               "gender": brief.gender, "birth_date": brief.birth_date}
        for field in sorted(member.amendment.model_fields_set):
            new = getattr(member.amendment, field)
            changes.append(FieldChange(field=field, old=_text(old.get(field)), new=_text(new)))
    evidence = [files.get(e, EvidenceFile(evidence_id=e, link=link_of(e))) for e in member.evidence_ids]
    rejects = rejected_by_approving(case, member)
    return RequestView(action=member.action, opinion=member.opinion, changes=changes, evidence=evidence,
                       approval_rejects=rejects)


def _text(value: object) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def next_steps(case: CaseState, member: Member, actor: Actor) -> list[str]:
    if case.closed and member.stage is not Stage.SETTLED:
        return []
    own = actor.organisation_code == member.brief.school_code
    steps = []
    if own and actor.role == Role.SCHOOL_REGISTRAR:
        if member.stage is Stage.AWAITING_LEADER or (
                member.stage is Stage.AWAITING_REVIEW and member.action is not Action.DELETE):
            steps.append("withdraw")
        if reinitiation_refusal(case, member) is None:
            steps.append("reinitiate")
    if own and actor.role == Role.SCHOOL_LEADER and member.stage is Stage.AWAITING_LEADER:
        steps += ["confirm_deletion", "decline_deletion"]
    if (actor.role == Role.BUREAU_REGISTRAR and actor.organisation_code == member.brief.district_code
            and member.stage is Stage.AWAITING_REVIEW):
        steps.append("review")
    return steps


def member_view(case: CaseState, member: Member, actor: Actor,
                files: EvidenceIndex | None = None, due: datetime | None = None) -> MemberView:
    party = takes_part(actor, case, member)
    registrar = actor.role == Role.SCHOOL_REGISTRAR and actor.organisation_code == member.brief.school_code
    return MemberView(
        brief=shown_brief(actor, case, member),
        registry_number=shown_registry_number(actor, case, member),
        school_code=member.brief.school_code,
        province_code=member.brief.province_code,
        stage=member.stage.value,
        action=member.action,
        outcome=member.outcome,
        due_at=due,
        rejected_reason=member.rejected_reason if shows_text(actor, case, member) else None,
        auto_rejected_by=_auto_rejected_by(actor, case, member),
        allowed_actions=[a for a in Action if refusal(case, member, a) is None] if registrar else [],
        next_steps=next_steps(case, member, actor),
        request=request_view(case, member, files or {}) if party else None,
    )


def _auto_rejected_by(actor: Actor, case: CaseState, member: Member) -> str | None:
    approved = case.members.get(member.auto_rejected_by or "")
    if approved is None or member.stage is not Stage.TO_HANDLE or not shows_text(actor, case, member):
        return None
    return shown_registry_number(actor, case, approved)


def case_view(case: CaseState, actor: Actor, files: EvidenceIndex | None = None,
              policy: DeadlinePolicy | None = None) -> CaseView:
    due = {rn: t.due_at for rn, t in waited_on(case, policy or DeadlinePolicy()).items()}
    return CaseView(
        group_id=case.group_id,
        problem_type=case.problem_type,
        rule_set=case.rule_set,
        arbitration_status=case.arbitration,
        arbiter_code=case.arbiter_code,
        sides=list(case.sides.values()),
        closed=case.closed,
        opened_at=case.opened_at,
        linked_group_id=case.linked_group_id,
        finished_provinces=case.finished_provinces,
        suggested_id_number=case.suggested_id_number,
        members=[member_view(case, m, actor, files, due.get(m.rn)) for m in case.members.values()],
    )


class HistoryEntry(BaseModel):
    """One line of the audit trail as the reader may see it: the same rules as the case view."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    what: str
    actor_role: str | None = None
    actor_organisation: str | None = None
    actor_subject: str | None = Field(default=None, description="Operators only.")
    registry_number: str | None = Field(default=None, description="As in the case view (masked, or None).")
    school_code: str | None = None
    province_code: str | None = None
    reason: str | None = Field(default=None, description="For the member's school, bureau and arbiter.")
    before: str | None = None
    after: str | None = None


def history_view(case: CaseState, entries: list[AuditEntry], actor: Actor) -> list[HistoryEntry]:
    """The audit trail through the rules of ``disclosure``, entry by entry."""
    seen = []
    for entry in entries:
        member = case.members.get(entry.registry_number) if entry.registry_number else None
        text = entry.reason if member is None or shows_text(actor, case, member) else None
        seen.append(HistoryEntry(
            at=entry.at, what=entry.what, before=entry.before, after=entry.after, reason=text,
            actor_role=entry.actor.role if entry.actor else None,
            actor_organisation=entry.actor.organisation_code if entry.actor else None,
            actor_subject=entry.actor.subject if entry.actor and shows_subject(actor) else None,
            registry_number=shown_registry_number(actor, case, member) if member else None,
            school_code=member.brief.school_code if member else None,
            province_code=member.brief.province_code if member else None,
        ))
    return seen


__all__ = ["CaseView", "EvidenceFile", "EvidenceIndex", "HistoryEntry", "MemberView", "arbiters_of",
           "case_view", "history_view"]
