"""Composition root of the evidence service: ``xueji-evidence``. It only names the parts."""

from fastapi import FastAPI
from minio import Minio

from services.common.outbox import OutboxRelay
from services.common.service import Plumbing, assemble, every
from services.common.service import run as run_service

from . import api
from .adapters.objects import ObjectStore
from .adapters.records import Records
from .handlers import register_handlers
from .ports import Parts
from .settings import EvidenceSettings
from .usecases import sweep_orphans

SERVICE = "xueji-evidence"


def create_app(settings: EvidenceSettings | None = None) -> FastAPI:
    settings = settings or EvidenceSettings()
    plumbing = Plumbing(SERVICE, settings, "Evidence files: checked, stored per province, linked.")
    records = Records(plumbing.db)
    objects = ObjectStore(Minio(settings.S3_ENDPOINT, access_key=settings.S3_ACCESS_KEY,
                                secret_key=settings.S3_SECRET_KEY.get_secret_value(),
                                secure=settings.S3_SECURE, region=settings.S3_REGION))
    relay = OutboxRelay(records.evidence, plumbing.broker)
    parts = Parts(settings, objects, records, relay)
    return assemble(
        plumbing, subscribers=lambda: register_handlers(plumbing.broker, settings, records,
                                                 plumbing.dead_letters),
        routers=[api.router(parts)],
        on_start=[records.ensure_indexes],
        on_stop=[relay.settled],
        background=[every(settings.OUTBOX_SWEEP_SECONDS, relay.sweep, "outbox sweep"),
                    every(settings.ORPHAN_SWEEP_SECONDS, lambda: sweep_orphans(parts), "orphan sweep")],
        state={"objects": objects, "records": records},
    )


def run() -> None:
    run_service(SERVICE, EvidenceSettings, create_app)
