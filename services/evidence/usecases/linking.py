"""Short-lived download links, for the parties of the file's member only, every one audited."""

from uuid import UUID

from services.common.auth import Principal
from services.common.errors import NotFound

from ..domain.access import require_reader
from ..ports import Parts
from .parties import member_of


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
