"""What the notify use cases need from outside, as protocols: ``adapters/`` and the shared
dead-letter path implement them, and the unit tests hand in fakes."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel
from xueji_contracts.enums import Role

from services.common.clock import Clock as Clock
from services.common.clock import utc_now as utc_now

from .domain.delivery import Webhook
from .domain.recipients import Members, Recipient

Doc = dict[str, Any]


class NotifyStore(Protocol):
    async def learn_members(self, learnt: Mapping[str, Members]) -> None:
        """Remember where the groups' members sit (by group; added to what is known)."""

    async def members(self, group_ids: Sequence[str]) -> dict[str, Members]:
        """The groups' members as learnt so far (a group nothing is known of is left out)."""

    async def deliver_to_inbox(self, entries: Sequence[tuple[Doc, list[Recipient]]], at: datetime) -> None:
        """One inbox entry per event and recipient (organisation and role), whoever writes it first."""

    async def list_inbox(
        self, organisation: str, role: Role, unread_only: bool, offset: int, limit: int
    ) -> tuple[bool, list[Doc]]:
        """A page of the inbox of an organisation's role, newest first, and whether more follow."""

    async def mark_read(self, organisation: str, role: Role, entry_id: str) -> bool:
        """False when that role of the organisation has no such entry (nothing is changed)."""

    async def claim_digest(self, claim: str, at: datetime) -> bool:
        """Take the day's digest of an organisation; False when another run took it."""

    async def release_digest(self, claim: str) -> None:
        """Give a claim back, so the next run tries again."""


@dataclass(frozen=True)
class NewJob:
    """An event's delivery job for an endpoint: its exact bytes, and its place on its topic."""

    endpoint: str
    event_id: str
    group_id: str
    body: bytes
    partition: int
    offset: int
    sequence: int | None


class DeliveryJobs(Protocol):
    async def enqueue(self, jobs: Sequence[NewJob], now: datetime) -> None:
        """Each event's delivery job for its endpoint, once (a redelivered event leaves it as it is)."""


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> bool:
        """Send a plain-text mail; False when the server did not take it."""


class Publisher(Protocol):
    async def publish(self, event: BaseModel, topic: str, key: str) -> None:
        """Publish one event."""


@dataclass(frozen=True)
class Parts:
    """Everything the case-event use cases reach: real adapters in ``main``, fakes in tests."""

    store: NotifyStore
    jobs: DeliveryJobs
    publisher: Publisher
    webhooks: Mapping[str, Webhook] = field(default_factory=dict)  # by province
    clock: Clock = field(default=utc_now)
    wake: Callable[[str], None] = field(default=lambda endpoint: None)  # its sender: a job is queued
