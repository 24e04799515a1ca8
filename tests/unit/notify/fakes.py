"""In-memory ports of the notify service, for use-case and subscriber tests without broker or database."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from xueji_contracts.enums import Role

from services.notify.domain.delivery import Webhook
from services.notify.domain.recipients import Members, Recipient
from services.notify.ports import NewJob, Parts

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SECRET = b"beijing-webhook-secret"
HOOK = Webhook("110000", "https://beijing.test/hook", SECRET)
Doc = dict[str, Any]


class FakeNotifyStore:
    def __init__(self) -> None:
        self.groups: dict[str, Members] = {}
        self.inbox: dict[str, Doc] = {}  # by entry id, in the order written
        self.digests: set[str] = set()

    async def learn_members(self, learnt: Mapping[str, Members]) -> None:
        for group_id, members in learnt.items():
            self.groups.setdefault(group_id, {}).update(members)

    async def members(self, group_ids: Sequence[str]) -> dict[str, Members]:
        return {g: dict(self.groups[g]) for g in group_ids if g in self.groups}

    async def deliver_to_inbox(self, entries: Sequence[tuple[Doc, list[Recipient]]], at: datetime) -> None:
        for event, recipients in entries:
            for r in recipients:
                entry_id = r.entry_id(event["event_id"])
                self.inbox.setdefault(entry_id, {
                    "_id": entry_id, "organisation_code": r.organisation_code, "role": r.role.value,
                    "what": r.what, "event_type": event["event_type"], "group_id": event.get("group_id"),
                    "event_id": event["event_id"], "at": at, "read": False})

    async def list_inbox(
        self, organisation: str, role: Role, unread_only: bool, offset: int, limit: int
    ) -> tuple[bool, list[Doc]]:
        docs = [d for d in reversed(self.inbox.values()) if _owned(d, organisation, role)
                and not (unread_only and d["read"])]
        return len(docs) > offset + limit, docs[offset : offset + limit]

    async def mark_read(self, organisation: str, role: Role, entry_id: str) -> bool:
        doc = self.inbox.get(entry_id)
        if doc is None or not _owned(doc, organisation, role):
            return False
        doc["read"] = True
        return True

    async def claim_digest(self, claim: str, at: datetime) -> bool:
        if claim in self.digests:
            return False
        self.digests.add(claim)
        return True

    async def release_digest(self, claim: str) -> None:
        self.digests.discard(claim)

    def entries_of(self, organisation: str, role: Role = Role.SCHOOL_REGISTRAR) -> list[Doc]:
        return [d for d in self.inbox.values() if _owned(d, organisation, role)]


def _owned(entry: Doc, organisation: str, role: Role) -> bool:
    """As the real store: an entry without a role (written before roles) belongs to nobody."""
    return entry["organisation_code"] == organisation and entry.get("role") == role.value


class FakeJobs:
    """The delivery jobs queued, once per endpoint and event (what ``JobStore.enqueue`` keeps)."""

    def __init__(self) -> None:
        self.queued: dict[str, Doc] = {}

    async def enqueue(self, jobs: Sequence[NewJob], now: datetime) -> None:
        for j in jobs:
            self.queued.setdefault(f"{j.endpoint}:{j.event_id}", {
                "endpoint": j.endpoint, "event_id": j.event_id, "group_id": j.group_id, "body": j.body,
                "partition": j.partition, "offset": j.offset, "sequence": j.sequence, "queued_at": now})


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[BaseModel, str, str]] = []

    async def publish(self, event: BaseModel, topic: str, key: str) -> None:
        self.published.append((event, topic, key))


class FakeMailer:
    def __init__(self) -> None:
        self.mails: list[tuple[str, str, str]] = []
        self.down = False

    async def send(self, to: str, subject: str, body: str) -> bool:
        if self.down:
            return False
        self.mails.append((to, subject, body))
        return True


def fake_parts() -> tuple[Parts, FakeNotifyStore, FakeJobs, list[str]]:
    """The parts, the store, the jobs queued, and the endpoints whose sender was woken."""
    store, jobs, woken = FakeNotifyStore(), FakeJobs(), list[str]()
    parts = Parts(store, jobs, RecordingPublisher(), {"110000": HOOK}, lambda: NOW, wake=woken.append)
    return parts, store, jobs, woken
