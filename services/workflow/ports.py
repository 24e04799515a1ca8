"""What the workflow's use cases need from outside, as protocols: ``adapters/`` and the shared
plumbing implement them, and the unit tests hand in fakes.

Listings pass the store two query documents: the caller's jurisdiction (``scope``) and the
filters; their fields are the indexed listing fields the store derives at each write.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from xueji_contracts.evidence import EvidenceStored

from services.common.clock import Clock as Clock
from services.common.outbox import Entry, Written

from .domain.case import AuditEntry, Case
from .domain.statistics import DivisionCounts
from .domain.views import EvidenceFile

Query = dict[str, Any]


class CaseStore(Protocol):
    async def load(self, group_id: UUID) -> tuple[Case, list[Entry]] | None:
        """The case at its stored version, and the outbox entries a crashed writer left behind."""

    async def insert(self, new: list[tuple[Case, list[Entry], list[AuditEntry]]]) -> set[int]:
        """New cases in one write; the positions of those stored (the others exist already)."""

    async def save(self, case: Case, entries: list[Entry], audit: list[AuditEntry]) -> bool:
        """Write the case at the version it was read; False when someone else wrote first."""

    async def find(
        self, scope: Query | None, filters: Query, offset: int, limit: int
    ) -> tuple[bool, list[Case]]:
        """A page of cases, newest first, and whether more follow."""

    def batches(self, scope: Query | None, filters: Query, size: int) -> AsyncIterator[list[Case]]:
        """Every matching case, newest first, ``size`` at a time (never the whole result at once)."""

    async def count_members(self, scope: Query | None, filters: Query, cases_at_most: int) -> int:
        """How many members the matching cases hold, looking at no more than ``cases_at_most`` cases."""

    async def due(self, now: datetime, limit: int = 100) -> list[UUID]:
        """Groups with a deadline timer to fire by ``now``."""

    async def history(self, group_id: UUID) -> list[AuditEntry]:
        """The group's audit trail, oldest first."""

    async def add_evidence(self, event: EvidenceStored, member_ref: str) -> None:
        """Remember evidence stored for a member, with what its reviewer is shown (idempotent)."""

    async def evidence_of(self, group_id: UUID, member_ref: str) -> frozenset[UUID]:
        """The evidence stored for a member so far."""

    async def evidence_files(self, evidence_ids: set[UUID]) -> dict[UUID, EvidenceFile]:
        """What is known of these evidence files (those not heard of yet are missing)."""


class Progress(Protocol):
    """The progress counters (``domain/progress.py``): each case's tally, applied once per version."""

    async def project(self, group_id: UUID) -> None:
        """Bring the counters up to the case's stored version (idempotent; safe to repeat)."""

    async def division(self, code: str) -> DivisionCounts | None:
        """One division's counters; None when no problem record has reached it."""

    async def children(self, code: str) -> list[DivisionCounts]:
        """The counters of the divisions directly below ``code``."""

    async def pending(self) -> int:
        """How many cases have changes not yet counted."""


class Publisher(Protocol):
    async def publish(self, written: Written) -> None:
        """Publish the outbox entries of documents written at the given versions."""
