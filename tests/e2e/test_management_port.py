"""Each running service serves health, metrics and its API's document on its management port only:
its API port (the one an Ingress exposes) answers 404 for them."""

import json

import httpx
import pytest

from services.cli.openapi import OPENAPI_DIR

from ..system import management_url
from .conftest import SERVICES, System

pytestmark = pytest.mark.integration
MANAGEMENT = ("/metrics", "/healthz", "/readyz", "/docs", "/redoc", "/openapi.json")
DOCUMENTED = ("workflow", "evidence", "notify")


@pytest.mark.parametrize("service", SERVICES)
def test_the_api_port_answers_404_for_metrics_and_the_management_port_serves_them(
    system: System, service: str
) -> None:
    port = SERVICES[service]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as api:
        refused = {path: api.get(path).status_code for path in MANAGEMENT}
    with httpx.Client(base_url=management_url(port), timeout=10) as management:
        metrics = management.get("/metrics")
        ready = management.get("/readyz")
        health = management.get("/healthz")
    assert refused == dict.fromkeys(MANAGEMENT, 404)
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert "python_info" in metrics.text
    assert ready.status_code == 200 and all(ready.json()["checks"].values())
    assert health.json() == {"status": "ok"}


@pytest.mark.parametrize("service", DOCUMENTED)
def test_the_management_port_serves_the_committed_document_of_the_api(system: System, service: str) -> None:
    with httpx.Client(base_url=management_url(SERVICES[service]), timeout=10) as management:
        document = management.get("/openapi.json")
        docs = management.get("/docs")
    committed = json.loads((OPENAPI_DIR / f"{service}.json").read_text(encoding="utf-8"))
    assert document.status_code == 200 and document.json() == committed
    assert docs.status_code == 200 and "/openapi.json" in docs.text
