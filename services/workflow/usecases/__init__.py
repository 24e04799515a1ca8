"""The workflow's use cases: one per thing the service does, each load → decide → save → publish.

Routes and subscribers call these and nothing else of the domain; the ports they need are
``ports.py``, bundled with the shared versioned write in ``Cases``.
"""

from services.common.auth import Principal

from ..domain.case import Actor, AuditEntry
from ..domain.views import HistoryEntry
from .changing import Cases
from .deadlines import fire_deadlines
from .evidence import record_evidence
from .exporting import Export, export_cases
from .handling import (
    confirm_deletion,
    decide_arbitration,
    decline_deletion,
    review_request,
    submit_action,
    withdraw_request,
)
from .opening import (
    apply_amendment_result,
    apply_membership,
    apply_problem,
    apply_problems,
    open_case,
    open_cases,
)
from .progress import read_statistics
from .reading import Listing, list_arbitrations, list_cases, list_reviews, read_history, view_case
from .reinitiating import reinitiate_member


def actor_of(principal: Principal) -> Actor:
    """The caller as the domain knows it."""
    return Actor(role=principal.role.value, organisation_code=principal.organisation_code,
                 subject=principal.subject)


__all__ = [
    "Actor",
    "AuditEntry",
    "Cases",
    "Export",
    "HistoryEntry",
    "Listing",
    "actor_of",
    "apply_amendment_result",
    "apply_membership",
    "apply_problem",
    "apply_problems",
    "confirm_deletion",
    "decide_arbitration",
    "decline_deletion",
    "export_cases",
    "fire_deadlines",
    "list_arbitrations",
    "list_cases",
    "list_reviews",
    "open_case",
    "open_cases",
    "read_history",
    "read_statistics",
    "record_evidence",
    "reinitiate_member",
    "review_request",
    "submit_action",
    "view_case",
    "withdraw_request",
]
