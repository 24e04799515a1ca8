"""Composition root of the dedup service: ``xueji-dedup``. It only names the parts."""

from datetime import date

from fastapi import FastAPI

from services.common.service import Plumbing, assemble, every
from services.common.service import run as run_service

from .adapters.relay import OutboxRelay
from .adapters.store import IdentityStore
from .adapters.vault import Vault
from .handlers import register_handlers
from .settings import DedupSettings
from .usecases import Dedup, Indexer

SERVICE = "xueji-dedup"


def create_app(settings: DedupSettings | None = None) -> FastAPI:
    settings = settings or DedupSettings()
    plumbing = Plumbing(SERVICE, settings, "Identity index, ID checks and duplicate groups.")
    store = IdentityStore(plumbing.db, Vault(settings.PEPPER.get_secret_value().encode()))
    relay = OutboxRelay(store, plumbing.broker)
    search_key = settings.NAME_SEARCH_KEY.get_secret_value().encode()
    dedup = Dedup(Indexer(store, settings.PEPPER.get_secret_value().encode(), date.today, search_key), relay)
    return assemble(
        plumbing,
        subscribers=lambda: register_handlers(plumbing.broker, settings, dedup, plumbing.dead_letters),
        on_start=[store.ensure_indexes],
        on_stop=[relay.settled],
        background=[every(settings.OUTBOX_SWEEP_SECONDS, relay.sweep, "outbox sweep")],
        authenticated=False,  # dedup serves no API of its own, only health and metrics
        state={"store": store},
    )


def run() -> None:
    run_service(SERVICE, DedupSettings, create_app)
