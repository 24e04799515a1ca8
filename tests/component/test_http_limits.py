"""HTTP limits on every service's real app, built by ``create_app(settings)`` and called without a
server (its lifespan, which needs Kafka and MongoDB, is not run; no request here gets that far)."""

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from services.common.limits import HttpLimits, upload_bytes
from services.dedup.main import create_app as dedup_app
from services.dedup.settings import DedupSettings
from services.evidence.main import create_app as evidence_app
from services.evidence.settings import EvidenceSettings
from services.notify.main import create_app as notify_app
from services.notify.settings import NotifySettings
from services.workflow.main import create_app as workflow_app
from services.workflow.settings import WorkflowSettings

KIB = 1024
JSON_LIMIT = 64 * KIB
JSON = {"Content-Type": "application/json"}
ARBITRATION = f"/v1/cases/{uuid4()}/arbitration"
UPLOAD = f"/v1/evidence?group_id={uuid4()}&registry_number=G110105201001010011"
Build = Callable[..., FastAPI]
# each service, and a route of it that takes a POST (dedup has none on its API port: the limits
# are checked before routing all the same)
SERVICES: dict[str, tuple[Build, type[Any], str]] = {
    "dedup": (dedup_app, DedupSettings, "/v1/nothing"),
    "workflow": (workflow_app, WorkflowSettings, ARBITRATION),
    "evidence": (evidence_app, EvidenceSettings, f"/v1/evidence/{uuid4()}/link"),
    "notify": (notify_app, NotifySettings, "/v1/inbox/entry-1/read"),
}


def client(build: Build, settings_type: type[Any], keys: Path, **settings: Any) -> httpx.AsyncClient:
    app = build(settings_type(ENVIRONMENT="test", JWT_LOCAL_KEY_DIR=keys, **settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


async def trickle(pause: float) -> AsyncIterator[bytes]:
    yield b'{"approved_registry_number": "'
    await asyncio.sleep(pause)
    yield b'G110105201001010011", "reason": "slow"}'


@pytest.mark.parametrize("service", SERVICES)
def test_assemble_installs_the_limits_in_every_service(service: str, tmp_path: Path) -> None:
    build, settings_type, _ = SERVICES[service]
    app = build(settings_type(ENVIRONMENT="test", JWT_LOCAL_KEY_DIR=tmp_path))
    installed: list[object] = [m.cls for m in app.user_middleware]
    assert installed.count(HttpLimits) == 1


@pytest.mark.parametrize("service", SERVICES)
async def test_every_service_refuses_a_declared_body_over_the_json_limit_and_huge_headers(
    service: str, tmp_path: Path
) -> None:
    build, settings_type, path = SERVICES[service]
    async with client(build, settings_type, tmp_path) as http:
        large = await http.post(path, content=b"x" * (JSON_LIMIT + 1))
        headers = await http.post(path, json={}, headers={"Authorization": "Bearer " + "a" * 13_000_000})
    assert_refused(large, 413, "body_too_large")
    assert_refused(headers, 431, "headers_too_large")


async def test_the_workflow_cuts_off_a_chunked_body_and_answers_a_slow_one_408(tmp_path: Path) -> None:
    build, settings_type, _ = SERVICES["workflow"]
    async with client(build, settings_type, tmp_path, HTTP_BODY_TIMEOUT_SECONDS=0.2) as http:
        within = await http.post(ARBITRATION, json={"approved_registry_number": "G110105201001010011"})
        chunked = await http.post(ARBITRATION, content=chunks(100, KIB), headers=JSON)
        async with asyncio.timeout(5):
            slow = await http.post(ARBITRATION, content=trickle(30), headers=JSON)
    assert within.status_code == 401  # within the limits: the route itself answers (no token)
    assert_refused(chunked, 413, "body_too_large")
    assert_refused(slow, 408, "body_timeout")


async def test_an_evidence_upload_within_its_larger_limit_passes_the_limits(tmp_path: Path) -> None:
    settings = EvidenceSettings(ENVIRONMENT="test", JWT_LOCAL_KEY_DIR=tmp_path)
    limit = upload_bytes(settings)
    assert limit == settings.MAX_FILES_PER_UPLOAD * settings.MAX_FILE_BYTES + 64 * KIB
    three_megabytes = b"x" * (3 * 1024 * KIB)
    link = SERVICES["evidence"][2]
    async with client(evidence_app, EvidenceSettings, tmp_path) as http:
        declared = await http.post(UPLOAD, content=three_megabytes)
        streamed = await http.post(UPLOAD, content=chunks(3 * 1024, KIB))
        over = await http.post(UPLOAD, content=b"x" * (limit + 1))
        not_an_upload = await http.post(link, content=three_megabytes)
    for passed in (declared, streamed):  # the route answered: no token
        assert_refused(passed, 401, "unauthenticated")
    assert_refused(over, 413, "body_too_large")
    assert_refused(not_an_upload, 413, "body_too_large")


@pytest.mark.parametrize("service", SERVICES)
async def test_no_refusal_of_the_limits_is_a_5xx(service: str, tmp_path: Path) -> None:
    build, settings_type, path = SERVICES[service]
    async with client(build, settings_type, tmp_path, HTTP_BODY_TIMEOUT_SECONDS=0.2,
                      HTTP_UPLOAD_TIMEOUT_SECONDS=0.2) as http:
        async with asyncio.timeout(10):
            answers = [
                await http.post(path, content=b"x" * (JSON_LIMIT + 1)),
                await http.post(path, content=chunks(100, KIB)),
                await http.post(path, content=trickle(30), headers=JSON),
                await http.post(path, headers={"X-Filler": "a" * 17 * KIB}),
                await http.post(UPLOAD, content=chunks(30 * 1024, KIB)),
            ]
    assert all(answer.status_code < 500 for answer in answers), [a.status_code for a in answers]
