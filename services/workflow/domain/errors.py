"""What the case domain refuses, and why (mapped to RFC 9457 problems at the HTTP edge)."""


class Refused(Exception):
    """The state of the case or its rule set forbids the action (HTTP 409)."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail


class OutsideJurisdiction(Exception):
    """The caller has no jurisdiction over this member or case (HTTP 403)."""


class Invalid(Exception):
    """The request itself is incomplete or contradictory (HTTP 422)."""
