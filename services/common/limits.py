"""HTTP limits every service enforces before a route sees the request (README "HTTP limits").

- All request headers together: ``HTTP_MAX_HEADER_BYTES`` → 431 ``headers_too_large``.
- The body, per route: ``HTTP_MAX_BODY_BYTES`` for a JSON request, an upload route its files
  plus ``HTTP_UPLOAD_OVERHEAD_BYTES`` → 413 ``body_too_large``. A ``Content-Length`` over the
  limit is refused before the app runs; a body without one is counted as it streams and cut
  off at its first byte too many.
- The time a body may take to arrive after the request's head: ``HTTP_BODY_TIMEOUT_SECONDS``
  (``HTTP_UPLOAD_TIMEOUT_SECONDS`` for an upload) → 408 ``body_timeout``.

A pure ASGI middleware wrapping ``receive``, so it guards streaming handlers (the evidence
upload) as well as FastAPI's own body parsing. Once a body is refused, every further read
raises, so no handler takes a cut-off body for a whole one; whatever the app answers then
is replaced by the refusal, which is a problem document and never a 5xx.
"""

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import problem
from .settings import ServiceSettings

log = logging.getLogger(__name__)

# The routes whose body is an upload, by method and path. Every other route of every service
# takes a small JSON document (or nothing) and gets the JSON limits.
UPLOAD_ROUTES = frozenset({("POST", "/v1/evidence")})


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    timeout_seconds: float


@dataclass(frozen=True)
class Limits:
    header_bytes: int
    json: BodyLimit
    routes: Mapping[tuple[str, str], BodyLimit] = field(default_factory=dict)

    def body(self, method: str, path: str) -> BodyLimit:
        return self.routes.get((method, path.rstrip("/") or "/"), self.json)


def upload_bytes(settings: ServiceSettings) -> int | None:
    """An upload at its largest: the service's ``MAX_FILES_PER_UPLOAD`` × ``MAX_FILE_BYTES`` plus the
    multipart framing; None for a service whose settings take no files."""
    files, size = (getattr(settings, name, None) for name in ("MAX_FILES_PER_UPLOAD", "MAX_FILE_BYTES"))
    if not isinstance(files, int) or not isinstance(size, int):
        return None
    return files * size + settings.HTTP_UPLOAD_OVERHEAD_BYTES


def limits_of(settings: ServiceSettings) -> Limits:
    json = BodyLimit(settings.HTTP_MAX_BODY_BYTES, settings.HTTP_BODY_TIMEOUT_SECONDS)
    upload = upload_bytes(settings)
    if upload is None:
        return Limits(settings.HTTP_MAX_HEADER_BYTES, json)
    upload_limit = BodyLimit(upload, settings.HTTP_UPLOAD_TIMEOUT_SECONDS)
    return Limits(settings.HTTP_MAX_HEADER_BYTES, json, dict.fromkeys(UPLOAD_ROUTES, upload_limit))


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    title: str
    detail: str


def headers_too_large(limit: int) -> Refusal:
    return Refusal(431, "headers_too_large", "Request header fields too large",
                   f"all request headers together may be at most {limit} bytes")


def body_too_large(limit: int) -> Refusal:
    return Refusal(413, "body_too_large", "Request body too large",
                   f"the body of this request may be at most {limit} bytes")


def body_timeout(seconds: float) -> Refusal:
    return Refusal(408, "body_timeout", "Request body too slow",
                   f"the body of this request must arrive within {seconds:g} s")


class BodyRefused(Exception):
    """Raised to whoever reads a refused body; the middleware answers with the refusal."""


def header_bytes(headers: Iterable[tuple[bytes, bytes]]) -> int:
    """The headers' size as sent: ``name: value`` and the line break of each."""
    return sum(len(name) + len(value) + 4 for name, value in headers)


def content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def route_path(scope: Scope) -> str:
    path, root = str(scope["path"]), str(scope.get("root_path", ""))
    return path[len(root):] if root and path.startswith(root) else path


async def answer(refusal: Refusal, scope: Scope, receive: Receive, send: Send) -> None:
    # the path is not logged: it may carry a registry number
    log.info("request refused", extra={"code": refusal.code, "method": scope.get("method")})
    response = problem(refusal.status, refusal.code, refusal.title, refusal.detail)
    response.headers["Connection"] = "close"  # the rest of the request is never read
    await response(scope, receive, send)


class GuardedBody:
    """``receive`` that counts the body and keeps its deadline; it raises once either is passed."""

    def __init__(self, receive: Receive, limit: BodyLimit) -> None:
        self._receive, self.limit = receive, limit
        self.deadline = asyncio.get_running_loop().time() + limit.timeout_seconds
        self.received = 0
        self.complete = False
        self.refusal: Refusal | None = None

    async def receive(self) -> Message:
        if self.refusal is not None:
            raise BodyRefused(self.refusal.code)
        if self.complete:  # after the body only the disconnect comes, whenever it does
            return await self._receive()
        try:
            async with asyncio.timeout_at(self.deadline):
                message = await self._receive()
        except TimeoutError:
            raise self._refuse(body_timeout(self.limit.timeout_seconds)) from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit.max_bytes:
                raise self._refuse(body_too_large(self.limit.max_bytes))
            self.complete = not message.get("more_body", False)
        return message

    def _refuse(self, refusal: Refusal) -> BodyRefused:
        self.refusal = refusal
        return BodyRefused(refusal.code)


class HttpLimits:
    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        if header_bytes(headers) > self.limits.header_bytes:
            await answer(headers_too_large(self.limits.header_bytes), scope, receive, send)
            return
        limit = self.limits.body(scope["method"], route_path(scope))
        declared = content_length(headers)
        if declared is not None and declared > limit.max_bytes:
            await answer(body_too_large(limit.max_bytes), scope, receive, send)
            return
        body = GuardedBody(receive, limit)
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if body.refusal is not None and not started:
                return  # the app's own answer to a body it could not read: the refusal goes instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, body.receive, guarded_send)
        except Exception:
            if body.refusal is None:
                raise  # not ours: the app's error handling answers it
        if body.refusal is not None and not started:
            await answer(body.refusal, scope, receive, send)


def install_limits(app: FastAPI, settings: ServiceSettings) -> None:
    app.add_middleware(HttpLimits, limits=limits_of(settings))
