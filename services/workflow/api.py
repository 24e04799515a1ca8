"""HTTP API of the workflow: schools handle, bureaus review, arbiters decide, everyone reads history.

Routes are thin: authenticate, call one use case, shape the answer. Who may see and do
what is the domain's, reached through the use cases; refusals are RFC 9457 problems.
"""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from xueji_contracts.enums import ProblemType
from xueji_contracts.envelope import RegistryNumber

from services.common.auth import CurrentPrincipal
from services.common.problems import PROBLEM_RESPONSES

from . import downloads, usecases
from .downloads import Format
from .schemas import (
    ActionRequest,
    ArbitrationRequest,
    CaseView,
    Confirmation,
    Decline,
    Page,
    ReviewRequest,
    Statistics,
)
from .usecases import Cases, HistoryEntry, Listing, actor_of

MAX_PAGE = 10_000  # the database skips (page - 1) × page_size documents: keep that bounded
MEMBER = "/cases/{group_id}/members/{registry_number}"
AS_LISTED = "As in GET /v1/cases."
EXPORTED: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file: CSV (UTF-8 with BOM) or Excel, one row per member.",
          "content": {"text/csv": {}, downloads.XLSX_TYPE: {}}}}


def page_of(listing: Listing, page: int, page_size: int) -> Page:
    return Page(has_more=listing.has_more, page=page, page_size=page_size, items=listing.items)


def router(cases: Cases, page_size_max: int) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["cases"], responses=PROBLEM_RESPONSES)
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
        registry_number: Annotated[str | None, Query(
            max_length=32, examples=["L110105201203045678"],
            description="按学籍号查找: the member's registry number, exactly (G, J or L and 18 digits or X; "
            "lower case is accepted). Only members you take part in are found.")] = None,
        name: Annotated[str | None, Query(
            min_length=1, max_length=64, examples=["买买提·艾力"],
            description="按姓名查找（精确，规范化后比较）: the member's full name, exactly, compared once "
            "normalised (full-width forms, white space and middle-dot variants do not matter). Only members "
            "you take part in are found.")] = None,
        page: Pg = 1,
        page_size: Size = 50,
    ) -> Page:
        listing = await usecases.list_cases(
            cases, actor_of(principal), problem_type=problem_type, status=status,
            opened_from=opened_from, opened_to=opened_to, registry_number=registry_number, name=name,
            page=page, page_size=page_size)
        return page_of(listing, page, page_size)

    @api.get("/cases/export", summary="Export the problem records of the listing (CSV or Excel)",
             response_class=StreamingResponse, responses=EXPORTED)
    async def export_cases(
        principal: CurrentPrincipal,
        file_format: Annotated[Format, Query(alias="format", description="csv or xlsx")] = "csv",
        problem_type: ProblemType | None = None,
        status: Literal["open", "closed"] | None = None,
        opened_from: datetime | None = None,
        opened_to: datetime | None = None,
        registry_number: Annotated[str | None, Query(max_length=32, description=AS_LISTED)] = None,
        name: Annotated[str | None, Query(min_length=1, max_length=64, description=AS_LISTED)] = None,
    ) -> StreamingResponse:
        """The members of the groups GET /v1/cases lists with the same filters, one row each
        (学籍号, 姓名, 学校代码, 问题类型, 处理状态, 是否需要仲裁, 期限, 问题组), shown as the case
        view shows them. More than 100 000 rows are refused (422 ``export_too_large``): narrow
        the filters."""
        export = await usecases.export_cases(
            cases, actor_of(principal), problem_type=problem_type, status=status, opened_from=opened_from,
            opened_to=opened_to, registry_number=registry_number, name=name)
        return await downloads.download(export, file_format)

    @api.get("/statistics", summary="Progress (限期消化处理): your division and those directly below it")
    async def statistics(
        principal: CurrentPrincipal,
        division: Annotated[str | None, Query(
            pattern=r"^[0-9A-Za-z]{6,20}$", examples=["110105"],
            description="A division (or school) within your jurisdiction; your own by default.")] = None,
    ) -> Statistics:
        """Problem records by type and stage, those overdue, and those cleared per week, for the
        division and each division directly below it, from counters kept as cases change
        (``pending_changes``: the changes not counted yet)."""
        return await usecases.read_statistics(cases, actor_of(principal), division)

    @api.get("/reviews", summary="Bureau: groups with requests awaiting your review")
    async def list_reviews(principal: CurrentPrincipal, page: Pg = 1, page_size: Size = 50) -> Page:
        listing = await usecases.list_reviews(cases, actor_of(principal), page, page_size)
        return page_of(listing, page, page_size)

    @api.get("/arbitrations", summary="Arbiter: groups awaiting your arbitration, or those you decided")
    async def list_arbitrations(
        principal: CurrentPrincipal, status: Literal["pending", "decided"] = "pending", page: Pg = 1,
        page_size: Size = 50,
    ) -> Page:
        listing = await usecases.list_arbitrations(cases, actor_of(principal), status, page, page_size)
        return page_of(listing, page, page_size)

    @api.get("/cases/{group_id}", summary="One group with the other members' masked brief information")
    async def get_case(group_id: UUID, principal: CurrentPrincipal) -> CaseView:
        return await usecases.view_case(cases, actor_of(principal), group_id)

    @api.get("/cases/{group_id}/history", summary="The group's audit trail: who did what, when and why")
    async def get_history(group_id: UUID, principal: CurrentPrincipal) -> list[HistoryEntry]:
        return await usecases.read_history(cases, actor_of(principal), group_id)

    @api.post(f"{MEMBER}/actions", summary="School: attest, amend or delete")
    async def submit(
        group_id: UUID, registry_number: RegistryNumber, body: ActionRequest, principal: CurrentPrincipal
    ) -> CaseView:
        return await usecases.submit_action(
            cases, actor_of(principal), group_id, registry_number, body.action,
            evidence_ids=tuple(body.evidence_ids), opinion=body.opinion, amendment=body.amendment,
            confirmed=body.confirm)

    @api.post(f"{MEMBER}/withdrawal", summary="School registrar: withdraw a request nobody has taken up yet")
    async def withdraw(
        group_id: UUID, registry_number: RegistryNumber, principal: CurrentPrincipal
    ) -> CaseView:
        return await usecases.withdraw_request(cases, actor_of(principal), group_id, registry_number)

    @api.post(f"{MEMBER}/deletion-decline", summary="School leader: decline a deletion request, giving why")
    async def decline(
        group_id: UUID, registry_number: RegistryNumber, body: Decline, principal: CurrentPrincipal
    ) -> CaseView:
        return await usecases.decline_deletion(
            cases, actor_of(principal), group_id, registry_number, body.reason)

    @api.post(f"{MEMBER}/deletion-confirmation", summary="School leader: confirm a deletion request")
    async def confirm_deletion(
        group_id: UUID, registry_number: RegistryNumber, principal: CurrentPrincipal
    ) -> CaseView:
        return await usecases.confirm_deletion(cases, actor_of(principal), group_id, registry_number)

    @api.post(f"{MEMBER}/review", summary="Bureau: approve or reject")
    async def review(
        group_id: UUID, registry_number: RegistryNumber, body: ReviewRequest, principal: CurrentPrincipal
    ) -> CaseView:
        return await usecases.review_request(
            cases, actor_of(principal), group_id, registry_number, body.decision, body.reason)

    @api.post("/cases/{group_id}/arbitration", summary="Arbiter: approve exactly one attestation")
    async def arbitrate(group_id: UUID, body: ArbitrationRequest, principal: CurrentPrincipal) -> CaseView:
        return await usecases.decide_arbitration(
            cases, actor_of(principal), group_id, body.approved_registry_number, body.reason)

    @api.post(
        f"{MEMBER}/reinitiation",
        summary="School: re-open handling of an attest-approved member (new one-member group)",
    )
    async def reinitiate(
        group_id: UUID, registry_number: RegistryNumber, body: Confirmation, principal: CurrentPrincipal
    ) -> CaseView:
        return await usecases.reinitiate_member(cases, actor_of(principal), group_id, registry_number,
                                                body.confirm)

    return api
