"""HTTP metrics on a service's real app: counted under the route template, never under a raw path
(paths carry registry numbers), and the operations routes are not counted."""

from pathlib import Path
from uuid import uuid4

import httpx
from prometheus_client import REGISTRY

from services.workflow.main import create_app
from services.workflow.settings import WorkflowSettings

REGISTRY_NUMBER = "G110105201001010011"
WITHDRAWAL = "/v1/cases/{group_id}/members/{registry_number}/withdrawal"


def requests_counted(handler: str, method: str, status: str) -> float:
    labels = {"handler": handler, "method": method, "status": status}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


def durations_counted(handler: str, method: str) -> float:
    labels = {"handler": handler, "method": method}
    return REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) or 0.0


def http_label_values() -> set[str]:
    return {value for metric in REGISTRY.collect() if metric.name.startswith("http_request")
            for sample in metric.samples for value in sample.labels.values()}


async def test_a_request_is_counted_under_its_route_template_and_no_path_is_a_label(tmp_path: Path) -> None:
    app = create_app(WorkflowSettings(ENVIRONMENT="test", JWT_LOCAL_KEY_DIR=tmp_path))
    before = (requests_counted(WITHDRAWAL, "POST", "4xx"), durations_counted(WITHDRAWAL, "POST"),
              requests_counted("none", "GET", "4xx"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://workflow") as http:
        refused = await http.post(f"/v1/cases/{uuid4()}/members/{REGISTRY_NUMBER}/withdrawal")  # no token
        unknown = await http.get(f"/v1/nowhere/{REGISTRY_NUMBER}")
        for operations in ("/metrics", "/healthz", "/readyz"):
            await http.get(operations)
    assert (refused.status_code, unknown.status_code) == (401, 404)
    after = (requests_counted(WITHDRAWAL, "POST", "4xx"), durations_counted(WITHDRAWAL, "POST"),
             requests_counted("none", "GET", "4xx"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
    labels = http_label_values()
    assert {WITHDRAWAL, "none"} <= labels
    assert not any(REGISTRY_NUMBER in value for value in labels)
    assert not {"/metrics", "/healthz", "/readyz"} & labels
