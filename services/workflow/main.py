"""Composition root of the workflow service: ``xueji-workflow``."""


import uvicorn
from fastapi import FastAPI

from services.common.auth import verifier_from_settings
from services.common.deadletter import DeadLetters
from services.common.kafka import make_broker
from services.common.logs import configure_logging
from services.common.mongo import make_mongo_client
from services.common.outbox import OutboxRelay
from services.common.problems import install_problem_handlers
from services.common.service import build_app, every

from . import api
from .adapters.store import CaseStore
from .cases import Cases
from .handlers import register_handlers
from .settings import WorkflowSettings

SERVICE = "xueji-workflow"


def create_app(settings: WorkflowSettings | None = None) -> FastAPI:
    settings = settings or WorkflowSettings()
    dead_letters = DeadLetters(SERVICE)
    broker = make_broker(settings, SERVICE, dead_letters)
    mongo = make_mongo_client(settings, SERVICE)
    store = CaseStore(mongo[settings.MONGO_DATABASE], settings.deadline_policy)
    relay = OutboxRelay(store.cases, broker)
    cases = Cases(store, relay, settings.RULE_SET)
    if settings.SUBSCRIBE:
        register_handlers(broker, settings, cases)

    app = build_app(
        title="xueji workflow",
        description="Cases of problem groups: handling, review, arbitration.",
        broker=broker,
        mongo=mongo,
        on_start=[store.ensure_indexes],
        on_stop=[relay.settled],
        background=[
            every(settings.OUTBOX_SWEEP_SECONDS, relay.sweep, "outbox sweep"),
            every(
                settings.DEADLINE_SCAN_SECONDS,
                lambda: cases.fire_deadlines(settings.deadline_policy),
                "deadlines",
            ),
        ],
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
