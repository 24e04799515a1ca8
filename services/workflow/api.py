"""HTTP API of the workflow: schools handle, bureaus review, arbiters decide, everyone reads history.

Routes are thin: authenticate, call a use case with a domain function, shape the answer.
Jurisdiction is the domain's (``domain/jurisdiction.py``); errors are RFC 9457 problems.
"""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from xueji_contracts.commands import AmendedFields
from xueji_contracts.enums import Action, ArbitrationStatus, ProblemType, ReviewDecision, Role, RuleSet
from xueji_contracts.problems import MemberBrief

from services.common.auth import CurrentPrincipal, Principal
from services.common.problems import PROBLEM_RESPONSES

from .adapters.store import opened_between
from .cases import Cases
from .domain import handling
from .domain.case import Actor, AuditEntry, Case, Member
from .domain.divisions import province_of
from .domain.errors import CaseNotFound, OutsideJurisdiction
from .domain.jurisdiction import require_view, visible_scope
from .domain.rules import allowed_actions

MAX_PAGE = 10_000  # the database skips (page - 1) × page_size documents: keep that bounded
RN = Annotated[str, Field(pattern=r"^[GJL][0-9A-Z]{18}$")]


class MemberView(BaseModel):
    brief: MemberBrief | None = Field(description="Masked brief; None for a member in another province.")
    registry_number: str | None
    school_code: str
    province_code: str
    stage: str
    action: Action | None = None
    rejected_reason: str | None = None
    outcome: str | None = None
    allowed_actions: list[Action] = []


class CaseView(BaseModel):
    group_id: UUID
    problem_type: ProblemType
    rule_set: RuleSet
    arbitration_status: ArbitrationStatus
    arbiter_code: str | None
    closed: bool
    opened_at: datetime
    linked_group_id: UUID | None
    finished_provinces: list[str]
    suggested_id_number: str | None
    members: list[MemberView]


class Page(BaseModel):
    has_more: bool = Field(description="Whether a next page exists.")
    page: int
    page_size: int
    items: list[CaseView]


class ActionRequest(BaseModel):
    action: Action
    evidence_ids: list[UUID] = Field(default=[], max_length=20)
    opinion: str | None = Field(default=None, max_length=2000, description="Attest: the school's opinion.")
    amendment: AmendedFields | None = None
    confirm: bool = Field(default=False, description="Delete: the requester's explicit confirmation.")


class ReviewRequest(BaseModel):
    decision: ReviewDecision
    reason: str | None = Field(default=None, max_length=2000, description="Mandatory when rejecting.")


class ArbitrationRequest(BaseModel):
    approved_registry_number: RN
    reason: str = Field(min_length=1, max_length=2000)


class Confirmation(BaseModel):
    confirm: bool = Field(description="The second confirmation of the person who asks.")


def actor_of(principal: Principal) -> Actor:
    return Actor(
        role=principal.role.value, organisation_code=principal.organisation_code, subject=principal.subject
    )


def member_view(case: Case, member: Member, actor: Actor) -> MemberView:
    own = actor.organisation_code == member.brief.school_code
    same_province = (
        actor.role in (Role.ARBITER, Role.OPERATOR)
        or province_of(actor.organisation_code[:6]) == member.brief.province_code
    )
    others = case.others(member.rn)
    return MemberView(
        brief=member.brief if same_province else None,
        registry_number=member.rn if same_province else None,
        school_code=member.brief.school_code,
        province_code=member.brief.province_code,
        stage=member.stage.value,
        action=member.action,
        outcome=member.outcome,
        rejected_reason=member.rejected_reason if same_province else None,
        allowed_actions=allowed_actions(case.rules, case.problem_type, member.brief, others)
        if own and not case.closed
        else [],
    )


def case_view(case: Case, actor: Actor) -> CaseView:
    return CaseView(
        group_id=case.group_id,
        problem_type=case.problem_type,
        rule_set=case.rule_set,
        arbitration_status=case.arbitration,
        arbiter_code=case.arbiter_code,
        closed=case.closed,
        opened_at=case.opened_at,
        linked_group_id=case.linked_group_id,
        finished_provinces=case.finished_provinces,
        suggested_id_number=case.suggested_id_number,
        members=[member_view(case, m, actor) for m in case.members.values()],
    )


def router(cases: Cases, page_size_max: int) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["cases"], responses=PROBLEM_RESPONSES)

    async def listing(principal: Principal, filters: dict[str, Any], page: int, page_size: int) -> Page:
        actor = actor_of(principal)
        has_more, found = await cases.store.find(
            visible_scope(actor), filters, (page - 1) * page_size, page_size
        )
        return Page(
            has_more=has_more, page=page, page_size=page_size, items=[case_view(c, actor) for c in found]
        )

    Pg = Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="Pages past the 10 000th are refused (narrow the filters).")
    ]
    Size = Annotated[int, Query(ge=1, le=page_size_max)]

    @api.get("/cases", summary="Problem groups in your jurisdiction, newest first")
    async def list_cases(
        principal: CurrentPrincipal,
        problem_type: ProblemType | None = None,
        status: Literal["open", "closed"] | None = None,
        opened_from: datetime | None = None,
        opened_to: datetime | None = None,
        page: Pg = 1,
        page_size: Size = 50,
    ) -> Page:
        filters: dict[str, Any] = opened_between(opened_from, opened_to)
        if problem_type:
            filters["problem_type"] = problem_type.value
        if status:
            filters["closed"] = status == "closed"
        return await listing(principal, filters, page, page_size)

    @api.get("/reviews", summary="Bureau: groups with requests awaiting your review")
    async def list_reviews(principal: CurrentPrincipal, page: Pg = 1, page_size: Size = 50) -> Page:
        if principal.role is not Role.BUREAU_REGISTRAR:
            raise OutsideJurisdiction("only district bureaus review")
        return await listing(principal, {"reviews_due": principal.organisation_code}, page, page_size)

    @api.get("/arbitrations", summary="Arbiter: groups awaiting your arbitration")
    async def list_arbitrations(principal: CurrentPrincipal, page: Pg = 1, page_size: Size = 50) -> Page:
        if principal.role is not Role.ARBITER:
            raise OutsideJurisdiction("only arbiters arbitrate")
        return await listing(principal, {}, page, page_size)

    async def load_visible(group_id: UUID, actor: Actor) -> Case:
        loaded = await cases.store.load(group_id)
        if loaded is None:
            raise CaseNotFound(str(group_id))
        require_view(actor, loaded[0])
        return loaded[0]

    @api.get("/cases/{group_id}", summary="One group with the other members' masked brief information")
    async def get_case(group_id: UUID, principal: CurrentPrincipal) -> CaseView:
        actor = actor_of(principal)
        return case_view(await load_visible(group_id, actor), actor)

    @api.get("/cases/{group_id}/history", summary="The group's audit trail: who did what, when and why")
    async def get_history(group_id: UUID, principal: CurrentPrincipal) -> list[AuditEntry]:
        await load_visible(group_id, actor_of(principal))
        return await cases.store.history(group_id)

    @api.post(
        "/cases/{group_id}/members/{registry_number}/actions", summary="School: attest, amend or delete"
    )
    async def submit(
        group_id: UUID, registry_number: RN, body: ActionRequest, principal: CurrentPrincipal
    ) -> CaseView:
        actor = actor_of(principal)
        known = await cases.store.evidence_of(group_id, registry_number)
        case = await cases.change(
            group_id,
            lambda c, now: handling.submit_action(
                c,
                actor,
                registry_number,
                body.action,
                now,
                evidence_ids=tuple(body.evidence_ids),
                known_evidence=known,
                opinion=body.opinion,
                amendment=body.amendment,
                confirmed=body.confirm,
            ),
        )
        return case_view(case, actor)

    @api.post(
        "/cases/{group_id}/members/{registry_number}/deletion-confirmation",
        summary="School leader: confirm a deletion request",
    )
    async def confirm_deletion(group_id: UUID, registry_number: RN, principal: CurrentPrincipal) -> CaseView:
        actor = actor_of(principal)
        case = await cases.change(
            group_id, lambda c, now: handling.confirm_deletion(c, actor, registry_number, now)
        )
        return case_view(case, actor)

    @api.post("/cases/{group_id}/members/{registry_number}/review", summary="Bureau: approve or reject")
    async def review(
        group_id: UUID, registry_number: RN, body: ReviewRequest, principal: CurrentPrincipal
    ) -> CaseView:
        actor = actor_of(principal)
        case = await cases.change(
            group_id,
            lambda c, now: handling.review(c, actor, registry_number, body.decision, body.reason, now),
        )
        return case_view(case, actor)

    @api.post("/cases/{group_id}/arbitration", summary="Arbiter: approve exactly one attestation")
    async def arbitrate(group_id: UUID, body: ArbitrationRequest, principal: CurrentPrincipal) -> CaseView:
        actor = actor_of(principal)
        case = await cases.change(
            group_id,
            lambda c, now: handling.decide_arbitration(
                c, actor, body.approved_registry_number, body.reason, now
            ),
        )
        return case_view(case, actor)

    @api.post(
        "/cases/{group_id}/members/{registry_number}/reinitiation",
        summary="School: re-open handling of an attest-approved member (new one-member group)",
    )
    async def reinitiate(
        group_id: UUID, registry_number: RN, body: Confirmation, principal: CurrentPrincipal
    ) -> CaseView:
        actor = actor_of(principal)
        return case_view(await cases.reinitiate(group_id, actor, registry_number, body.confirm), actor)

    return api
