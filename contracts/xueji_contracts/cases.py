"""Case events of the workflow, published to the topic of every province with a member.

A group with members in two provinces publishes each event to both province topics
(``xueji.cases.<province>.v2``). Each copy names every member by ``member_ref`` (an opaque,
stable keyed hash of its registry number) and carries the registry number and the masked brief
only of the members of that topic's own province: another province's member appears as its
province, school and reference (DOMAIN §8). Lists of members in events (joined, left, the
arbitration's approved and rejected, ``because_of``) are member references.
"""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from .enums import (
    Action,
    ArbitrationStatus,
    DeadlineStage,
    ProblemType,
    ReviewDecision,
    Role,
    RuleSet,
    SettlementOutcome,
)
from .envelope import Contract, DivisionCode, Envelope, OrgCode, RegistryNumber
from .problems import MemberBrief


class Actor(Contract):
    """Who acted."""

    role: Role
    organisation_code: OrgCode


MemberRef = Annotated[str, StringConstraints(pattern=r"^m[0-9a-f]{32}$"),
                      Field(description="Opaque, stable reference of a member (xueji_contracts.refs).",
                            examples=["m3f1c0d6a9b2e4f708a1b2c3d4e5f6a7b"])]


class CaseMember(Contract):
    """A member as one province's topic may carry it: the brief only for that province's own."""

    member_ref: MemberRef
    school_code: OrgCode
    district_code: DivisionCode
    province_code: DivisionCode
    brief: MemberBrief | None = Field(default=None, description="For the topic's own province only.")


class MemberEvent(Contract):
    """Fields of an event about one member."""

    member_ref: MemberRef
    registry_number: RegistryNumber | None = Field(
        default=None, description="For a member of the topic's own province only.")


class CaseEvent(Envelope):
    """Fields every case event carries."""

    group_id: UUID
    problem_type: ProblemType
    province_codes: tuple[DivisionCode, ...] = Field(
        min_length=1, description="Provinces with a member; the event is on each one's topic.",
        examples=[["110000", "130000"]])
    sequence: int | None = Field(
        default=None, ge=1, description="The event's place among its group's events, strictly increasing "
        "per group (a receiver can check the order; a province sees gaps where an event concerned only "
        "other provinces). None from producers before contracts 2.1.")


class GroupOpened(CaseEvent):
    """A case was opened for a problem group."""

    event_type: Literal["case.group_opened"] = "case.group_opened"
    rule_set: RuleSet
    members: tuple[CaseMember, ...]
    arbitration_status: ArbitrationStatus
    linked_group_id: UUID | None = Field(default=None, description="For a re-initiated group: the old one.")


class MembersChanged(CaseEvent):
    """Dedup moved members into or out of the group; ``members`` is the group after the change."""

    event_type: Literal["case.members_changed"] = "case.members_changed"
    members: tuple[CaseMember, ...]
    joined: tuple[MemberRef, ...] = ()
    left: tuple[MemberRef, ...] = ()


class ActionSubmitted(MemberEvent, CaseEvent):
    """A school submitted an attestation, amendment or deletion request for a member."""

    event_type: Literal["case.action_submitted"] = "case.action_submitted"
    action: Action
    actor: Actor
    evidence_ids: tuple[UUID, ...] = ()
    changed_fields: tuple[str, ...] = Field(default=(), description="Amend: names of changed fields.")
    needs_leader_confirmation: bool = False
    needs_review: bool = True


class DeletionConfirmed(MemberEvent, CaseEvent):
    """The school leader confirmed a deletion request."""

    event_type: Literal["case.deletion_confirmed"] = "case.deletion_confirmed"
    actor: Actor
    needs_review: bool


class Reviewed(MemberEvent, CaseEvent):
    """A district bureau reviewed (核办) a request."""

    event_type: Literal["case.reviewed"] = "case.reviewed"
    action: Action
    decision: ReviewDecision
    reason: str | None = Field(default=None, description="Mandatory when rejected.")
    actor: Actor


class AutoRejected(MemberEvent, CaseEvent):
    """An attestation was rejected automatically (另外一个自动不通过)."""

    event_type: Literal["case.auto_rejected"] = "case.auto_rejected"
    because_of: MemberRef = Field(description="The member whose approval caused it.")
    reason: str


class ArbitrationStateChanged(CaseEvent):
    """The group's arbitration status changed."""

    event_type: Literal["case.arbitration_state_changed"] = "case.arbitration_state_changed"
    status: ArbitrationStatus
    arbiter_code: DivisionCode | None = Field(default=None, description="Lowest common superior.")
    side_code: DivisionCode | None = Field(
        default=None, description="Whose arbitration: the province of a cross-province group's side "
        "(each side is arbitrated on its own), or 000000 when the rule set arbitrates nationally.")


class ArbitrationDecided(CaseEvent):
    """The arbiter approved exactly one member; the others are rejected."""

    event_type: Literal["case.arbitration_decided"] = "case.arbitration_decided"
    arbiter_code: DivisionCode
    approved: MemberRef
    rejected: tuple[MemberRef, ...]
    reason: str
    actor: Actor
    side_code: DivisionCode | None = Field(default=None,
                                           description="Whose arbitration (see ArbitrationStateChanged).")


class MemberSettled(MemberEvent, CaseEvent):
    """A member needs nothing more."""

    event_type: Literal["case.member_settled"] = "case.member_settled"
    outcome: SettlementOutcome


class RequestEnded(MemberEvent, CaseEvent):
    """A member's request ended without a decision, and the member is to handle again (or settled):
    withdrawn by its registrar, declined by its school leader, cancelled because the group closed,
    or an applied amendment that left the problem in place."""

    event_type: Literal["case.request_ended"] = "case.request_ended"
    action: Action | None = None
    ended: Literal["withdrawn", "declined", "cancelled", "problem_remains"]
    was_awaiting: Literal["leader", "review", "dedup"] | None = Field(
        default=None, description="Whose queue the request left.")
    reason: str | None = None
    actor: Actor | None = None


class GroupReopened(CaseEvent):
    """A record joined a closed group: its case reopens for the newcomers only (DOMAIN §6)."""

    event_type: Literal["case.group_reopened"] = "case.group_reopened"
    joined: tuple[MemberRef, ...]


class SideFinished(CaseEvent):
    """One province's side of a cross-province group finished (单方处理结束)."""

    event_type: Literal["case.side_finished"] = "case.side_finished"
    province_code: DivisionCode


class GroupClosed(CaseEvent):
    """No conflict remains."""

    event_type: Literal["case.group_closed"] = "case.group_closed"


class Reinitiated(MemberEvent, CaseEvent):
    """A school re-opened handling of an attest-approved member (佐证后发起重新处理)."""

    event_type: Literal["case.reinitiated"] = "case.reinitiated"
    new_group_id: UUID
    actor: Actor


class DeadlineReminder(CaseEvent):
    """A deadline is near."""

    event_type: Literal["case.deadline_reminder"] = "case.deadline_reminder"
    stage: DeadlineStage
    due_at: datetime
    party_code: OrgCode = Field(description="Who must act.")


class DeadlineEscalated(CaseEvent):
    """A deadline passed; the superior is told."""

    event_type: Literal["case.deadline_escalated"] = "case.deadline_escalated"
    stage: DeadlineStage
    due_at: datetime
    party_code: OrgCode
    escalated_to: DivisionCode
