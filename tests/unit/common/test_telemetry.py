"""Tracing set-up: off unless configured, the outbox's context round trip, trace ids in the logs,
and no personal data in what is exported."""

import json
import logging

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from services.common.logs import JsonFormatter
from services.common.outbox import entry
from services.common.telemetry import Redacting, continued, exporter_names, trace_fields

REGISTRY_NUMBER = "G11010520120304567X"


class Happened(BaseModel):
    event_id: str = "e-1"


@pytest.fixture
def tracer() -> trace.Tracer:
    return TracerProvider().get_tracer("test")


@pytest.mark.parametrize(("environ", "names"), [
    ({}, []),
    ({"OTEL_SERVICE_NAME": "xueji-workflow"}, []),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, ["otlp_proto_http"]),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, ["otlp_proto_http"]),
    ({"OTEL_TRACES_EXPORTER": "otlp,console"}, ["otlp_proto_http", "console"]),
    ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, []),
    ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, []),
])
def test_tracing_is_off_unless_an_exporter_is_configured(environ: dict[str, str], names: list[str]) -> None:
    assert exporter_names(environ) == names


def test_an_outbox_entry_written_outside_a_trace_carries_no_context() -> None:
    assert set(entry("xueji.t.v1", "k", Happened())) == {"id", "topic", "key", "payload", "at"}
    assert trace_fields() == {}


def test_an_outbox_entry_is_published_later_inside_the_trace_that_wrote_it(tracer: trace.Tracer) -> None:
    with tracer.start_as_current_span("write") as writer:
        stored = entry("xueji.t.v1", "k", Happened())
    assert stored["traceparent"].split("-")[1] == trace.format_trace_id(writer.get_span_context().trace_id)
    assert not trace.get_current_span().get_span_context().is_valid  # the writer's request is over
    with continued(stored), tracer.start_as_current_span("publish") as publisher:
        assert isinstance(publisher, ReadableSpan)
        assert publisher.get_span_context().trace_id == writer.get_span_context().trace_id
        assert publisher.parent is not None
        assert publisher.parent.span_id == writer.get_span_context().span_id
    assert not trace.get_current_span().get_span_context().is_valid  # and left as it was found


def test_an_entry_keeps_the_trace_state_of_its_writer(tracer: trace.Tracer) -> None:
    remote = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tracestate": "a=1"}
    with continued(remote), tracer.start_as_current_span("write"):
        stored = entry("xueji.t.v1", "k", Happened())
    assert stored["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")
    assert stored["tracestate"] == "a=1"


def log_line(message: str) -> dict[str, object]:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None)
    return json.loads(JsonFormatter("test").format(record))  # type: ignore[no-any-return]


def test_a_log_line_inside_a_span_carries_its_trace_and_span_ids(tracer: trace.Tracer) -> None:
    with tracer.start_as_current_span("work") as span:
        line = log_line("working")
    assert line["trace_id"] == trace.format_trace_id(span.get_span_context().trace_id)
    assert line["span_id"] == trace.format_span_id(span.get_span_context().span_id)


def test_a_log_line_outside_a_trace_has_no_trace_fields() -> None:
    assert {"trace_id", "span_id"}.isdisjoint(log_line("idle"))


async def test_a_request_span_names_its_route_template_and_no_registry_number() -> None:
    app = FastAPI()

    @app.post("/v1/cases/{group_id}/members/{registry_number}/actions")
    async def act(group_id: str, registry_number: str, note: str = "") -> dict[str, str]:
        raise ValueError(f"refused for {registry_number}")

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Redacting(exported)))
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, exclude_spans=["receive", "send"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        await client.post(f"/v1/cases/g-1/members/{REGISTRY_NUMBER}/actions", params={"note": "张三"})
    [span] = exported.get_finished_spans()
    assert span.name == "POST /v1/cases/{group_id}/members/{registry_number}/actions"
    assert span.attributes is not None
    assert span.attributes["http.route"] == "/v1/cases/{group_id}/members/{registry_number}/actions"
    assert span.events  # the exception is recorded, its message redacted
    shown = json.dumps(json.loads(span.to_json()), ensure_ascii=False)
    assert "0520120304567" not in shown
    assert "张三" not in shown and "%E5%BC%A0" not in shown  # the query is not exported at all


def test_a_message_key_is_exported_redacted() -> None:
    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Redacting(exported)))
    with provider.get_tracer("test").start_as_current_span("xueji.t.v1 publish") as span:
        span.set_attribute("messaging.kafka.message.key", REGISTRY_NUMBER.encode())
        span.set_attribute("tags", [REGISTRY_NUMBER, "kept"])
    [finished] = exported.get_finished_spans()
    assert finished.attributes == {"messaging.kafka.message.key": "[id]", "tags": ("[id]", "kept")}
