"""Composition root of the evidence service: ``xueji-evidence``."""


import uvicorn
from fastapi import FastAPI
from minio import Minio

from services.common.auth import verifier_from_settings
from services.common.deadletter import DeadLetters
from services.common.kafka import make_broker
from services.common.logs import configure_logging
from services.common.mongo import make_mongo_client
from services.common.outbox import OutboxRelay
from services.common.problems import install_problem_handlers
from services.common.service import build_app, every

from . import api
from .adapters.objects import ObjectStore
from .adapters.records import Records
from .handlers import register_handlers
from .settings import EvidenceSettings
from .storing import Evidence

SERVICE = "xueji-evidence"


def create_app(settings: EvidenceSettings | None = None) -> FastAPI:
    settings = settings or EvidenceSettings()
    broker = make_broker(settings, SERVICE, DeadLetters(SERVICE))
    mongo = make_mongo_client(settings, SERVICE)
    records = Records(mongo[settings.MONGO_DATABASE])
    objects = ObjectStore(
        Minio(
            settings.S3_ENDPOINT,
            access_key=settings.S3_ACCESS_KEY,
            secret_key=settings.S3_SECRET_KEY.get_secret_value(),
            secure=settings.S3_SECURE,
            region=settings.S3_REGION,
        )
    )
    relay = OutboxRelay(records.evidence, broker)
    if settings.SUBSCRIBE:
        register_handlers(broker, settings, records)

    app = build_app(
        title="xueji evidence",
        description="Evidence files: checked, stored per province, linked.",
        broker=broker,
        mongo=mongo,
        on_start=[records.ensure_indexes],
        on_stop=[relay.settled],
        background=[every(settings.OUTBOX_SWEEP_SECONDS, relay.sweep, "outbox sweep")],
    )
    app.state.token_verifier = verifier_from_settings(settings)
    app.state.objects, app.state.records = objects, records
    install_problem_handlers(app)
    api.install(app, api.router(Evidence(settings, objects, records, relay), settings))
    return app


def run() -> None:
    settings = EvidenceSettings()
    configure_logging(SERVICE, settings.LOG_LEVEL)
    uvicorn.run(create_app(settings), host=settings.HTTP_HOST, port=settings.HTTP_PORT, log_config=None)
