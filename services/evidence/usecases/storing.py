"""Storing an upload: every file checked and whole first, then each stored once per content and member.

Nothing is written before the whole body was read and every file of it passed every check
(``upload.read_files``). Files then reach S3 first; a file's record and its ``evidence.stored``
event are written together (outbox), so an event never announces a file that is not stored. The
record's id is derived from the content, so the same content for the same member is recorded once;
a repeat learns that only after its upload, and removes the version it has just written. A crash
between an object's write and its record leaves an object no record names: the orphan sweep
(``sweeping.py``) removes it once it is old enough.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from xueji_contracts.topics import EVIDENCE

from services.common.auth import Principal
from services.common.outbox import Entry, Written, entry

from ..domain.access import require_uploader
from ..domain.files import Received
from ..domain.keys import bucket_for, evidence_id, object_key
from ..domain.stored import evidence_record, object_metadata, stored_event
from ..ports import Parts
from ..upload import read_files
from .parties import member_of


@dataclass(frozen=True)
class Stored:
    """One file of an upload: its evidence id, and whether this upload stored it first."""

    evidence_id: UUID
    file: Received
    new: bool


async def store_evidence(
    parts: Parts,
    principal: Principal,
    group_id: UUID,
    registry_number: str,
    headers: dict[str, str],
    body: AsyncIterator[bytes],
) -> list[Stored]:
    """Check every file of a multipart upload for a member of the group at the registrar's own
    school, then store each once."""
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
    event = stored_event(
        eid, group_id, upload.registry_number, upload.province_code, upload.uploader, received
    )
    entries = [entry(EVIDENCE, str(group_id), event)]
    record = evidence_record(eid, group_id, ref, (bucket, key), upload.uploader, received, parts.clock())
    # the event and the record are made (and validated) before the object is written
    version = await parts.objects.put(bucket, key, bytes(received.data), received.content_type, metadata)
    new = await parts.records.add(record, entries)
    if not new:  # the same content for the same member is stored once
        await parts.objects.remove_version(bucket, key, version)
    return Stored(eid, received, new), entries
