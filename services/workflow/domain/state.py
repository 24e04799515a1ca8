"""The state of one problem group's case (DOMAIN §4–6): members, their stage, arbitration, closure.

``CaseState`` is the data and the small steps every rule module shares: record an audit
entry, append an event to ``pending``, settle a member, send dedup a command. The rules
themselves are the methods the modules next to this one add (``case.py`` composes them).
``now`` is always passed in: the domain reads no clock.
"""

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from pydantic import BaseModel, Field
from xueji_contracts.cases import Actor as EventActor
from xueji_contracts.cases import CaseEvent, CaseMember, MemberSettled
from xueji_contracts.commands import AmendedFields, ApplyAmendment, DeleteRecord, MarkFormal
from xueji_contracts.enums import (
    Action,
    ArbitrationStatus,
    ProblemType,
    RecordStatus,
    Role,
    RuleSet,
    SettlementOutcome,
)
from xueji_contracts.envelope import Envelope
from xueji_contracts.problems import MemberBrief
from xueji_contracts.refs import mask_id_number, mask_name

from .divisions import NATIONAL
from .errors import Refused
from .rules import RULE_SETS, Rules

PRODUCER = "xueji-workflow"
GONE = (SettlementOutcome.DELETED, SettlementOutcome.AMENDED, SettlementOutcome.LEFT_GROUP)


class Stage(StrEnum):
    TO_HANDLE = "to_handle"  # the school must act
    AWAITING_LEADER = "awaiting_leader"  # deletion requested; the school leader confirms
    AWAITING_REVIEW = "awaiting_review"  # the district bureau reviews
    APPROVED = "approved"  # attestation approved; arbitration may still decide
    AWAITING_DEDUP = "awaiting_dedup"  # approved amendment sent to dedup
    SETTLED = "settled"


class Actor(BaseModel):
    role: str
    organisation_code: str
    subject: str = ""

    def as_event_actor(self) -> EventActor:
        return EventActor(role=Role(self.role), organisation_code=self.organisation_code)


class AuditEntry(BaseModel):
    at: datetime
    actor: Actor | None
    what: str
    registry_number: str | None = None
    reason: str | None = None
    before: str | None = None
    after: str | None = None


def masked_amendment(changes: AmendedFields) -> AmendedFields:
    """An amendment once it is applied (or ends): its new name and ID number masked (DOMAIN §8)."""
    update: dict[str, str] = {}
    if changes.name is not None and not changes.name.endswith("*"):
        update["name"] = mask_name(changes.name)
    if changes.id_number is not None and "*" not in changes.id_number:
        update["id_number"] = mask_id_number(changes.id_number)
    return changes.model_copy(update=update) if update else changes


Ref = Callable[[str], str]  # registry number → member_ref (xueji_contracts.refs, the platform's key)


class Member(BaseModel):
    brief: MemberBrief
    ref: str = Field(default="", description="Its member_ref: how events name it beyond its province.")
    stage: Stage = Stage.TO_HANDLE
    action: Action | None = None
    evidence_ids: tuple[UUID, ...] = ()
    opinion: str | None = None
    amendment: AmendedFields | None = None
    rejected_reason: str | None = None
    auto_rejected_by: str | None = Field(default=None, description="The approval that auto-rejected it.")
    amendment_command: str | None = Field(default=None, description="The ApplyAmendment awaited from dedup.")
    lost_arbitration: bool = False
    outcome: SettlementOutcome | None = None
    reinitiated: bool = False
    since: datetime | None = Field(default=None, description="When the member entered its stage.")

    def move(self, stage: Stage, now: datetime) -> None:
        self.stage, self.since = stage, now
        if stage not in (Stage.AWAITING_REVIEW, Stage.AWAITING_DEDUP) and self.amendment is not None:
            self.amendment = masked_amendment(self.amendment)  # raw values only while the work needs them

    @property
    def rn(self) -> str:
        return self.brief.registry_number

    @property
    def gone(self) -> bool:
        return self.outcome in GONE

    def make_formal(self) -> None:
        """An approved attestation or amendment makes the record formal at once, in the case too."""
        self.brief = self.brief.model_copy(update={"status": RecordStatus.FORMAL})

    def follow(self, brief: MemberBrief) -> bool:
        """Take dedup's brief of the record; a record made formal here never reads as pending again
        (an event dedup sent before it heard of the approval). True when anything changed."""
        if self.brief.status is RecordStatus.FORMAL and brief.status is RecordStatus.PENDING:
            brief = brief.model_copy(update={"status": RecordStatus.FORMAL})
        changed, self.brief = brief != self.brief, brief
        return changed

    def end_request(self, now: datetime) -> None:
        """Back to the school: the request is over (withdrawn, declined, cancelled, not enough)."""
        self.action, self.evidence_ids, self.opinion, self.amendment = None, (), None, None
        self.move(Stage.TO_HANDLE, now)


def public(brief: MemberBrief) -> MemberBrief:
    """A brief as it leaves the workflow in an event: without the name hash the case finds it by."""
    return brief.model_copy(update={"name_key": None}) if brief.name_key else brief


class Side(BaseModel):
    """The arbitration of one side of a group: a province's members (each side on its own, §5), or
    all members when the rule set arbitrates across provinces."""

    code: str
    arbitration: ArbitrationStatus = ArbitrationStatus.NOT_NEEDED
    arbiter_code: str | None = None
    decided: bool = False
    since: datetime | None = None


class CaseState(BaseModel):
    group_id: UUID
    problem_type: ProblemType
    rule_set: RuleSet
    members: dict[str, Member]
    opened_at: datetime
    sides: dict[str, Side] = {}
    arbitration: ArbitrationStatus = Field(
        default=ArbitrationStatus.NOT_NEEDED, description="The sides' status, the most urgent first.")
    arbiter_code: str | None = Field(default=None, description="The arbiter of that most urgent side.")
    fired: list[str] = Field(default=[], description="Deadline reminders and escalations already sent.")
    closed: bool = False
    finished_provinces: list[str] = []
    linked_group_id: UUID | None = None
    suggested_id_number: str | None = None
    reasons: tuple[str, ...] = Field(default=(), description="Dedup's detail reasons of an ID problem.")
    dedup_sequence: int = -1
    version: int = 0
    pending: list[Envelope] = Field(default=[], exclude=True)
    events_emitted: int = 0  # the sequence of the group's last case event
    audit: list[AuditEntry] = Field(default=[], exclude=True)

    @property
    def rules(self) -> Rules:
        return RULE_SETS[self.rule_set]

    @property
    def province_codes(self) -> tuple[str, ...]:
        return tuple(sorted({m.brief.province_code for m in self.members.values()}))

    def member(self, rn: str) -> Member:
        if rn not in self.members:
            raise Refused("member_of_group", f"{rn} is not a member of this group")
        return self.members[rn]

    def mention(self, member: Member) -> dict[str, str]:
        """How an event names one member (each province's copy then drops what it may not carry)."""
        return {"member_ref": member.ref, "registry_number": member.rn}

    def ref_of(self, rn: str) -> str:
        return self.members[rn].ref

    def case_members(self) -> tuple[CaseMember, ...]:
        return tuple(CaseMember(member_ref=m.ref, school_code=m.brief.school_code,
                                district_code=m.brief.district_code, province_code=m.brief.province_code,
                                brief=public(m.brief)) for m in self.members.values())

    def fill_refs(self, ref: Ref) -> None:
        """Members stored before references existed get theirs."""
        for member in self.members.values():
            if not member.ref:
                member.ref = ref(member.rn)

    def others(self, rn: str) -> list[MemberBrief]:
        return [m.brief for m in self.members.values() if m.rn != rn and not m.gone]

    def emit(self, event: Envelope) -> None:
        """Queue an event; a case event gets the group's next sequence number (ordered per group)."""
        if isinstance(event, CaseEvent):
            self.events_emitted += 1
            event = event.model_copy(update={"sequence": self.events_emitted})
        self.pending.append(event)

    def case_fields(self) -> dict[str, object]:
        return {
            "producer": PRODUCER,
            "group_id": self.group_id,
            "problem_type": self.problem_type,
            "province_codes": self.province_codes,
        }

    def record(self, now: datetime, actor: Actor | None, what: str, member: Member | None = None,
               reason: str | None = None, before: str | None = None) -> None:
        self.audit.append(AuditEntry(
            at=now, actor=actor, what=what, registry_number=member.rn if member else None,
            reason=reason, before=before, after=member.stage if member else None,
        ))

    def settle_member(self, member: Member, outcome: SettlementOutcome, now: datetime) -> None:
        member.outcome = outcome
        member.move(Stage.SETTLED, now)
        self.emit(MemberSettled(**self.case_fields(), **self.mention(member), outcome=outcome))
        self.record(now, None, f"settled_{outcome.value}", member)

    def delete_member(self, member: Member, now: datetime) -> None:
        """The deletion is final: dedup deletes the record and the member is settled."""
        self.emit(DeleteRecord(producer=PRODUCER, group_id=self.group_id, registry_number=member.rn))
        self.settle_member(member, SettlementOutcome.DELETED, now)

    def command_formal(self, rn: str) -> None:
        self.emit(MarkFormal(producer=PRODUCER, group_id=self.group_id, registry_number=rn))

    def command_amend(self, member: Member) -> None:
        changes = member.amendment or AmendedFields()
        command = ApplyAmendment(producer=PRODUCER, group_id=self.group_id, registry_number=member.rn,
                                 changes=changes)
        member.amendment_command = str(command.event_id)  # only dedup's report of this one settles it
        self.emit(command)

    def reinitiated_group_id(self, rn: str) -> UUID:
        return uuid5(self.group_id, f"reinitiate:{rn}")

    def side_of(self, member: Member) -> str:
        """Whose arbitration a member belongs to: its province's, unless the rule set arbitrates
        across provinces (DOMAIN §5, ``cross_province``)."""
        return member.brief.province_code if self.rules.cross_province == "each_side" else NATIONAL

    def side_members(self, side: str) -> list[Member]:
        return [m for m in self.members.values() if self.side_of(m) == side]

    def side(self, code: str) -> Side:
        return self.sides.setdefault(code, Side(code=code))
