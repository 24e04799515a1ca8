"""HTTP limits on a small app assembled like every service's: problem handlers, then the limits."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from services.common.limits import HttpLimits, install_limits, limits_of, upload_bytes
from services.common.problems import install_problem_handlers
from services.common.settings import ServiceSettings

KIB = 1024
JSON = {"Content-Type": "application/json"}


class UploadingSettings(ServiceSettings):
    """A service that takes files, as the evidence service's settings declare them."""

    MAX_FILE_BYTES: int = 2 * 1024 * KIB
    MAX_FILES_PER_UPLOAD: int = 3


class Note(BaseModel):
    text: str


def small_app(settings: ServiceSettings, seen: list[str]) -> FastAPI:
    """``seen`` records what the routes were handed: a whole body's size, or that they were called."""
    app = FastAPI()
    install_problem_handlers(app)
    install_limits(app, settings)

    @app.post("/v1/notes")
    async def note(body: Note) -> dict[str, int]:
        seen.append(f"note {len(body.text)}")
        return {"length": len(body.text)}

    @app.post("/v1/evidence")
    async def upload(request: Request) -> dict[str, int]:
        seen.append("upload called")
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        seen.append(f"upload {size}")
        return {"size": size}

    @app.post("/v1/careless")
    async def careless(request: Request) -> dict[str, int]:
        """A handler that swallows a failed read and answers 200 with what it got."""
        try:
            size = len(await request.body())
        except Exception:
            size = -1
        seen.append(f"careless {size}")
        return {"size": size}

    return app


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


async def chunks(count: int, size: int, sent: list[int]) -> AsyncIterator[bytes]:
    for _ in range(count):
        sent.append(size)
        yield b"x" * size


async def trickle(pause: float) -> AsyncIterator[bytes]:
    yield b'{"text": "'
    await asyncio.sleep(pause)
    yield b'slow"}'


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["connection"] == "close"
    assert response.json()["code"] == code


async def test_a_content_length_over_the_limit_is_refused_before_the_app_runs() -> None:
    calls: list[Scope] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope)

    limited = HttpLimits(inner, limits_of(ServiceSettings(HTTP_MAX_BODY_BYTES=100)))
    async with client(limited) as http:
        response = await http.post("/v1/notes", content=b"x" * 101)
    assert_problem(response, 413, "body_too_large")
    assert calls == []


async def test_a_json_body_within_the_limit_reaches_its_route() -> None:
    seen: list[str] = []
    async with client(small_app(ServiceSettings(), seen)) as http:
        response = await http.post("/v1/notes", json={"text": "好" * 1000})
    assert response.status_code == 200
    assert seen == ["note 1000"]


async def test_a_json_body_over_the_limit_is_a_413_problem() -> None:
    seen: list[str] = []
    async with client(small_app(ServiceSettings(), seen)) as http:
        response = await http.post("/v1/notes", json={"text": "x" * 64 * KIB})
    assert_problem(response, 413, "body_too_large")
    assert seen == []


async def test_a_chunked_body_is_cut_off_at_the_limit_and_never_read_to_the_end() -> None:
    seen: list[str] = []
    sent: list[int] = []
    async with client(small_app(ServiceSettings(HTTP_MAX_BODY_BYTES=10 * KIB), seen)) as http:
        response = await http.post("/v1/evidence", content=chunks(1000, KIB, sent))
    assert_problem(response, 413, "body_too_large")
    assert seen == ["upload called"]  # it streamed, and never saw the end of the body
    assert len(sent) == 11


async def test_a_handler_that_swallows_the_failed_read_still_answers_the_refusal() -> None:
    seen: list[str] = []
    sent: list[int] = []
    async with client(small_app(ServiceSettings(HTTP_MAX_BODY_BYTES=10 * KIB), seen)) as http:
        response = await http.post("/v1/careless", content=chunks(20, KIB, sent))
    assert_problem(response, 413, "body_too_large")
    assert seen == ["careless -1"]  # its read failed: it never had a cut-off body in hand


async def test_headers_over_the_limit_are_a_431_problem() -> None:
    seen: list[str] = []
    async with client(small_app(ServiceSettings(), seen)) as http:
        fine = await http.post("/v1/notes", json={"text": "a"}, headers={"Authorization": "a" * 8 * KIB})
        huge = await http.post("/v1/notes", json={"text": "a"}, headers={"Authorization": "a" * 13_000_000})
    assert fine.status_code == 200
    assert_problem(huge, 431, "headers_too_large")
    assert seen == ["note 1"]


async def test_a_body_slower_than_its_timeout_is_a_408_and_the_route_never_gets_it() -> None:
    seen: list[str] = []
    settings = ServiceSettings(HTTP_BODY_TIMEOUT_SECONDS=0.2)
    async with client(small_app(settings, seen)) as http:
        async with asyncio.timeout(5):
            response = await http.post("/v1/notes", content=trickle(30), headers=JSON)
            streamed = await http.post("/v1/evidence", content=trickle(30))
    assert_problem(response, 408, "body_timeout")
    assert_problem(streamed, 408, "body_timeout")
    assert seen == ["upload called"]


async def test_a_body_within_its_timeout_is_read_whole() -> None:
    seen: list[str] = []
    settings = ServiceSettings(HTTP_BODY_TIMEOUT_SECONDS=5)
    async with client(small_app(settings, seen)) as http:
        response = await http.post("/v1/notes", content=trickle(0.05), headers=JSON)
    assert response.status_code == 200
    assert seen == ["note 4"]


async def test_an_upload_has_its_own_timeout() -> None:
    seen: list[str] = []
    settings = UploadingSettings(HTTP_BODY_TIMEOUT_SECONDS=0.1, HTTP_UPLOAD_TIMEOUT_SECONDS=0.3)
    async with client(small_app(settings, seen)) as http:
        async with asyncio.timeout(5):
            in_time = await http.post("/v1/evidence", content=trickle(0.15))
            trickled = await http.post("/v1/evidence", content=trickle(30))
    assert in_time.json() == {"size": 16}
    assert_problem(trickled, 408, "body_timeout")
    assert seen == ["upload called", "upload 16", "upload called"]


def test_an_upload_is_bounded_by_its_files_plus_the_overhead() -> None:
    settings = UploadingSettings()
    assert upload_bytes(settings) == 3 * 2 * 1024 * KIB + 64 * KIB
    assert upload_bytes(ServiceSettings()) is None  # a service that takes no files
    limits = limits_of(settings)
    assert limits.body("POST", "/v1/evidence").max_bytes == upload_bytes(settings)
    assert limits.body("POST", "/v1/evidence").timeout_seconds == 60
    assert limits.body("POST", "/v1/notes").max_bytes == 64 * KIB
    assert limits.body("POST", "/v1/notes").timeout_seconds == 15
    assert limits_of(ServiceSettings()).body("POST", "/v1/evidence").max_bytes == 64 * KIB


async def test_an_upload_within_its_larger_limit_passes_whole_and_one_over_it_does_not() -> None:
    seen: list[str] = []
    settings = UploadingSettings()
    limit = upload_bytes(settings) or 0
    sent: list[int] = []
    async with client(small_app(settings, seen)) as http:
        declared = await http.post("/v1/evidence", content=b"x" * limit)
        streamed = await http.post("/v1/evidence", content=chunks(5 * 1024, KIB, sent))
        over = await http.post("/v1/evidence", content=b"x" * (limit + 1))
    assert declared.json() == {"size": limit} and streamed.json() == {"size": 5 * 1024 * KIB}
    assert_problem(over, 413, "body_too_large")
    assert seen == ["upload called", f"upload {limit}", "upload called", f"upload {5 * 1024 * KIB}"]


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_a_route_that_reads_no_body_is_still_refused_a_large_one(method: str) -> None:
    seen: list[str] = []
    async with client(small_app(ServiceSettings(), seen)) as http:
        response = await http.request(method, "/v1/notes", content=b"x" * (64 * KIB + 1))
    assert_problem(response, 413, "body_too_large")
