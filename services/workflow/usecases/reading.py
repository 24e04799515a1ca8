"""What the parties read: listings within their jurisdiction, one case, its audit trail."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import TypeAdapter, ValidationError
from xueji_contracts.enums import ProblemType
from xueji_contracts.envelope import RegistryNumber
from xueji_contracts.names import name_key, normalise_name

from ..domain.case import Actor, Case
from ..domain.disclosure import takes_part
from ..domain.errors import Invalid
from ..domain.jurisdiction import require_arbiter_role, require_reviewer, require_view, visible_scope
from ..domain.views import CaseView, HistoryEntry, case_view, history_view
from ..ports import Query
from .changing import Cases

REGISTRY_NUMBER: TypeAdapter[str] = TypeAdapter(RegistryNumber)


@dataclass(frozen=True)
class Listing:
    has_more: bool
    items: list[CaseView]


@dataclass(frozen=True)
class Wanted:
    """The member a search looks for: a registry number and/or the search key of a name."""

    registry_number: str | None = None
    name_key: str | None = None

    def filters(self) -> Query:
        found = {"registry_numbers": self.registry_number, "name_keys": self.name_key}
        return {field: value for field, value in found.items() if value is not None}

    def found_in(self, case: Case, actor: Actor) -> bool:
        """A member of the case matches every part, and it is one the caller takes part in (DOMAIN §8:
        a school finds its own records), so a search confirms nothing of a member shown masked."""
        return any(takes_part(actor, case, m) for m in case.members.values()
                   if self.registry_number in (None, m.rn) and self.name_key in (None, m.brief.name_key))


def wanted(cases: Cases, registry_number: str | None, name: str | None) -> Wanted | None:
    """The searched member, the registry number upper-cased and checked, the name as its search key."""
    if registry_number is None and name is None:
        return None
    rn = None
    if registry_number is not None:
        try:
            rn = REGISTRY_NUMBER.validate_python(registry_number.strip().upper())
        except ValidationError:
            raise Invalid("registry_number: G, J or L followed by 18 digits or X (学籍号)",
                          code="invalid_input") from None
    if name is not None and not normalise_name(name):
        raise Invalid("name: nothing is left of it once normalised", code="invalid_input")
    return Wanted(rn, name_key(cases.name_search_key, name) if name is not None else None)


def opened_between(start: datetime | None, end: datetime | None) -> Query:
    bounds = {k: v for k, v in (("$gte", start), ("$lt", end)) if v is not None}
    return {"opened_at": bounds} if bounds else {}


def listing_filters(problem_type: ProblemType | None, status: Literal["open", "closed"] | None,
                    opened_from: datetime | None, opened_to: datetime | None, search: Wanted | None) -> Query:
    """The store's filters of a listing (or an export) of problem groups."""
    filters = opened_between(opened_from, opened_to) | (search.filters() if search else {})
    if problem_type:
        filters["problem_type"] = problem_type.value
    if status:
        filters["closed"] = status == "closed"
    return filters


async def views(cases: Cases, found: list[Case], actor: Actor) -> list[CaseView]:
    """The cases as the caller sees them, with the evidence of their requests (one lookup)."""
    cited = {e for case in found for m in case.members.values() for e in m.evidence_ids}
    files = await cases.store.evidence_files(cited) if cited else {}
    return [case_view(case, actor, files, cases.policy) for case in found]


async def seen_by(cases: Cases, case: Case, actor: Actor) -> CaseView:
    return (await views(cases, [case], actor))[0]


async def _listing(cases: Cases, actor: Actor, filters: Query, page: int, page_size: int,
                   search: Wanted | None = None) -> Listing:
    has_more, found = await cases.store.find(visible_scope(actor), filters, (page - 1) * page_size, page_size)
    if search is not None:
        found = [case for case in found if search.found_in(case, actor)]
    return Listing(has_more, await views(cases, found, actor))


async def list_cases(cases: Cases, actor: Actor, *, problem_type: ProblemType | None = None,
                     status: Literal["open", "closed"] | None = None, opened_from: datetime | None = None,
                     opened_to: datetime | None = None, registry_number: str | None = None,
                     name: str | None = None, page: int = 1, page_size: int = 50) -> Listing:
    """Problem groups in the caller's jurisdiction, newest first; with ``registry_number`` or
    ``name`` (exact once normalised) those of that member, if the caller takes part in it."""
    search = wanted(cases, registry_number, name)
    filters = listing_filters(problem_type, status, opened_from, opened_to, search)
    return await _listing(cases, actor, filters, page, page_size, search)


async def list_reviews(cases: Cases, actor: Actor, page: int = 1, page_size: int = 50) -> Listing:
    """Bureau: the groups with requests awaiting its review."""
    require_reviewer(actor)
    return await _listing(cases, actor, {"reviews_due": actor.organisation_code}, page, page_size)


async def list_arbitrations(cases: Cases, actor: Actor, status: Literal["pending", "decided"] = "pending",
                            page: int = 1, page_size: int = 50) -> Listing:
    """Arbiter: the groups awaiting its arbitration, or those it decided."""
    require_arbiter_role(actor)
    field = "arbiter_code" if status == "pending" else "decided_by"
    return await _listing(cases, actor, {field: actor.organisation_code}, page, page_size)


async def _visible(cases: Cases, actor: Actor, group_id: UUID) -> Case:
    case = await cases.load(group_id)
    require_view(actor, case)
    return case


async def view_case(cases: Cases, actor: Actor, group_id: UUID) -> CaseView:
    """One group, the other members masked as the caller may see them."""
    return await seen_by(cases, await _visible(cases, actor, group_id), actor)


async def read_history(cases: Cases, actor: Actor, group_id: UUID) -> list[HistoryEntry]:
    """The group's audit trail: who did what, when and why, as the caller may see it."""
    case = await _visible(cases, actor, group_id)
    return history_view(case, await cases.store.history(group_id), actor)
