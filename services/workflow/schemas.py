"""The HTTP API's bodies: what callers send and what they are answered (the OpenAPI document's)."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import Action, ArbitrationStatus, ProblemType, ReviewDecision, RuleSet
from xueji_contracts.envelope import RegistryNumber
from xueji_contracts.problems import MemberBrief


class MemberView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    brief: MemberBrief | None = Field(description="Masked brief; None for a member in another province.")
    registry_number: str | None
    school_code: str
    province_code: str
    stage: str
    action: Action | None = None
    rejected_reason: str | None = None
    outcome: str | None = None
    allowed_actions: list[Action] = []


class CaseView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    group_id: UUID
    problem_type: ProblemType
    rule_set: RuleSet
    arbitration_status: ArbitrationStatus
    arbiter_code: str | None
    closed: bool
    opened_at: datetime
    linked_group_id: UUID | None
    finished_provinces: list[str]
    suggested_id_number: str | None
    members: list[MemberView]


class Page(BaseModel):
    has_more: bool = Field(description="Whether a next page exists.")
    page: int
    page_size: int
    items: list[CaseView]


class ActionRequest(BaseModel):
    action: Action
    evidence_ids: list[UUID] = Field(default=[], max_length=20)
    opinion: str | None = Field(default=None, max_length=2000, description="Attest: the school's opinion.")
    amendment: AmendedFields | None = None
    confirm: bool = Field(default=False, description="Delete: the requester's explicit confirmation.")


class ReviewRequest(BaseModel):
    decision: ReviewDecision
    reason: str | None = Field(default=None, max_length=2000, description="Mandatory when rejecting.")


class ArbitrationRequest(BaseModel):
    approved_registry_number: RegistryNumber
    reason: str = Field(min_length=1, max_length=2000)


class Confirmation(BaseModel):
    confirm: bool = Field(description="The second confirmation of the person who asks.")
