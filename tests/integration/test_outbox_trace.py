"""The outbox hop of a trace on the real broker and database: an entry stored with a document inside
one trace, and published later by the sweep (as after a restart, outside any trace), reaches Kafka
with that trace's W3C context in its headers, from FastStream's own telemetry middleware."""

from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel
from pymongo import AsyncMongoClient

from services.common.outbox import OutboxRelay, entry, push
from services.common.settings import ServiceSettings

from ..consumer_groups import read_all

pytestmark = pytest.mark.integration


class Happened(BaseModel):
    event_id: str


async def test_an_entry_swept_after_its_writer_is_gone_is_published_in_the_writers_trace(
    mongo: AsyncMongoClient[dict[str, Any]], unique: str
) -> None:
    topic, docs = f"test.outbox-trace.{unique}", mongo[f"outbox_trace_{unique}"]["docs"]
    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    with provider.get_tracer("test").start_as_current_span("request") as request:
        stored = [entry(topic, "doc", Happened(event_id=f"e-{unique}"))]
        await docs.update_one({"_id": "doc"}, push({"$set": {"version": 1}}, stored), upsert=True)
    trace_id = trace.format_trace_id(request.get_span_context().trace_id)

    broker = KafkaBroker(ServiceSettings().KAFKA_BOOTSTRAP,
                         middlewares=[KafkaTelemetryMiddleware(tracer_provider=provider)])
    await broker.start()
    try:
        relay = OutboxRelay(docs, broker)
        assert not trace.get_current_span().get_span_context().is_valid
        assert await relay.sweep() == 1
        await relay.settled()
    finally:
        await broker.stop()

    [message] = await read_all(topic)
    headers = {key: value.decode() for key, value in message.headers}
    assert headers["traceparent"].split("-")[1] == trace_id
    published = [s for s in exported.get_finished_spans() if s.kind == trace.SpanKind.PRODUCER]
    assert published
    assert all(s.context is not None and trace.format_trace_id(s.context.trace_id) == trace_id
               for s in published)
    await mongo.drop_database(f"outbox_trace_{unique}")
