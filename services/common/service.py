"""The one assembly of every service process: its parts, a FastAPI app whose lifespan runs
the broker, and ``run``. A service's ``main.py`` only names its own parts.

``assemble`` applies every setting the README says each service honours: ``SUBSCRIBE``
(no subscriber is registered on an API-only replica), the token verifier, the one
table of problem responses (``problems.py``), the HTTP limits (``limits.py``), and the
management app beside the API (``http.py``: health, metrics and the API's documentation).
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from .auth import verifier_from_settings
from .deadletter import DeadLetters
from .http import install_management, serve
from .kafka import make_broker
from .limits import install_limits
from .logs import configure_logging
from .metrics import LAG_REFRESH_SECONDS, instrument_http, refresh_consumer_lag
from .mongo import make_mongo_client
from .problems import install_problem_handlers
from .settings import ServiceSettings
from .telemetry import traced

log = logging.getLogger(__name__)
Hook = Callable[[], Awaitable[None]]
Loop = Callable[[], Coroutine[Any, Any, None]]
S = TypeVar("S", bound=ServiceSettings)


@dataclass
class Plumbing:
    """What every service process has: its settings, broker with dead letters, and database."""

    name: str
    settings: ServiceSettings
    description: str = ""  # one line: the HTTP API's description
    dead_letters: DeadLetters = field(init=False)
    broker: KafkaBroker = field(init=False)
    mongo: AsyncMongoClient[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.dead_letters = DeadLetters(self.name)
        self.broker = make_broker(self.settings, self.name, self.dead_letters)
        self.mongo = make_mongo_client(self.settings, self.name)

    @property
    def db(self) -> AsyncDatabase[dict[str, Any]]:
        return self.mongo[self.settings.MONGO_DATABASE]


def every(seconds: float, work: Callable[[], Awaitable[object]], what: str) -> Loop:
    """A background loop running ``work`` every ``seconds``; a failed run is logged and the loop goes on."""

    async def loop() -> None:
        while True:
            try:
                await work()
            except Exception:
                log.exception("background run failed", extra={"loop": what})
            await asyncio.sleep(seconds)

    return loop


def build_app(*, title: str, description: str, broker: KafkaBroker,
              mongo: AsyncMongoClient[dict[str, Any]], routers: Sequence[APIRouter] = (),
              on_start: Sequence[Hook] = (), on_stop: Sequence[Hook] = (),
              background: Sequence[Loop] = (),
              readiness: dict[str, Callable[[], Awaitable[bool]]] | None = None) -> FastAPI:
    """Start hooks run before the broker consumes; background loops run while it does."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for hook in on_start:
            await hook()
        await broker.start()
        lag = every(LAG_REFRESH_SECONDS, lambda: refresh_consumer_lag(broker), "consumer lag")
        tasks = [asyncio.create_task(loop()) for loop in (*background, lag)]
        log.info("service started", extra={"service": title})
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await broker.stop()
            for hook in on_stop:
                await hook()
            await mongo.close()
            log.info("service stopped", extra={"service": title})

    async def kafka_ready() -> bool:
        return await broker.ping(timeout=2.0)

    async def mongo_ready() -> bool:
        await mongo.admin.command("ping")
        return True

    # health, metrics and the documentation are on the management port only (``app.state.management``)
    app = FastAPI(title=title, description=description, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    install_management(app, {"kafka": kafka_ready, "mongodb": mongo_ready, **(readiness or {})})
    for router in routers:
        app.include_router(router)
    return app


def assemble(plumbing: Plumbing, *, subscribers: Callable[[], object] | None = None,
             routers: Sequence[APIRouter] = (),
             on_start: Sequence[Hook] = (), on_stop: Sequence[Hook] = (), background: Sequence[Loop] = (),
             readiness: dict[str, Callable[[], Awaitable[bool]]] | None = None,
             authenticated: bool = True, state: dict[str, Any] | None = None) -> FastAPI:
    """One service: ``subscribers`` registers its subscribers (skipped when ``SUBSCRIBE`` is off),
    ``routers`` are its HTTP API, ``authenticated`` gives it the bearer-token verifier."""
    if plumbing.settings.SUBSCRIBE and subscribers is not None:
        subscribers()
    title = plumbing.name.replace("-", " ")  # xueji-workflow → "xueji workflow"
    app = build_app(title=title, description=plumbing.description, broker=plumbing.broker,
                    mongo=plumbing.mongo, routers=routers, on_start=on_start, on_stop=on_stop,
                    background=background, readiness=readiness)
    app.state.broker = plumbing.broker  # its subscribers are what the AsyncAPI document lists
    if authenticated:
        app.state.token_verifier = verifier_from_settings(plumbing.settings)
    for name, value in (state or {}).items():
        setattr(app.state, name, value)
    install_problem_handlers(app)
    install_limits(app, plumbing.settings)
    instrument_http(app)  # outermost: a request the limits refuse is counted with the refusal's status
    return app


def run(name: str, settings_type: type[S], create_app: Callable[[S], FastAPI]) -> None:
    """Start one service process from its environment: JSON logs, then its API and management ports."""
    settings = settings_type()
    configure_logging(name, settings.LOG_LEVEL)
    serve(traced(name, lambda: create_app(settings)), settings)  # traced when OTEL_* ask for it
