"""Composition root of the console: ``xueji-console`` (port 8006). It only names the parts.

It owns no database and no topic: a FastAPI app of server-rendered pages over the
workflow, evidence and notify APIs, with its health and metrics on a management port like every
service (9006 locally).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from services.common.auth import verifier_from_settings
from services.common.http import install_management, serve
from services.common.logs import configure_logging
from services.common.metrics import instrument_http

from . import wording
from .client import Api, Refused
from .settings import ConsoleSettings
from .web import Console, CsrfRefused, SignInNeeded, router

SERVICE = "xueji-console"
STATIC = Path(__file__).parent / "static"


def create_app(settings: ConsoleSettings | None = None, transport: httpx.AsyncBaseTransport | None = None
               ) -> FastAPI:
    settings = settings or ConsoleSettings()
    api = Api(settings.WORKFLOW_URL, settings.EVIDENCE_URL, settings.NOTIFY_URL,
              settings.CONSOLE_API_TIMEOUT_SECONDS, transport)
    console = Console(settings, api, verifier_from_settings(settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await api.close()

    async def workflow_ready() -> bool:
        answer = await api.workflow.get(f"{settings.WORKFLOW_MANAGEMENT_URL}/healthz", timeout=2)
        return answer.status_code == 200

    app = FastAPI(title="xueji console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    install_management(app, {"workflow": workflow_ready}, documented=False)  # its pages have no API document
    instrument_http(app)
    app.include_router(router(console))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.console = console

    def error_page(request: Request, status: int, text: str) -> HTMLResponse:
        return console.render(console.context(request), "error.html", status=status, error=text)

    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(request: Request, _: Exception) -> Response:
        if settings.is_development:
            return RedirectResponse("/signin", status_code=303)
        return console.render(console.context(request), "signed_out.html", status=401)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _: Exception) -> Response:
        return error_page(request, 403, "页面已过期或来源不明（缺少校验码），请刷新页面后重试。")

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, Refused)  # noqa: S101 — registered for Refused only
        if error.status == 401:
            return await sign_in_needed(request, error)
        return error_page(request, error.status, wording.problem_text(error))

    @app.exception_handler(httpx.HTTPError)
    async def unavailable(request: Request, _: Exception) -> Response:
        return error_page(request, 503, "服务暂时不可用，请稍后再试。")

    return app


def run() -> None:
    settings = ConsoleSettings()
    configure_logging(SERVICE, settings.LOG_LEVEL)
    serve(create_app(settings), settings)
