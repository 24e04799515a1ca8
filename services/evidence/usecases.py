"""The evidence use cases: store checked files once per content and member, issue audited links,
and learn from case events who the members and arbiters are.

Files reach S3 first; a file's record and its ``evidence.stored`` event are then written
together (outbox), so an event never announces a file that is not stored. The record's id
is derived from the content, so the same content for the same member is recorded once; a
repeat learns that only after its upload, and removes the version it has just written.
(A crash between the upload and the record leaves an unrecorded copy of the same bytes.)

The school names its member by registry number (its own record); here it becomes the member's
``member_ref`` at once, and objects, records and what is known of each group's members are kept
under that (DOMAIN §8). Only the ``evidence.stored`` event carries the registry number, for the
workflow.
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
from .ports import Doc, Parts, RecordStore
from .upload import read_files


@dataclass(frozen=True)
class Stored:
    """One file of an upload: its evidence id, and whether this upload stored it first."""

    evidence_id: UUID
    file: Received
    new: bool


async def member_of(
    records: RecordStore, group_id: UUID, member_ref: str, legacy: str | None = None
) -> tuple[Member, str | None]:
    """The member as learnt from case events, and its group's arbiter.

    ``legacy`` is the registry number a group learnt its member under before members were kept by
    ``member_ref``: a member found under it is moved to its member_ref on the way.
    """
    case = await records.case(group_id)
    members: dict[str, Doc] = (case or {}).get("members", {})
    known = members.get(member_ref)
    if known is None and legacy and (known := members.get(legacy)) is not None:
        await records.learn_members(group_id, {member_ref: known}, [legacy])
    if case is None or known is None:
        raise NotFound(f"no such member in group {group_id}")
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
    ref = settings.member_ref(registry_number)
    member, _ = await member_of(parts.records, group_id, ref, legacy=registry_number)
    require_uploader(principal.role, principal.organisation_code, member)
    files = await read_files(
        headers,
        body,
        settings.allowed_types(member.province_code),
        settings.MAX_FILE_BYTES,
        settings.MAX_FILES_PER_UPLOAD,
    )
    upload = Upload(group_id, registry_number, ref, member.province_code, principal.organisation_code,
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
    """Whose files one upload carries, and the province's bucket they go to. The registry number
    goes into the event only; everything stored names the member by ``member_ref``."""

    group_id: UUID
    registry_number: str
    member_ref: str
    province_code: str
    uploader: str
    bucket: str


async def _store_one(parts: Parts, upload: Upload, received: Received) -> tuple[Stored, list[Entry]]:
    """Upload, then record with its event; a repeat of stored content removes its own upload."""
    group_id, ref, bucket = upload.group_id, upload.member_ref, upload.bucket
    eid = evidence_id(bucket, group_id, ref, received.sha256, received.kind)
    key = object_key(group_id, eid, received.kind)
    metadata = object_metadata(eid, group_id, ref, upload.uploader, received)
    version = await parts.objects.put(bucket, key, bytes(received.data), received.content_type, metadata)
    event = stored_event(
        eid, group_id, upload.registry_number, upload.province_code, upload.uploader, received
    )
    entries = [entry(EVIDENCE, str(group_id), event)]
    record = evidence_record(eid, group_id, ref, (bucket, key), upload.uploader, received, parts.clock())
    new = await parts.records.add(record, entries)
    if not new:  # the same content for the same member is stored once
        await parts.objects.remove_version(bucket, key, version)
    return Stored(eid, received, new), entries


async def link_evidence(parts: Parts, principal: Principal, evidence: UUID) -> str:
    """A presigned download link for a party with jurisdiction; every issue is audited."""
    record = await parts.records.get(evidence)
    if record is None:
        raise NotFound(f"no evidence {evidence}")
    # a record stored before members were kept by member_ref names its member by registry number
    legacy: str | None = record.get("registry_number")
    ref = record.get("member_ref") or parts.settings.member_ref(record["registry_number"])
    member, arbiter_code = await member_of(parts.records, UUID(record["group_id"]), ref, legacy)
    require_reader(principal.role, principal.organisation_code, member, arbiter_code)
    seconds = parts.settings.LINK_SECONDS
    url = await parts.objects.link(record["bucket"], record["key"], seconds)
    await parts.records.audit_link(
        evidence, principal.subject, principal.role.value, principal.organisation_code, seconds
    )
    return url


async def learn_members(records: RecordStore, event: CaseMessage) -> None:
    """Where the group's members sit, from an event that tells, by member_ref (idempotent)."""
    members = placements(event)
    if members is not None:
        await records.learn_members(event.group_id, {ref: p._asdict() for ref, p in members.items()}, [])


async def learn_arbiter(records: RecordStore, event: CaseMessage) -> None:
    """The group's arbiter, once arbitration names one: it may then read the evidence."""
    if isinstance(event, ArbitrationStateChanged) and event.arbiter_code:
        await records.learn_arbiter(event.group_id, event.arbiter_code)


async def learn_parties(records: RecordStore, event: CaseMessage) -> None:
    """Whatever a case event tells of who may upload and read the group's evidence."""
    await learn_members(records, event)
    await learn_arbiter(records, event)
