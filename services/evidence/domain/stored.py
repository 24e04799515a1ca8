"""What a stored file is kept and announced as: its object's metadata, its record, its event.

The workflow accepts as evidence only files announced by ``evidence.stored``; the record
keeps where the bytes are so a link can be issued later. The object and the record name the
member by its ``member_ref``; only the event (an internal topic the workflow reads) carries the
registry number.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from xueji_contracts.evidence import EvidenceStored

from .files import Received

PRODUCER = "xueji-evidence"


def object_metadata(
    evidence_id: UUID, group_id: UUID, member_ref: str, uploader: str, received: Received
) -> dict[str, str]:
    """Kept with the object itself, so the bucket alone tells which record and member a file is of.

    The member is named by its ``member_ref``, never by its registry number (a G number is an ID
    number). The original file name is kept out too, as it may carry a student's name: the
    evidence record keeps it for the reviewer's list of files.
    """
    return {
        "evidence-id": str(evidence_id),
        "group-id": str(group_id),
        "member-ref": member_ref,
        "sha256": received.sha256,
        "uploaded-by": uploader,
    }


def evidence_record(
    evidence_id: UUID,
    group_id: UUID,
    member_ref: str,
    where: tuple[str, str],
    uploader: str,
    received: Received,
    at: datetime,
) -> dict[str, Any]:
    """The record of one stored file; ``where`` is its (bucket, key). The member is its
    ``member_ref``: the record, like the object, holds no registry number."""
    bucket, key = where
    return {
        "_id": str(evidence_id),
        "group_id": str(group_id),
        "member_ref": member_ref,
        "bucket": bucket,
        "key": key,
        "name": received.name,
        "file_type": received.kind,
        "size_bytes": len(received.data),
        "sha256": received.sha256,
        "uploaded_by": uploader,
        "at": at,
    }


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
        file_name=received.name,
    )
