"""One request's trace across the running services.

Each service process exports its spans by OTLP/HTTP, configured only by the standard ``OTEL_*``
variables, to the collector this test runs: an in-memory receiver of ``ExportTraceServiceRequest``
documents. A bureau's review of an amendment is then one trace from its HTTP request through the
workflow's outbox, Kafka and every consumer: dedup applies the amendment and publishes through its
own outbox, notify fills the inboxes, evidence follows the case.
"""

import gzip
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from xueji_contracts.enums import Gender, Role

from services.dedup.demo import synthetic_id_number

from ..system import SERVICES, System, eventually, running_system
from ..unit.dedup.factories import record
from .people import fresh_birth, register, upload_evidence

pytestmark = pytest.mark.integration
TRACED = {"xueji-workflow", "xueji-dedup", "xueji-notify", "xueji-evidence"}


@dataclass(frozen=True)
class Received:
    service: str
    trace_id: str
    name: str
    kind: int
    attributes: dict[str, str]


def _values(attributes: list[KeyValue]) -> dict[str, str]:
    return {a.key: str(getattr(a.value, a.value.WhichOneof("value") or "string_value")) for a in attributes}


class Collector(ThreadingHTTPServer):
    """What the services exported, span by span."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Export)
        self.spans: list[Received] = []
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/traces"

    def add(self, request: ExportTraceServiceRequest) -> None:
        for resource in request.resource_spans:
            service = _values(list(resource.resource.attributes)).get("service.name", "")
            received = [
                Received(service, span.trace_id.hex(), span.name, span.kind, _values(list(span.attributes)))
                for scope in resource.scope_spans for span in scope.spans]
            with self.lock:
                self.spans += received

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.spans)

    def services_in(self, trace_id: str) -> set[str]:
        return {s.service for s in self.received() if s.trace_id == trace_id}


class _Export(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.add(ExportTraceServiceRequest.FromString(body))
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:  # the test's output stays quiet
        return None


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def traced_system(collector: Collector, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with pytest.MonkeyPatch.context() as env:  # what an operator sets; the processes inherit it
        env.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", collector.endpoint)
        env.setenv("OTEL_BSP_SCHEDULE_DELAY", "200")
        for name in ("OTEL_SERVICE_NAME", "OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED"):
            env.delenv(name, raising=False)
        with running_system(tmp_path_factory.mktemp("traced")) as system:
            eventually(lambda: all(_listening(port) for port in SERVICES.values()))
            yield system


def _listening(port: int) -> bool:
    """The API port accepts requests (the management port's readiness can come first)."""
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
    except httpx.TransportError:
        return False
    return True


async def test_a_review_is_one_trace_across_workflow_dedup_notify_and_evidence(
    traced_system: System, collector: Collector
) -> None:
    system = traced_system
    rng, birth = fresh_birth()
    right = synthetic_id_number(rng, "320102", birth, Gender.FEMALE)
    wrong = right[:17] + next(c for c in "0123456789X" if c != right[17])  # one check digit off
    rec = record(rng.randrange(1000, 9999), district="320102", number=wrong, school="3201020031",
                 gender=Gender.FEMALE, birth=birth)
    await register(rec)
    with (
        system.client("workflow", Role.SCHOOL_REGISTRAR, rec.school_code) as school,
        system.client("workflow", Role.BUREAU_REGISTRAR, rec.district_code) as bureau,
    ):
        def listed() -> str | None:
            items = school.get("/v1/cases", params={"page_size": 200}).json()["items"]
            return next((str(c["group_id"]) for c in items if c["problem_type"] == "ID_NOT_FOUND"), None)

        group = eventually(listed)
        url = f"/v1/cases/{group}/members/{rec.registry_number}"
        amend = {"action": "amend", "evidence_ids": [upload_evidence(system, group, rec)],
                 "amendment": {"id_number": right, "name": rec.name}}
        eventually(lambda: school.post(f"{url}/actions", json=amend).status_code == 200)
        assert bureau.post(f"{url}/review", json={"decision": "approved"}).status_code == 200

    def review() -> Received | None:
        return next((s for s in collector.received() if s.service == "xueji-workflow"
                     and s.kind == Span.SpanKind.SPAN_KIND_SERVER
                     and s.attributes.get("http.route", "").endswith("/review")), None)

    trace_id = eventually(review).trace_id
    assert eventually(lambda: collector.services_in(trace_id) >= TRACED), collector.services_in(trace_id)
    one_trace = [s for s in collector.received() if s.trace_id == trace_id]
    assert any(s.service == "xueji-dedup" and s.kind == Span.SpanKind.SPAN_KIND_CONSUMER for s in one_trace)
    assert any(s.service == "xueji-notify" and s.kind == Span.SpanKind.SPAN_KIND_CONSUMER for s in one_trace)
    personal = (rec.registry_number, wrong, right, rec.name)
    leaks = [s for s in collector.received() if any(p in f"{s.name} {s.attributes}" for p in personal)]
    assert not leaks
