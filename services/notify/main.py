"""Composition root of the notify service: ``xueji-notify``. It only names the parts."""

from datetime import datetime

import httpx
from fastapi import FastAPI

from services.common.service import Plumbing, assemble
from services.common.service import run as run_service

from . import api, usecases
from .adapters.mail import SmtpMailer
from .adapters.publisher import BrokerPublisher
from .adapters.store import NotifyStore
from .adapters.webhooks import WebhookSender
from .handlers import register_handlers
from .ports import Parts
from .settings import NotifySettings

SERVICE = "xueji-notify"


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    plumbing = Plumbing(SERVICE, settings, "Inboxes and signed webhooks for every case event.")
    store = NotifyStore(plumbing.db)
    http = httpx.AsyncClient(timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    sender = WebhookSender(http, settings.WEBHOOK_ATTEMPTS, settings.WEBHOOK_BACKOFF_SECONDS)
    parts = Parts(store, sender, plumbing.dead_letters, BrokerPublisher(plumbing.broker), settings.webhooks())
    return assemble(
        plumbing, subscribers=lambda: register_handlers(plumbing.broker, settings, parts),
        routers=[api.router(store, settings.PAGE_SIZE_MAX)],
        on_start=[store.ensure_indexes],
        on_stop=[http.aclose],
        state={"store": store},
    )


async def send_digests(settings: NotifySettings, store: NotifyStore, now: datetime) -> int:
    """Today's digests over the SMTP server of the settings."""
    return await usecases.send_digests(settings, store, SmtpMailer(settings), now)


def run() -> None:
    run_service(SERVICE, NotifySettings, create_app)
