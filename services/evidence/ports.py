"""What the evidence use cases need from outside, as protocols: ``adapters/`` and the shared
outbox relay implement them, and the unit tests hand in fakes."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from services.common.clock import Clock as Clock
from services.common.clock import utc_now as utc_now
from services.common.outbox import Entry, Written

from .settings import EvidenceSettings

Doc = dict[str, Any]


@dataclass(frozen=True)
class ObjectVersion:
    """One stored version of an object: its key, its version id and when it was written."""

    key: str
    version_id: str | None
    written_at: datetime


class ObjectStore(Protocol):
    async def ensure_bucket(self, bucket: str) -> None:
        """The bucket exists and keeps every version."""

    async def put(
        self, bucket: str, key: str, data: bytes, content_type: str, metadata: dict[str, str]
    ) -> str | None:
        """Store a new version of the object; its version id."""

    async def remove_version(self, bucket: str, key: str, version_id: str | None) -> None:
        """Delete one version for good."""

    async def link(self, bucket: str, key: str, seconds: int) -> str:
        """A presigned download link valid for ``seconds``."""

    async def versions_before(self, bucket: str, before: datetime) -> list[ObjectVersion]:
        """Every version in the bucket written before ``before`` (none when there is no bucket)."""


class RecordStore(Protocol):
    async def learn_members(self, group_id: UUID, members: dict[str, Doc], forget: list[str]) -> None:
        """Remember where members of the group sit, by ``member_ref``. With ``forget`` (registry
        numbers the members were kept under before), only while those entries are still kept: the
        entries move to ``members``."""

    async def case(self, group_id: UUID) -> Doc | None:
        """What is known of the group: ``members`` by member_ref and ``arbiter_code``."""

    async def cases_of(self, group_ids: list[UUID]) -> dict[UUID, Doc]:
        """What is known of each group that anything is known of, as ``case`` gives it."""

    async def write_cases(self, writes: list[tuple[UUID, Doc | None, Doc]]) -> set[UUID]:
        """Write each case (group, as read, new), only while it is as read (None: nothing known);
        return the groups another writer changed meanwhile, left unwritten."""

    async def add(self, record: Doc, entries: list[Entry]) -> bool:
        """Store a new record with its outbox entries; False when it exists already."""

    async def get(self, evidence_id: UUID) -> Doc | None:
        """One evidence record."""

    async def recorded_keys(self, bucket: str, keys: list[str]) -> set[str]:
        """Those of ``keys`` in ``bucket`` that an evidence record names."""

    async def audit_link(
        self, evidence_id: UUID, subject: str, role: str, organisation: str, seconds: int
    ) -> None:
        """Record who was given a link to which file."""


class Publisher(Protocol):
    async def publish(self, written: Written) -> None:
        """Publish the outbox entries of documents written at the given versions."""


@dataclass(frozen=True)
class Parts:
    """Everything the evidence use cases reach: real adapters in ``main``, fakes in tests."""

    settings: EvidenceSettings
    objects: ObjectStore
    records: RecordStore
    publisher: Publisher
    clock: Clock = field(default=utc_now)
