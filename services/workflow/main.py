"""Composition root of the workflow service: ``xueji-workflow``."""

import asyncio
import logging

import uvicorn
from fastapi import FastAPI

from services.common.auth import verifier_from_settings
from services.common.deadletter import DeadLetters
from services.common.kafka import make_broker
from services.common.logs import configure_logging
from services.common.mongo import make_mongo_client
from services.common.outbox import OutboxRelay
from services.common.problems import install_problem_handlers
from services.common.service import build_app

from . import api
from .adapters.store import CaseStore
from .cases import Cases
from .handlers import register_handlers
from .settings import WorkflowSettings

SERVICE = "xueji-workflow"
log = logging.getLogger(__name__)


def create_app(settings: WorkflowSettings | None = None) -> FastAPI:
    settings = settings or WorkflowSettings()
    dead_letters = DeadLetters(SERVICE)
    broker = make_broker(settings, SERVICE, dead_letters)
    mongo = make_mongo_client(settings, SERVICE)
    store = CaseStore(mongo[settings.MONGO_DATABASE], settings.deadline_policy)
    relay = OutboxRelay(store.cases, broker)
    cases = Cases(store, relay, settings.RULE_SET)
    register_handlers(broker, settings, cases)

    async def sweep_outbox() -> None:
        while True:
            try:
                await relay.sweep()
            except Exception:
                log.exception("outbox sweep failed")
            await asyncio.sleep(settings.OUTBOX_SWEEP_SECONDS)

    async def fire_deadlines() -> None:
        while True:
            try:
                await cases.fire_deadlines(settings.deadline_policy)
            except Exception:
                log.exception("deadline scan failed")
            await asyncio.sleep(settings.DEADLINE_SCAN_SECONDS)

    app = build_app(
        title="xueji workflow",
        description="Cases of problem groups: handling, review, arbitration.",
        broker=broker,
        mongo=mongo,
        on_start=[store.ensure_indexes],
        background=[sweep_outbox, fire_deadlines],
    )
    app.state.token_verifier = verifier_from_settings(settings)
    app.state.cases = cases
    install_problem_handlers(app)
    api.install(app, cases, settings.PAGE_SIZE_MAX)
    return app


def run() -> None:
    settings = WorkflowSettings()
    configure_logging(SERVICE, settings.LOG_LEVEL)
    uvicorn.run(create_app(settings), host=settings.HTTP_HOST, port=settings.HTTP_PORT, log_config=None)
