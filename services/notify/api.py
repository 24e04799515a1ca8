"""The inbox API: each caller reads the notifications of its organisation and role, and marks
them read; another organisation's or role's entry is answered as unknown (404)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.common.auth import CurrentPrincipal
from services.common.problems import PROBLEM_RESPONSES

from . import usecases
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
