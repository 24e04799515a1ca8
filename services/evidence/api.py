"""HTTP API of the evidence service: upload for one's own member, short-lived download links."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from services.common.auth import CurrentPrincipal
from services.common.problems import PROBLEM_RESPONSES

from .settings import EvidenceSettings
from .storing import Evidence
from .upload import read_files

RN = Annotated[str, Query(pattern=r"^[GJL][0-9A-Z]{18}$")]


class StoredFile(BaseModel):
    evidence_id: UUID
    name: str
    file_type: str
    size_bytes: int
    sha256: str
    new: bool


class Link(BaseModel):
    url: str
    expires_in_seconds: int


def router(evidence: Evidence, settings: EvidenceSettings) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["evidence"], responses=PROBLEM_RESPONSES)

    @api.post(
        "/evidence",
        summary="Upload evidence files for one of your school's members (multipart 'files')",
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
        member = await evidence.uploader_of(principal, group_id, registry_number)
        files = await read_files(
            dict(request.headers),
            request.stream(),
            settings.allowed_types(member.province_code),
            settings.MAX_FILE_BYTES,
            settings.MAX_FILES_PER_UPLOAD,
        )
        stored = await evidence.store(principal, group_id, registry_number, member, files)
        return [
            StoredFile(
                evidence_id=eid,
                name=f.name,
                file_type=f.kind,
                size_bytes=len(f.data),
                sha256=f.sha256,
                new=new,
            )
            for eid, f, new in stored
        ]

    @api.post("/evidence/{evidence_id}/link", summary="A short-lived download link (audited)")
    async def link(evidence_id: UUID, principal: CurrentPrincipal) -> Link:
        url = await evidence.link(principal, evidence_id)
        return Link(url=url, expires_in_seconds=settings.LINK_SECONDS)

    return api
