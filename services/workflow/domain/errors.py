"""What the case domain refuses, and why: the services' common refusals (``services/common/errors.py``),
mapped to RFC 9457 problems by the one table at the HTTP edge."""

from services.common.errors import Invalid, NotFound, OutsideJurisdiction, Refused


class CaseNotFound(NotFound):
    """No group of that id."""

    code = "group_not_found"

    def __init__(self, group_id: object) -> None:
        super().__init__(f"no group {group_id}")


__all__ = ["CaseNotFound", "Invalid", "OutsideJurisdiction", "Refused"]
