"""Health, metrics and the API documentation are on the management app only, on every service's real
app built by ``create_app(settings)`` and called without a server (its lifespan is not run)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.console.main import create_app as console_app
from services.console.settings import ConsoleSettings
from services.dedup.main import create_app as dedup_app
from services.dedup.population_standin import StandinSettings
from services.dedup.population_standin import create_app as standin_app
from services.dedup.settings import DedupSettings
from services.evidence.main import create_app as evidence_app
from services.evidence.settings import EvidenceSettings
from services.notify.main import create_app as notify_app
from services.notify.settings import NotifySettings
from services.workflow.main import create_app as workflow_app
from services.workflow.settings import WorkflowSettings

MANAGEMENT = ("/metrics", "/healthz", "/readyz", "/docs", "/redoc", "/openapi.json")
DOCUMENTATION = ("/docs", "/redoc", "/openapi.json")
SERVICES: dict[str, tuple[Callable[..., FastAPI], type[Any]]] = {
    "dedup": (dedup_app, DedupSettings),
    "workflow": (workflow_app, WorkflowSettings),
    "evidence": (evidence_app, EvidenceSettings),
    "notify": (notify_app, NotifySettings),
    "population-standin": (standin_app, StandinSettings),
}


def build(service: str, keys: Path) -> FastAPI:
    create_app, settings_type = SERVICES[service]
    if service == "population-standin":
        return create_app(settings_type(ENVIRONMENT="test"))
    return create_app(settings_type(ENVIRONMENT="test", JWT_LOCAL_KEY_DIR=keys))


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


@pytest.mark.parametrize("service", SERVICES)
async def test_the_api_port_answers_404_for_health_metrics_and_documentation(
    service: str, tmp_path: Path
) -> None:
    async with client(build(service, tmp_path)) as api:
        for path in MANAGEMENT:
            assert (await api.get(path)).status_code == 404, path


@pytest.mark.parametrize("service", SERVICES)
async def test_the_management_app_serves_health_metrics_and_the_apis_own_document(
    service: str, tmp_path: Path
) -> None:
    app = build(service, tmp_path)
    management: FastAPI = app.state.management
    async with client(management) as http:
        health = await http.get("/healthz")
        metrics = await http.get("/metrics")
        document = await http.get("/openapi.json")
        pages = [await http.get(path) for path in ("/docs", "/redoc")]
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert "python_info" in metrics.text
    assert document.status_code == 200 and document.json() == app.openapi()
    assert all(page.status_code == 200 and "/openapi.json" in page.text for page in pages)
    # its checks need the servers: it answers against them in tests/e2e/test_management_port.py
    assert management.url_path_for("readyz") == "/readyz"


def test_the_apis_document_lists_its_api_and_nothing_of_the_management_port(tmp_path: Path) -> None:
    document = build("workflow", tmp_path).openapi()
    assert document["paths"] and all(path.startswith("/v1/") for path in document["paths"])


async def test_the_consoles_management_app_is_ready_when_the_workflows_management_port_is(
    tmp_path: Path
) -> None:
    asked: list[str] = []

    def workflow(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, json={"status": "ok"})

    settings = ConsoleSettings(ENVIRONMENT="test", JWT_LOCAL_KEY_DIR=tmp_path,
                               WORKFLOW_MANAGEMENT_URL="http://workflow-management:9002")
    app = console_app(settings, httpx.MockTransport(workflow))
    async with client(app) as pages, client(app.state.management) as management:
        refused = [(await pages.get(path)).status_code for path in MANAGEMENT]
        ready = await management.get("/readyz")
        documented = [(await management.get(path)).status_code for path in DOCUMENTATION]
    assert refused == [404] * len(MANAGEMENT)
    assert ready.status_code == 200 and ready.json()["checks"] == {"workflow": True}
    assert asked == ["http://workflow-management:9002/healthz"]
    assert documented == [404] * len(DOCUMENTATION)  # the console's pages have no API document
