"""In-memory ports of the evidence service, for use-case and subscriber tests without S3 or database."""

import copy
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any
from uuid import UUID

import httpx
from xueji_contracts.cases import CaseMember
from xueji_contracts.problems import MemberBrief

from services.common.outbox import Entry, Written
from services.evidence.ports import ObjectVersion, Parts
from services.evidence.settings import EvidenceSettings

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
Doc = dict[str, Any]


@cache
def fake_settings() -> EvidenceSettings:
    return EvidenceSettings(ENVIRONMENT="test")


def member_ref(registry_number: str) -> str:
    """What the service keeps a member under."""
    return fake_settings().member_ref(registry_number)


class FakeObjects:
    """Objects by (bucket, key), every version kept, like a versioned bucket; a version is written
    at ``now`` (a test moves it to write older objects)."""

    def __init__(self) -> None:
        self.buckets: set[str] = set()
        self.versions: dict[tuple[str, str], list[tuple[str, bytes, dict[str, str]]]] = {}
        self.written_at: dict[tuple[str, str, str], datetime] = {}
        self.now = NOW

    async def ensure_bucket(self, bucket: str) -> None:
        self.buckets.add(bucket)

    async def put(
        self, bucket: str, key: str, data: bytes, content_type: str, metadata: dict[str, str]
    ) -> str | None:
        versions = self.versions.setdefault((bucket, key), [])
        versions.append((f"v{len(versions) + 1}", data, metadata))
        self.written_at[(bucket, key, versions[-1][0])] = self.now
        return versions[-1][0]

    async def versions_before(self, bucket: str, before: datetime) -> list[ObjectVersion]:
        return [ObjectVersion(key, version, at) for (b, key), versions in self.versions.items() if b == bucket
                for version, _, _ in versions if (at := self.written_at[(b, key, version)]) < before]

    async def remove_version(self, bucket: str, key: str, version_id: str | None) -> None:
        self.versions[(bucket, key)] = [v for v in self.versions[(bucket, key)] if v[0] != version_id]

    async def link(self, bucket: str, key: str, seconds: int) -> str:
        return f"https://s3.test/{bucket}/{key}?expires={seconds}"

    def count(self) -> int:
        return sum(len(v) for v in self.versions.values())


class FakeRecords:
    def __init__(self) -> None:
        self.cases: dict[UUID, Doc] = {}
        self.evidence: dict[str, Doc] = {}
        self.links: list[Doc] = []
        self.bulk_writes = 0
        self.before_write: Callable[[], Awaitable[None]] | None = None  # another writer, read to write

    async def learn_members(self, group_id: UUID, members: dict[str, Doc], forget: list[str]) -> None:
        known = self.cases.setdefault(group_id, {}).setdefault("members", {})
        if any(rn not in known for rn in forget):  # replaced meanwhile by a membership event
            return
        for rn in forget:
            known.pop(rn, None)
        known.update(members)

    async def case(self, group_id: UUID) -> Doc | None:
        return json.loads(json.dumps(self.cases[group_id], default=str)) if group_id in self.cases else None

    async def cases_of(self, group_ids: list[UUID]) -> dict[UUID, Doc]:
        return {g: copy.deepcopy(self.cases[g]) for g in group_ids if g in self.cases}

    async def write_cases(self, writes: list[tuple[UUID, Doc | None, Doc]]) -> set[UUID]:
        if self.before_write is not None:
            await self.before_write()
        self.bulk_writes += 1
        changed = set()
        for group_id, read, case in writes:
            now = self.cases.get(group_id, {})
            if any(now.get(name) != (read or {}).get(name) for name in ("members_at", "arbiter_code")):
                changed.add(group_id)
                continue
            self.cases[group_id] = {**now, **copy.deepcopy(case)}
        return changed

    async def add(self, record: Doc, entries: list[Entry]) -> bool:
        if record["_id"] in self.evidence:
            return False
        self.evidence[record["_id"]] = {**record, "outbox": entries}
        return True

    async def get(self, evidence_id: UUID) -> Doc | None:
        return self.evidence.get(str(evidence_id))

    async def recorded_keys(self, bucket: str, keys: list[str]) -> set[str]:
        named = {(r["bucket"], r["key"]) for r in self.evidence.values()}
        return {key for key in keys if (bucket, key) in named}

    async def audit_link(
        self, evidence_id: UUID, subject: str, role: str, organisation: str, seconds: int
    ) -> None:
        self.links.append({"evidence_id": str(evidence_id), "subject": subject, "role": role,
                           "organisation_code": organisation, "expires_in_seconds": seconds})


class RecordingPublisher:
    def __init__(self) -> None:
        self.written: Written = []

    async def publish(self, written: Written) -> None:
        self.written += written

    def events(self) -> list[Doc]:
        return [json.loads(e["payload"]) for _, _, entries in self.written for e in entries]


def case_members(*briefs: MemberBrief) -> tuple[CaseMember, ...]:
    """The members as a case event names them: by member_ref, with their briefs."""
    return tuple(CaseMember(member_ref=member_ref(b.registry_number), school_code=b.school_code,
                            district_code=b.district_code, province_code=b.province_code, brief=b)
                 for b in briefs)


def fake_parts(settings: EvidenceSettings | None = None) -> tuple[Parts, FakeObjects, FakeRecords,
                                                                  RecordingPublisher]:
    objects, records, published = FakeObjects(), FakeRecords(), RecordingPublisher()
    parts = Parts(settings or fake_settings(), objects, records, published, lambda: NOW)
    return parts, objects, records, published


def form(*files: tuple[str, bytes], field: str = "files", data: dict[str, str] | None = None
         ) -> tuple[dict[str, str], bytes]:
    """The headers and whole body of a multipart form of ``files`` (under ``field``) and ``data``."""
    request = httpx.Request("POST", "http://evidence", files=[(field, f) for f in files], data=data)
    return dict(request.headers), request.read()


async def chunked(body: bytes, size: int = 100) -> AsyncIterator[bytes]:
    """``body`` as it streams in, ``size`` bytes at a time."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def multipart(*files: tuple[str, bytes]) -> tuple[dict[str, str], AsyncIterator[bytes]]:
    """The headers and streamed body of a multipart upload of ``files`` (in small chunks)."""
    headers, body = form(*files)
    return headers, chunked(body)
