"""The inbox API: each organisation reads its own notifications and marks them read."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.common.auth import CurrentPrincipal
from services.common.errors import NotFound
from services.common.problems import PROBLEM_RESPONSES

from .adapters.store import NotifyStore


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

    @api.get("/inbox", summary="Your organisation's notifications, newest first")
    async def inbox(
        principal: CurrentPrincipal,
        unread: bool = False,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=page_size_max)] = 50,
    ) -> InboxPage:
        has_more, docs = await store.list_inbox(
            principal.organisation_code, unread, (page - 1) * page_size, page_size
        )
        return InboxPage(has_more=has_more, items=[Notification(id=d["_id"], **d) for d in docs])

    @api.post("/inbox/{entry_id}/read", summary="Mark one of your notifications read", status_code=204)
    async def mark_read(entry_id: str, principal: CurrentPrincipal) -> None:
        if not await store.mark_read(principal.organisation_code, entry_id):
            # another organisation's entry is as unknown as a missing one
            raise NotFound(f"no notification {entry_id} in your inbox")

    return api
