"""What a stored file is kept and announced as: its object's metadata, its record, its event.

The workflow accepts as evidence only files announced by ``evidence.stored``; the record
keeps where the bytes are so a link can be issued later.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from xueji_contracts.evidence import EvidenceStored

from .files import Received

PRODUCER = "xueji-evidence"


def object_metadata(
    group_id: UUID, registry_number: str, uploader: str, received: Received
) -> dict[str, str]:
    """Kept with the object itself, so the bucket alone tells whose file it is (the name hex-encoded:
    S3 metadata is ASCII)."""
    return {
        "group-id": str(group_id),
        "registry-number": registry_number,
        "sha256": received.sha256,
        "uploaded-by": uploader,
        "original-name": received.name.encode().hex(),
    }


def evidence_record(
    evidence_id: UUID,
    group_id: UUID,
    registry_number: str,
    where: tuple[str, str],
    uploader: str,
    received: Received,
    at: datetime,
) -> dict[str, Any]:
    """The record of one stored file; ``where`` is its (bucket, key)."""
    bucket, key = where
    return {
        "_id": str(evidence_id),
        "group_id": str(group_id),
        "registry_number": registry_number,
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
