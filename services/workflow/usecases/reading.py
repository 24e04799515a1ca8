"""What the parties read: listings within their jurisdiction, one case, its audit trail."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from xueji_contracts.enums import ProblemType

from ..domain.case import Actor, AuditEntry, Case
from ..domain.jurisdiction import require_arbiter_role, require_reviewer, require_view, visible_scope
from ..domain.views import CaseView, case_view
from ..ports import Query
from .changing import Cases


@dataclass(frozen=True)
class Listing:
    has_more: bool
    items: list[CaseView]


def opened_between(start: datetime | None, end: datetime | None) -> Query:
    bounds = {k: v for k, v in (("$gte", start), ("$lt", end)) if v is not None}
    return {"opened_at": bounds} if bounds else {}


async def _listing(cases: Cases, actor: Actor, filters: Query, page: int, page_size: int) -> Listing:
    has_more, found = await cases.store.find(visible_scope(actor), filters, (page - 1) * page_size, page_size)
    return Listing(has_more, [case_view(c, actor) for c in found])


async def list_cases(cases: Cases, actor: Actor, *, problem_type: ProblemType | None = None,
                     status: Literal["open", "closed"] | None = None, opened_from: datetime | None = None,
                     opened_to: datetime | None = None, page: int = 1, page_size: int = 50) -> Listing:
    """Problem groups in the caller's jurisdiction, newest first."""
    filters = opened_between(opened_from, opened_to)
    if problem_type:
        filters["problem_type"] = problem_type.value
    if status:
        filters["closed"] = status == "closed"
    return await _listing(cases, actor, filters, page, page_size)


async def list_reviews(cases: Cases, actor: Actor, page: int = 1, page_size: int = 50) -> Listing:
    """Bureau: the groups with requests awaiting its review."""
    require_reviewer(actor)
    return await _listing(cases, actor, {"reviews_due": actor.organisation_code}, page, page_size)


async def list_arbitrations(cases: Cases, actor: Actor, page: int = 1, page_size: int = 50) -> Listing:
    """Arbiter: the groups awaiting its arbitration."""
    require_arbiter_role(actor)
    return await _listing(cases, actor, {}, page, page_size)


async def _visible(cases: Cases, actor: Actor, group_id: UUID) -> Case:
    case = await cases.load(group_id)
    require_view(actor, case)
    return case


async def view_case(cases: Cases, actor: Actor, group_id: UUID) -> CaseView:
    """One group, the other members masked as the caller may see them."""
    return case_view(await _visible(cases, actor, group_id), actor)


async def read_history(cases: Cases, actor: Actor, group_id: UUID) -> list[AuditEntry]:
    """The group's audit trail: who did what, when and why."""
    await _visible(cases, actor, group_id)
    return await cases.store.history(group_id)
