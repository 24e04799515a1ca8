"""HTTP API of the evidence service: upload for one's own member, short-lived download links."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from xueji_contracts.envelope import RegistryNumber

from services.common.auth import CurrentPrincipal
from services.common.problems import MEDIA_TYPE, PROBLEM_RESPONSES, Problem

from .ports import Parts
from .usecases import Stored, link_evidence, store_evidence

RN = Annotated[RegistryNumber, Query()]
UPLOAD_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": title, "content": {MEDIA_TYPE: {}}}
    for status, title in ((400, "Not a complete multipart body: no boundary, cut short, or unreadable"),
                          (413, "A file larger than the limit"),
                          (415, "No Content-Type, or not multipart/form-data"))
}


class StoredFile(BaseModel):
    evidence_id: UUID
    name: str
    file_type: str
    size_bytes: int
    sha256: str
    new: bool

    @classmethod
    def of(cls, stored: Stored) -> "StoredFile":
        f = stored.file
        return cls(evidence_id=stored.evidence_id, name=f.name, file_type=f.kind, size_bytes=len(f.data),
                   sha256=f.sha256, new=stored.new)


class Link(BaseModel):
    url: str
    expires_in_seconds: int


def router(parts: Parts) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["evidence"], responses=PROBLEM_RESPONSES)

    @api.post(
        "/evidence",
        summary="Upload evidence files for one of your school's members (multipart 'files')",
        responses=UPLOAD_PROBLEMS,
        openapi_extra={
            "requestBody": {
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                            },
                        }
                    }
                },
                "required": True,
            }
        },
    )
    async def upload(
        request: Request, group_id: UUID, registry_number: RN, principal: CurrentPrincipal
    ) -> list[StoredFile]:
        stored = await store_evidence(
            parts, principal, group_id, registry_number, dict(request.headers), request.stream()
        )
        return [StoredFile.of(s) for s in stored]

    @api.post("/evidence/{evidence_id}/link", summary="A short-lived download link (audited)")
    async def link(evidence_id: UUID, principal: CurrentPrincipal) -> Link:
        url = await link_evidence(parts, principal, evidence_id)
        return Link(url=url, expires_in_seconds=parts.settings.LINK_SECONDS)

    return api
