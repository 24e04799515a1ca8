"""The evidence use cases: store checked files once per content and member, issue audited links.

Files reach S3 first; a file's record and its ``evidence.stored`` event are then written
together (outbox), so an event never announces a file that is not stored. The record's id
is derived from the content, so the same content for the same member is recorded once; a
repeat learns that only after its upload, and removes the version it has just written.
(A crash between the upload and the record leaves an unrecorded copy of the same bytes.)
"""

from datetime import UTC, datetime
from uuid import UUID

from xueji_contracts.evidence import EvidenceStored
from xueji_contracts.topics import EVIDENCE

from services.common.auth import Principal
from services.common.errors import NotFound
from services.common.outbox import OutboxRelay, Written, entry

from .adapters.objects import ObjectStore
from .adapters.records import Records
from .domain.access import Member, require_reader, require_uploader
from .domain.keys import bucket_for, evidence_id, object_key
from .settings import EvidenceSettings
from .upload import Received

PRODUCER = "xueji-evidence"


def stored_event(
    evidence_id: UUID, group_id: UUID, registry_number: str, province: str, uploader: str, received: Received
) -> EvidenceStored:
    """The event announcing a stored file (the workflow accepts only evidence it announced)."""
    return EvidenceStored(
        producer=PRODUCER,
        evidence_id=evidence_id,
        group_id=group_id,
        registry_number=registry_number,
        province_code=province,
        uploaded_by=uploader,
        file_type=received.kind,
        size_bytes=len(received.data),
        sha256=received.sha256,
    )


class Evidence:
    def __init__(
        self, settings: EvidenceSettings, objects: ObjectStore, records: Records, relay: OutboxRelay
    ) -> None:
        self.settings, self.objects, self.records, self.relay = settings, objects, records, relay

    async def member(self, group_id: UUID, registry_number: str) -> tuple[Member, str | None]:
        """The member as learnt from case events, and its group's arbiter."""
        case = await self.records.case(group_id)
        known = (case or {}).get("members", {}).get(registry_number)
        if case is None or known is None:
            raise NotFound(f"no member {registry_number} in group {group_id}")
        return Member(known["school_code"], known["district_code"], known["province_code"]), case.get(
            "arbiter_code"
        )

    async def uploader_of(self, principal: Principal, group_id: UUID, registry_number: str) -> Member:
        member, _ = await self.member(group_id, registry_number)
        require_uploader(principal.role, principal.organisation_code, member)
        return member

    async def store(
        self,
        principal: Principal,
        group_id: UUID,
        registry_number: str,
        member: Member,
        files: list[Received],
    ) -> list[tuple[UUID, Received, bool]]:
        """(evidence id, file, whether it is new) for every checked file of one upload."""
        bucket = bucket_for(self.settings.BUCKET_PREFIX, member.province_code)
        await self.objects.ensure_bucket(bucket)
        stored, written = [], []
        for f in files:
            key = object_key(group_id, registry_number, f.sha256, f.kind)
            eid = evidence_id(bucket, key)
            version = await self.objects.put(
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
            event = stored_event(
                eid, group_id, registry_number, member.province_code, principal.organisation_code, f
            )
            entries = [entry(EVIDENCE, str(group_id), event)]
            new = await self.records.add(
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
            else:  # the same content for the same member is stored once
                await self.objects.remove_version(bucket, key, version)
            stored.append((eid, f, new))
        await self.relay.publish(written)
        return stored

    async def link(self, principal: Principal, evidence: UUID) -> str:
        """A presigned download link for a party with jurisdiction; every issue is audited."""
        record = await self.records.get(evidence)
        if record is None:
            raise NotFound(f"no evidence {evidence}")
        member, arbiter_code = await self.member(UUID(record["group_id"]), record["registry_number"])
        require_reader(principal.role, principal.organisation_code, member, arbiter_code)
        url = await self.objects.link(record["bucket"], record["key"], self.settings.LINK_SECONDS)
        await self.records.audit_link(
            evidence,
            principal.subject,
            principal.role.value,
            principal.organisation_code,
            self.settings.LINK_SECONDS,
        )
        return url


__all__ = ["Evidence", "NotFound", "Written", "stored_event"]
