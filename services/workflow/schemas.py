"""The HTTP API's bodies: what callers send and what they are answered (the OpenAPI document's)."""

from uuid import UUID

from pydantic import BaseModel, Field, field_validator
from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import Action, ReviewDecision
from xueji_contracts.envelope import RegistryNumber

from services.common.text import Opinion, Reason, refuse_controls

from .domain.statistics import Statistics as Statistics
from .domain.views import CaseView as CaseView  # decided in the domain, answered as it is
from .domain.views import MemberView as MemberView


class Page(BaseModel):
    has_more: bool = Field(description="Whether a next page exists.")
    page: int
    page_size: int
    items: list[CaseView]


class ActionRequest(BaseModel):
    action: Action
    evidence_ids: list[UUID] = Field(default=[], max_length=20)
    opinion: Opinion | None = Field(default=None, description="Attest: the school's opinion (≤ 2 000 chars).")
    amendment: AmendedFields | None = Field(
        default=None, description="Amend: the new values. A new ID number is verified with the population "
        "database together with the name, so send ``name`` with ``id_number`` (unchanged if it is right).")
    confirm: bool = Field(default=False, description="Delete: the requester's explicit confirmation.")

    @field_validator("amendment")
    @classmethod
    def _typed_name(cls, amendment: AmendedFields | None) -> AmendedFields | None:
        if amendment is not None and amendment.name is not None:
            refuse_controls(amendment.name)
        return amendment


class ReviewRequest(BaseModel):
    decision: ReviewDecision
    reason: Opinion | None = Field(default=None, description="Mandatory when rejecting (≤ 2 000 characters).")


class ArbitrationRequest(BaseModel):
    approved_registry_number: RegistryNumber
    reason: Reason


class Decline(BaseModel):
    reason: Reason = Field(description="Why the school leader declines.")


class Confirmation(BaseModel):
    confirm: bool = Field(description="The second confirmation of the person who asks.")
