"""The inbox API: each caller reads the notifications of its organisation and role, and marks
them read; another organisation's or role's entry is answered as unknown (404). Operators also
see the webhook delivery jobs (``/v1/deliveries``)."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from xueji_contracts.enums import Role

from services.common.auth import CurrentPrincipal
from services.common.clock import utc_now
from services.common.errors import OutsideJurisdiction
from services.common.problems import PROBLEM_RESPONSES

from . import usecases
from .adapters.jobs import JobStore
from .ports import NotifyStore


class Notification(BaseModel):
    id: str
    what: str
    event_type: str
    group_id: str | None
    at: datetime
    read: bool


class InboxPage(BaseModel):
    has_more: bool
    items: list[Notification]


def router(store: NotifyStore, page_size_max: int) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["inbox"], responses=PROBLEM_RESPONSES)

    @api.get("/inbox", summary="Your notifications (your organisation's, for your role), newest first")
    async def inbox(
        principal: CurrentPrincipal,
        unread: bool = False,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=page_size_max)] = 50,
    ) -> InboxPage:
        has_more, docs = await usecases.read_inbox(store, principal, unread, page, page_size)
        return InboxPage(has_more=has_more, items=[Notification(id=d["_id"], **d) for d in docs])

    @api.post("/inbox/{entry_id}/read", summary="Mark one of your notifications read", status_code=204)
    async def mark_read(entry_id: str, principal: CurrentPrincipal) -> None:
        await usecases.mark_read(store, principal, entry_id)

    return api


class EndpointSummary(BaseModel):
    endpoint: str = Field(description="The province whose system the webhook is.")
    queued: int
    in_flight: int
    delivered: int
    parked: int
    oldest_waiting_seconds: float
    circuit: Literal["closed", "open", "half_open"]
    circuit_open_until: datetime | None = None


class DeliveryJob(BaseModel):
    id: str
    endpoint: str
    event_id: str
    group_id: str
    sequence: int | None = None
    state: Literal["queued", "in_flight", "delivered", "parked"]
    attempts: int
    queued_at: datetime
    next_at: datetime | None = None
    delivered_at: datetime | None = None
    parked_at: datetime | None = None
    last_reason: str | None = None


class Deliveries(BaseModel):
    endpoints: list[EndpointSummary]
    has_more: bool
    jobs: list[DeliveryJob]


def deliveries_router(jobs: JobStore, page_size_max: int) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["deliveries"], responses=PROBLEM_RESPONSES)

    @api.get("/deliveries", summary="Operators: webhook delivery jobs by endpoint and state")
    async def deliveries(
        principal: CurrentPrincipal,
        endpoint: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        state: Literal["queued", "in_flight", "delivered", "parked"] | None = None,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=page_size_max)] = 50,
    ) -> Deliveries:
        if principal.role is not Role.OPERATOR:
            raise OutsideJurisdiction("only platform operators see webhook deliveries")
        now = utc_now()
        has_more, docs = await jobs.list_jobs(endpoint, state, (page - 1) * page_size, page_size)
        return Deliveries(endpoints=[EndpointSummary.model_validate(r) for r in await jobs.summary(now)],
                          has_more=has_more,
                          jobs=[DeliveryJob.model_validate({**d, "id": d["_id"]}) for d in docs])

    return api
