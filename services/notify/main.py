"""Composition root of the notify service: ``xueji-notify``. It only names the parts."""

import httpx
from fastapi import FastAPI

from services.common.service import Plumbing, assemble
from services.common.service import run as run_service

from . import api
from .adapters.store import NotifyStore
from .adapters.webhooks import WebhookSender
from .handlers import SERVICE, register_handlers
from .settings import NotifySettings


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    plumbing = Plumbing(SERVICE, settings)
    store = NotifyStore(plumbing.db)
    http = httpx.AsyncClient(timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    sender = WebhookSender(http, settings.WEBHOOK_ATTEMPTS, settings.WEBHOOK_BACKOFF_SECONDS)
    return assemble(
        plumbing,
        title="xueji notify",
        description="Inboxes and signed webhooks for every case event.",
        subscribers=lambda: register_handlers(plumbing.broker, settings, store, sender,
                                              plumbing.dead_letters),
        routers=[api.router(store, settings.PAGE_SIZE_MAX)],
        on_start=[store.ensure_indexes],
        on_stop=[http.aclose],
        state={"store": store},
    )


def run() -> None:
    run_service(SERVICE, NotifySettings, create_app)
