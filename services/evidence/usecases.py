"""The evidence use cases: store checked files once per content and member, issue audited links,
and learn from case events who the members and arbiters are.

Files reach S3 first; a file's record and its ``evidence.stored`` event are then written
together (outbox), so an event never announces a file that is not stored. The record's id
is derived from the content, so the same content for the same member is recorded once; a
repeat learns that only after its upload, and removes the version it has just written.
(A crash between the upload and the record leaves an unrecorded copy of the same bytes.)
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from xueji_contracts.cases import ArbitrationStateChanged
from xueji_contracts.topics import EVIDENCE, CaseMessage

from services.common.auth import Principal
from services.common.errors import NotFound
from services.common.members import placements
from services.common.outbox import Entry, Written, entry

from .domain.access import Member, require_reader, require_uploader
from .domain.files import Received
from .domain.keys import bucket_for, evidence_id, object_key
from .domain.stored import evidence_record, object_metadata, stored_event
from .ports import Parts, RecordStore
from .upload import read_files


@dataclass(frozen=True)
class Stored:
    """One file of an upload: its evidence id, and whether this upload stored it first."""

    evidence_id: UUID
    file: Received
    new: bool


async def member_of(records: RecordStore, group_id: UUID, registry_number: str) -> tuple[Member, str | None]:
    """The member as learnt from case events, and its group's arbiter."""
    case = await records.case(group_id)
    known = (case or {}).get("members", {}).get(registry_number)
    if case is None or known is None:
        raise NotFound(f"no member {registry_number} in group {group_id}")
    member = Member(known["school_code"], known["district_code"], known["province_code"])
    return member, case.get("arbiter_code")


async def store_evidence(
    parts: Parts,
    principal: Principal,
    group_id: UUID,
    registry_number: str,
    headers: dict[str, str],
    body: AsyncIterator[bytes],
) -> list[Stored]:
    """Check every file of a multipart upload for the member's school, then store each once."""
    settings = parts.settings
    member, _ = await member_of(parts.records, group_id, registry_number)
    require_uploader(principal.role, principal.organisation_code, member)
    files = await read_files(
        headers,
        body,
        settings.allowed_types(member.province_code),
        settings.MAX_FILE_BYTES,
        settings.MAX_FILES_PER_UPLOAD,
    )
    upload = Upload(group_id, registry_number, member.province_code, principal.organisation_code,
                    bucket_for(settings.BUCKET_PREFIX, member.province_code))
    await parts.objects.ensure_bucket(upload.bucket)
    stored: list[Stored] = []
    written: Written = []
    for received in files:
        one, entries = await _store_one(parts, upload, received)
        if one.new:
            written.append((str(one.evidence_id), 1, entries))
        stored.append(one)
    await parts.publisher.publish(written)
    return stored


@dataclass(frozen=True)
class Upload:
    """Whose files one upload carries, and the province's bucket they go to."""

    group_id: UUID
    registry_number: str
    province_code: str
    uploader: str
    bucket: str


async def _store_one(parts: Parts, upload: Upload, received: Received) -> tuple[Stored, list[Entry]]:
    """Upload, then record with its event; a repeat of stored content removes its own upload."""
    group_id, rn, bucket = upload.group_id, upload.registry_number, upload.bucket
    key = object_key(group_id, rn, received.sha256, received.kind)
    eid = evidence_id(bucket, key)
    metadata = object_metadata(group_id, rn, upload.uploader, received)
    version = await parts.objects.put(bucket, key, bytes(received.data), received.content_type, metadata)
    event = stored_event(eid, group_id, rn, upload.province_code, upload.uploader, received)
    entries = [entry(EVIDENCE, str(group_id), event)]
    record = evidence_record(eid, group_id, rn, (bucket, key), upload.uploader, received, parts.clock())
    new = await parts.records.add(record, entries)
    if not new:  # the same content for the same member is stored once
        await parts.objects.remove_version(bucket, key, version)
    return Stored(eid, received, new), entries


async def link_evidence(parts: Parts, principal: Principal, evidence: UUID) -> str:
    """A presigned download link for a party with jurisdiction; every issue is audited."""
    record = await parts.records.get(evidence)
    if record is None:
        raise NotFound(f"no evidence {evidence}")
    member, arbiter_code = await member_of(parts.records, UUID(record["group_id"]), record["registry_number"])
    require_reader(principal.role, principal.organisation_code, member, arbiter_code)
    seconds = parts.settings.LINK_SECONDS
    url = await parts.objects.link(record["bucket"], record["key"], seconds)
    await parts.records.audit_link(
        evidence, principal.subject, principal.role.value, principal.organisation_code, seconds
    )
    return url


async def learn_members(records: RecordStore, event: CaseMessage) -> None:
    """Where the group's members sit, from an event that tells (idempotent)."""
    members = placements(event)
    if members is not None:
        await records.learn_members(event.group_id, {rn: p._asdict() for rn, p in members.items()})


async def learn_arbiter(records: RecordStore, event: CaseMessage) -> None:
    """The group's arbiter, once arbitration names one: it may then read the evidence."""
    if isinstance(event, ArbitrationStateChanged) and event.arbiter_code:
        await records.learn_arbiter(event.group_id, event.arbiter_code)


async def learn_parties(records: RecordStore, event: CaseMessage) -> None:
    """Whatever a case event tells of who may upload and read the group's evidence."""
    await learn_members(records, event)
    await learn_arbiter(records, event)
