"""Evidence files (证明材料) stored by the evidence service."""

from typing import Literal
from uuid import UUID

from pydantic import Field

from .envelope import DivisionCode, Envelope, OrgCode, RegistryNumber


class EvidenceStored(Envelope):
    """A checked evidence file was stored."""

    event_type: Literal["evidence.stored"] = "evidence.stored"
    evidence_id: UUID
    group_id: UUID
    registry_number: RegistryNumber
    province_code: DivisionCode
    uploaded_by: OrgCode
    file_type: Literal["doc", "rar", "jpg"]
    size_bytes: int = Field(gt=0, le=2 * 1024 * 1024)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    file_name: str | None = Field(default=None, max_length=255,
                                  description="The name as uploaded (sanitised), shown to its reviewer.")
