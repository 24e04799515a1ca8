"""Composition root of the notify service: ``xueji-notify``."""


import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.common.auth import verifier_from_settings
from services.common.deadletter import DeadLetters
from services.common.kafka import make_broker
from services.common.logs import configure_logging
from services.common.mongo import make_mongo_client
from services.common.problems import install_problem_handlers, problem
from services.common.service import build_app

from . import api
from .adapters.store import NotifyStore
from .adapters.webhooks import WebhookSender
from .handlers import SERVICE, register_handlers
from .settings import NotifySettings


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    dead_letters = DeadLetters(SERVICE)
    broker = make_broker(settings, SERVICE, dead_letters)
    mongo = make_mongo_client(settings, SERVICE)
    store = NotifyStore(mongo[settings.MONGO_DATABASE])
    http = httpx.AsyncClient(timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    sender = WebhookSender(http, settings.WEBHOOK_ATTEMPTS, settings.WEBHOOK_BACKOFF_SECONDS)
    register_handlers(broker, settings, store, sender, dead_letters)

    app = build_app(
        title="xueji notify",
        description="Inboxes and signed webhooks for every case event.",
        broker=broker,
        mongo=mongo,
        routers=[api.router(store, settings.PAGE_SIZE_MAX)],
        on_start=[store.ensure_indexes],
        on_stop=[http.aclose],
    )
    app.state.token_verifier = verifier_from_settings(settings)
    app.state.store = store
    install_problem_handlers(app)

    @app.exception_handler(api.NotFound)
    async def not_found(_: Request, error: api.NotFound) -> JSONResponse:
        return problem(404, "not_found", "Not found", f"no notification {error} in your inbox")

    return app


def run() -> None:
    settings = NotifySettings()
    configure_logging(SERVICE, settings.LOG_LEVEL)
    uvicorn.run(create_app(settings), host=settings.HTTP_HOST, port=settings.HTTP_PORT, log_config=None)
