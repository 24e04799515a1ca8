"""The refusals every service raises, each carrying its RFC 9457 problem (status, code, title).

They hold no rule: the domain of each service decides *when* to raise them. Raising one
is the only way a use case or a domain function says "no" to an HTTP caller; the one
handler in ``problems.py`` turns it into the answer.
"""


class ServiceError(Exception):
    status = 500
    code = "internal_error"
    title = "Internal error"
    retry_after: str | None = None

    def __init__(self, detail: str = "", *, code: str | None = None, rule: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.rule = rule
        if code is not None:
            self.code = code


class NotFound(ServiceError):
    """Nothing of that id in the caller's reach (an entry of another party is as unknown as none)."""

    status, code, title = 404, "not_found", "Not found"


class OutsideJurisdiction(ServiceError):
    """The caller has no jurisdiction over this member, case or file (HTTP 403)."""

    status, code, title = 403, "outside_jurisdiction", "Outside your jurisdiction"


class Refused(ServiceError):
    """The state or the rule set forbids the action (HTTP 409); ``rule`` names what forbids it."""

    status, code, title = 409, "refused", "Refused by the state or the rule set"

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail, rule=rule)


class Invalid(ServiceError):
    """The request itself is incomplete or contradictory (HTTP 422)."""

    status, code, title = 422, "invalid_action", "Invalid input"


class Unavailable(ServiceError):
    """A dependency did not answer; nothing was done (HTTP 503 with Retry-After)."""

    status, code, title, retry_after = 503, "unavailable", "Unavailable", "5"
