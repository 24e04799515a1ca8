"""The management port every service has beside its API port: health, Prometheus metrics and the
API's documentation. The API's own app serves none of them (an Ingress in front of it exposes only
the API); the management port is for the kubelet's probes, Prometheus and operators.
"""

import asyncio
import gc
import socket
import sys
from collections.abc import Awaitable, Callable

import uvicorn
import uvloop
from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from uvicorn.config import STARTUP_FAILURE

from .settings import ServiceSettings

ReadinessCheck = Callable[[], Awaitable[bool]]


def health_router(checks: dict[str, ReadinessCheck]) -> APIRouter:
    """``/healthz`` (the process lives), ``/readyz`` (its dependencies answer), ``/metrics``."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: every dependency answers")
    async def readyz(response: Response) -> dict[str, object]:
        results: dict[str, bool] = {}
        for name, check in checks.items():
            try:
                results[name] = await check()
            except Exception:
                results[name] = False
        ready = all(results.values())
        response.status_code = 200 if ready else 503
        return {"status": "ready" if ready else "unavailable", "checks": results}

    @router.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def install_management(api: FastAPI, checks: dict[str, ReadinessCheck], *,
                       documented: bool = True) -> FastAPI:
    """The management app of ``api``, kept as ``api.state.management``: ``health_router(checks)`` and, when
    ``documented``, the API's own OpenAPI document at ``/openapi.json`` with ``/docs`` and ``/redoc``."""
    management = FastAPI(title=f"{api.title} management", docs_url="/docs" if documented else None,
                         redoc_url="/redoc" if documented else None,
                         openapi_url="/openapi.json" if documented else None)
    management.openapi = api.openapi  # type: ignore[method-assign]  # the API's document, not its own
    management.include_router(health_router(checks))
    api.state.management = management
    return management


def serve(api: FastAPI, settings: ServiceSettings) -> None:
    """Serve ``api`` on ``HTTP_PORT`` and its management app on ``MANAGEMENT_PORT``: two uvicorn servers in
    one event loop. The API's lifespan (the broker, the background loops) is the process's; when either
    server stops, the other is stopped too, so a process never lives on with one port gone."""
    settle_collector(settings.GC_YOUNG_THRESHOLD)
    host = settings.HTTP_HOST
    api_server = Server(uvicorn.Config(api, host=host, port=settings.HTTP_PORT, log_config=None))
    management = Server(uvicorn.Config(api.state.management, host=host, port=settings.MANAGEMENT_PORT,
                                       log_config=None, lifespan="off"))
    # uvloop, as ``uvicorn.run`` would choose: the consumers, the drivers and both servers share the loop
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve_both(api_server, management))
    if not (api_server.started and management.started):
        sys.exit(STARTUP_FAILURE)  # as uvicorn.run does when the app's start-up failed


def settle_collector(young_threshold: int) -> None:
    """Python's cycle collector, tuned for a process that handles batches: what start-up made (modules,
    the app, its clients) is frozen, never walked again, and the youngest objects are collected after
    ``young_threshold`` allocations (0: Python's default). A batch of 500 registrations allocates
    hundreds of thousands of objects; at the default of 700 each batch triggers hundreds of passes,
    and the oldest generation's, over everything the process holds, every few batches."""
    gc.collect()
    gc.freeze()
    if young_threshold:
        _, middle, oldest = gc.get_threshold()
        gc.set_threshold(young_threshold, middle, oldest)


class Server(uvicorn.Server):
    """A uvicorn server that says when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.listening.set()


async def serve_both(api: Server, management: Server) -> None:
    # The management port opens once the API port listens, so a ready /readyz means the API answers
    # (uvicorn binds a port only after the app's start-up). SIGTERM then reaches the management server
    # first (its handler was installed last), and the API's server is stopped in turn.
    serving = asyncio.create_task(api.serve())
    listening = asyncio.create_task(api.listening.wait())
    await asyncio.wait([serving, listening], return_when=asyncio.FIRST_COMPLETED)
    if not api.started:  # its start-up failed
        listening.cancel()
        return await serving
    running = [serving, asyncio.create_task(management.serve())]
    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    api.should_exit = management.should_exit = True
    await asyncio.gather(*running)
