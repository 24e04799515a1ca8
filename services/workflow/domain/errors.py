"""What the case domain refuses, and why: the services' common refusals (``services/common/errors.py``),
mapped to RFC 9457 problems by the one table at the HTTP edge."""

from services.common.errors import Invalid, NotFound, OutsideJurisdiction, Refused, ServiceError


class CaseNotFound(NotFound):
    """No group of that id."""

    code = "group_not_found"

    def __init__(self, group_id: object) -> None:
        super().__init__(f"no group {group_id}")


class EvidenceNotKnownYet(ServiceError):
    """Cited evidence the workflow has not heard of yet (its announcement is on its way): retry."""

    status, code, title, retry_after = 409, "evidence_not_known_yet", "Evidence not known yet", "2"


__all__ = ["CaseNotFound", "EvidenceNotKnownYet", "Invalid", "OutsideJurisdiction", "Refused"]
