"""Traces across services: OpenTelemetry, configured only by the standard ``OTEL_*`` variables.

Off unless an exporter is asked for (``OTEL_EXPORTER_OTLP_ENDPOINT``,
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, or ``OTEL_TRACES_EXPORTER`` other than ``none``;
``OTEL_SDK_DISABLED=true`` wins): then nothing is instrumented and nothing recorded. When on,
the SDK reads the rest itself (``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*``, ``OTEL_EXPORTER_OTLP_*``), and the instrumentations of
FastAPI, PyMongo and httpx and FastStream's Kafka middleware carry the W3C trace context.

The outbox is the one hop no instrumentation sees: an entry is published later, perhaps by
another process after a restart. ``trace_fields`` stores the writer's context with the entry and
``continued`` publishes it inside that context, so the trace goes on.

Spans are named by route templates and topics, but a URL path, a query or a message key may
hold a registry number or a name: URLs are exported without their query, and every exported
name, attribute and status passes through the log redaction (``logs.redact``), the same safety
net as the logs.
"""

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import context, trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

from .logs import redact

W3C = TraceContextTextMapPropagator()  # the outbox stores W3C context only: baggage may carry anything
EXPORTER_ALIASES = {"otlp": "otlp_proto_http"}  # OTLP over HTTP (protobuf) is the one installed
URLS = frozenset({"http.url", "http.target", "url.full", "url.path"})  # exported without their query
QUERIES = frozenset({"url.query"})
_provider: TracerProvider | None = None


def exporter_names(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The span exporters the standard variables ask for; none unless one is configured."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    names = [n.strip().lower() for n in environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names:
        return ["otlp_proto_http"] if endpoint else []
    return [EXPORTER_ALIASES.get(n, n) for n in names if n != "none"]


def load_exporter(name: str) -> SpanExporter:
    """An exporter by its entry-point name (as the SDK's own configuration finds them)."""
    found = entry_points(group="opentelemetry_traces_exporter", name=name)
    if not found:
        raise RuntimeError(f"OTEL_TRACES_EXPORTER names {name!r}, which is not installed")
    exporter: SpanExporter = next(iter(found)).load()()
    return exporter


def _scrub(value: Any) -> Any:
    if isinstance(value, bytes):  # a Kafka message key: often a registry number
        value = value.decode(errors="replace")
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return tuple(_scrub(v) for v in value)
    return value


def _clean(attributes: Attributes) -> Attributes:
    cleaned = {}
    for key, value in (attributes or {}).items():
        if key in QUERIES:
            continue
        if isinstance(value, str) and key in URLS:  # a query may name a student, percent-encoded
            value = unquote(value.partition("?")[0])
        cleaned[key] = _scrub(value)
    return cleaned


def scrubbed(span: ReadableSpan) -> ReadableSpan:
    """The span with its name, attributes, events and status passed through the log redaction."""
    status = Status(span.status.status_code, redact(span.status.description or "") or None)
    events = [Event(e.name, _clean(e.attributes), e.timestamp) for e in span.events]
    return ReadableSpan(
        redact(span.name), span.context, span.parent, span.resource, _clean(span.attributes), events,
        span.links, span.kind, status=status, start_time=span.start_time, end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope)


class Redacting(SpanExporter):
    """An exporter that sends on only redacted spans."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.exporter.export([scrubbed(span) for span in spans])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.exporter.force_flush(timeout_millis)


def start_tracing(service: str, exporters: Sequence[SpanExporter] | None = None) -> TracerProvider | None:
    """Install the tracer provider and the database and HTTP-client instrumentations, once per
    process and before any client exists (PyMongo's listener is taken by clients made after it).
    ``exporters`` defaults to those the environment names; none: tracing stays off."""
    global _provider  # one provider per process, as OpenTelemetry's own global is
    if _provider is not None:
        return _provider
    exporters = [load_exporter(n) for n in exporter_names()] if exporters is None else exporters
    if not exporters:
        return None
    # the service's own name unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES give another
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}).merge(
        OTELResourceDetector().detect()))
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(Redacting(exporter)))
    trace.set_tracer_provider(provider)
    PymongoInstrumentor().instrument(tracer_provider=provider)  # commands only, never their documents
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    return provider


def traced(service: str, build: Callable[[], FastAPI]) -> FastAPI:
    """Build a service's app with tracing set up first (when configured) and its requests traced."""
    provider = start_tracing(service)
    app = build()
    if provider is not None:
        # the API only: the management app (probes, scrapes) is not traced
        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, exclude_spans=["receive", "send"])
    return app


def kafka_middlewares() -> list[KafkaTelemetryMiddleware]:
    """FastStream's telemetry middleware (spans, and context in the headers) when tracing is on."""
    return [KafkaTelemetryMiddleware(tracer_provider=_provider)] if _provider is not None else []


def trace_fields() -> dict[str, str]:
    """The W3C context of the current span (``traceparent``, ``tracestate``); empty outside a trace."""
    carrier: dict[str, str] = {}
    W3C.inject(carrier)
    return carrier


@contextmanager
def continued(fields: Mapping[str, str]) -> Iterator[None]:
    """Run inside the trace whose context ``trace_fields`` stored (without one: the current trace)."""
    if "traceparent" not in fields:
        yield
        return
    token = context.attach(W3C.extract(fields))
    try:
        yield
    finally:
        context.detach(token)


def mark_each(records: Sequence[Any], what: str) -> None:
    """A span for each record of a batch that was handled as one, in the trace its producer began.

    FastStream's span of a batch links the records' contexts but belongs to a trace of its own; a
    short span per record, named ``what``, keeps each event's trace going through this service."""
    if _provider is None:
        return
    tracer = _provider.get_tracer("xueji")
    for record in records:
        fields = {k: v.decode("ascii", "replace") for k, v in record.headers or ()
                  if k in ("traceparent", "tracestate") and isinstance(v, bytes)}
        if "traceparent" in fields:
            with tracer.start_as_current_span(what, context=W3C.extract(fields),
                                              kind=trace.SpanKind.CONSUMER):
                pass
