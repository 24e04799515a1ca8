"""Composition root of the notify service: ``xueji-notify``. It only names the parts."""

import os
import socket
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI

from services.common.clock import utc_now
from services.common.service import Plumbing, assemble, every
from services.common.service import run as run_service

from . import api, usecases
from .adapters.jobs import JobStore
from .adapters.mail import SmtpMailer
from .adapters.publisher import BrokerPublisher
from .adapters.store import NotifyStore
from .adapters.webhooks import WebhookSender
from .handlers import register_handlers
from .ports import Parts
from .sending import CircuitPolicy, EndpointSender, refresh_gauges
from .settings import NotifySettings

SERVICE = "xueji-notify"


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    plumbing = Plumbing(SERVICE, settings, "Inboxes and signed webhooks for every case event.")
    store, jobs = NotifyStore(plumbing.db), JobStore(plumbing.db)
    http = httpx.AsyncClient(timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    publisher = BrokerPublisher(plumbing.broker)
    holder = settings.INSTANCE_ID or f"{socket.gethostname()}-{os.getpid()}"
    senders = {
        province: EndpointSender(
            webhook, jobs, WebhookSender(http), publisher, holder, retry=settings.retry_policy(),
            circuit=CircuitPolicy(settings.CIRCUIT_FAILURES,
                                  timedelta(seconds=settings.CIRCUIT_PAUSE_SECONDS),
                                  timedelta(seconds=settings.CIRCUIT_MAX_PAUSE_SECONDS)),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS, idle_seconds=settings.DELIVERY_IDLE_SECONDS)
        for province, webhook in settings.webhooks().items()
    }

    def wake(endpoint: str) -> None:
        if endpoint in senders:
            senders[endpoint].wake.set()

    parts = Parts(store, jobs, publisher, settings.webhooks(), wake=wake)
    return assemble(
        plumbing,
        subscribers=lambda: register_handlers(plumbing.broker, settings, parts, plumbing.dead_letters),
        routers=[api.router(store, settings.PAGE_SIZE_MAX),
                 api.deliveries_router(jobs, settings.PAGE_SIZE_MAX)],
        on_start=[store.ensure_indexes, jobs.ensure_indexes],
        on_stop=[http.aclose],
        background=[every(settings.DIGEST_CHECK_SECONDS, lambda: send_digests(settings, store, utc_now()),
                          "daily digest"),
                    every(settings.DELIVERY_METRICS_SECONDS, lambda: refresh_gauges(jobs, utc_now()),
                          "delivery metrics"),
                    *(sender.run for sender in senders.values())],
        state={"store": store, "jobs": jobs},
    )


async def send_digests(settings: NotifySettings, store: NotifyStore, now: datetime) -> int:
    """Today's digests over the SMTP server of the settings."""
    return await usecases.send_digests(settings, store, SmtpMailer(settings), now)


def run() -> None:
    run_service(SERVICE, NotifySettings, create_app)
