"""Composition root of the dedup service: ``xueji-dedup``."""

from datetime import date

import uvicorn
from fastapi import FastAPI

from services.common.deadletter import DeadLetters
from services.common.kafka import make_broker
from services.common.logs import configure_logging
from services.common.mongo import make_mongo_client
from services.common.service import build_app, every

from .adapters.relay import OutboxRelay
from .adapters.store import IdentityStore
from .handlers import register_handlers
from .indexer import Indexer
from .settings import DedupSettings

SERVICE = "xueji-dedup"


def create_app(settings: DedupSettings | None = None) -> FastAPI:
    settings = settings or DedupSettings()
    dead_letters = DeadLetters(SERVICE)
    broker = make_broker(settings, SERVICE, dead_letters)
    mongo = make_mongo_client(settings, SERVICE)
    store = IdentityStore(mongo[settings.MONGO_DATABASE])
    indexer = Indexer(store, settings.PEPPER.get_secret_value().encode(), date.today)
    relay = OutboxRelay(store, broker)
    register_handlers(broker, settings, indexer, relay, dead_letters, date.today)

    app = build_app(title="xueji dedup", description="Identity index, ID checks and duplicate groups.",
                    broker=broker, mongo=mongo, on_start=[store.ensure_indexes], on_stop=[relay.settled],
                    background=[every(settings.OUTBOX_SWEEP_SECONDS, relay.sweep, "outbox sweep")])
    app.state.store = store
    return app


def run() -> None:
    settings = DedupSettings()
    configure_logging(SERVICE, settings.LOG_LEVEL)
    uvicorn.run(create_app(settings), host=settings.HTTP_HOST, port=settings.HTTP_PORT, log_config=None)
