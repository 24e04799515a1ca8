"""The shape every service process shares: a FastAPI app whose lifespan runs the broker."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from .http import health_router

log = logging.getLogger(__name__)
Hook = Callable[[], Awaitable[None]]
Loop = Callable[[], Coroutine[Any, Any, None]]


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
        tasks = [asyncio.create_task(loop()) for loop in background]
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

    app = FastAPI(title=title, description=description, lifespan=lifespan)
    app.include_router(health_router({"kafka": kafka_ready, "mongodb": mongo_ready, **(readiness or {})}))
    for router in routers:
        app.include_router(router)
    return app
