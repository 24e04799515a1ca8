"""The HTTP API's bodies: what callers send and what they are answered (the OpenAPI document's)."""

from uuid import UUID

from pydantic import BaseModel, Field
from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import Action, ReviewDecision
from xueji_contracts.envelope import RegistryNumber

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
    opinion: str | None = Field(default=None, max_length=2000, description="Attest: the school's opinion.")
    amendment: AmendedFields | None = Field(
        default=None, description="Amend: the new values. A new ID number is verified with the population "
        "database together with the name, so send ``name`` with ``id_number`` (unchanged if it is right).")
    confirm: bool = Field(default=False, description="Delete: the requester's explicit confirmation.")


class ReviewRequest(BaseModel):
    decision: ReviewDecision
    reason: str | None = Field(default=None, max_length=2000, description="Mandatory when rejecting.")


class ArbitrationRequest(BaseModel):
    approved_registry_number: RegistryNumber
    reason: str = Field(min_length=1, max_length=2000)


class Decline(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the school leader declines.")


class Confirmation(BaseModel):
    confirm: bool = Field(description="The second confirmation of the person who asks.")
