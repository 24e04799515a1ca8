"""HTTP API of the evidence service: upload for one's own member, short-lived download links."""

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from xueji_contracts.enums import Role
from xueji_contracts.evidence import EvidenceStored
from xueji_contracts.topics import EVIDENCE

from services.common.auth import CurrentPrincipal, Principal
from services.common.outbox import OutboxRelay, entry
from services.common.problems import PROBLEM_RESPONSES, problem

from .adapters.objects import ObjectStore, StoreUnavailable
from .adapters.records import Records
from .domain.files import FileRefused
from .domain.keys import bucket_for, evidence_id, object_key
from .settings import EvidenceSettings
from .upload import Received, read_files

PRODUCER = "xueji-evidence"
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


class OutsideJurisdiction(Exception):
    pass


class NotFound(Exception):
    pass


def stored_event(evidence_id: UUID, group_id: UUID, registry_number: str, province: str, uploader: str,
                 received: Received) -> EvidenceStored:
    """The event announcing a stored file (the workflow accepts only evidence it announced)."""
    return EvidenceStored(producer=PRODUCER, evidence_id=evidence_id, group_id=group_id,
                          registry_number=registry_number, province_code=province, uploaded_by=uploader,
                          file_type=received.kind, size_bytes=len(received.data), sha256=received.sha256)


def may_read(principal: Principal, member: dict[str, str], arbiter_code: str | None) -> bool:
    """Its school, its school's bureau, its group's arbiter."""
    org = principal.organisation_code
    return (
        (principal.role in (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER) and org == member["school_code"])
        or (principal.role is Role.BUREAU_REGISTRAR and org == member["district_code"])
        or (principal.role is Role.ARBITER and org == arbiter_code)
    )


def router(
    settings: EvidenceSettings, objects: ObjectStore, records: Records, relay: OutboxRelay
) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["evidence"], responses=PROBLEM_RESPONSES)

    async def member_of(group_id: UUID, registry_number: str) -> tuple[dict[str, str], str | None]:
        case = await records.case(group_id)
        member = (case or {}).get("members", {}).get(registry_number)
        if case is None or member is None:
            raise NotFound(f"no member {registry_number} in group {group_id}")
        return member, case.get("arbiter_code")

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
        member, _ = await member_of(group_id, registry_number)
        if (
            principal.role is not Role.SCHOOL_REGISTRAR
            or principal.organisation_code != member["school_code"]
        ):
            raise OutsideJurisdiction("only the registrar of the member's school uploads its evidence")
        province = member["province_code"]
        files = await read_files(
            dict(request.headers),
            request.stream(),
            settings.allowed_types(province),
            settings.MAX_FILE_BYTES,
            settings.MAX_FILES_PER_UPLOAD,
        )
        bucket = bucket_for(settings.BUCKET_PREFIX, province)
        await objects.ensure_bucket(bucket)
        stored, written = [], []
        for f in files:
            key = object_key(group_id, registry_number, f.sha256, f.kind)
            eid = evidence_id(bucket, key)
            if not await objects.exists(bucket, key):
                await objects.put(
                    bucket,
                    key,
                    bytes(f.data),
                    f.content_type,
                    {
                        "group-id": str(group_id),
                        "registry-number": registry_number,
                        "sha256": f.sha256,
                        "uploaded-by": principal.organisation_code,
                        "original-name": f.name.encode().hex(),
                    },
                )
            event = stored_event(eid, group_id, registry_number, province, principal.organisation_code, f)
            entries = [entry(EVIDENCE, str(group_id), event)]
            new = await records.add(
                {
                    "_id": str(eid),
                    "group_id": str(group_id),
                    "registry_number": registry_number,
                    "bucket": bucket,
                    "key": key,
                    "name": f.name,
                    "file_type": f.kind,
                    "size_bytes": len(f.data),
                    "sha256": f.sha256,
                    "uploaded_by": principal.organisation_code,
                    "at": datetime.now(UTC),
                },
                entries,
            )
            if new:
                written.append((str(eid), 1, entries))
            stored.append(
                StoredFile(
                    evidence_id=eid,
                    name=f.name,
                    file_type=f.kind,
                    size_bytes=len(f.data),
                    sha256=f.sha256,
                    new=new,
                )
            )
        await relay.publish(written)
        return stored

    @api.post("/evidence/{evidence_id}/link", summary="A short-lived download link (audited)")
    async def link(evidence_id: UUID, principal: CurrentPrincipal) -> Link:
        record = await records.get(evidence_id)
        if record is None:
            raise NotFound(f"no evidence {evidence_id}")
        member, arbiter_code = await member_of(UUID(record["group_id"]), record["registry_number"])
        if not may_read(principal, member, arbiter_code):
            raise OutsideJurisdiction(
                "only the member's school, its bureau and its arbiter may read this evidence"
            )
        url = await objects.link(record["bucket"], record["key"], settings.LINK_SECONDS)
        await records.audit_link(
            evidence_id,
            principal.subject,
            principal.role.value,
            principal.organisation_code,
            settings.LINK_SECONDS,
        )
        return Link(url=url, expires_in_seconds=settings.LINK_SECONDS)

    return api


def install(app: FastAPI, api: APIRouter) -> None:
    app.include_router(api)

    @app.exception_handler(FileRefused)
    async def refused(_: Request, error: FileRefused) -> JSONResponse:
        return problem(error.status, "file_refused", "File refused", error.detail, rule=error.rule)

    @app.exception_handler(StoreUnavailable)
    async def unavailable(_: Request, error: Any) -> JSONResponse:
        response = problem(
            503, "store_unavailable", "Object store unavailable", "nothing was stored; try again shortly"
        )
        response.headers["Retry-After"] = "30"
        return response

    @app.exception_handler(OutsideJurisdiction)
    async def forbidden(_: Request, error: OutsideJurisdiction) -> JSONResponse:
        return problem(403, "outside_jurisdiction", "Outside your jurisdiction", str(error))

    @app.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        return problem(404, "not_found", "Not found", str(error))
