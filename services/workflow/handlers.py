"""Subscribers of the workflow: dedup's problem events open and update cases; stored evidence
becomes citable. Each decodes its contract and calls one use case."""

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from xueji_contracts import topics
from xueji_contracts.evidence import EvidenceStored

from services.common.deadletter import DeadLetters
from services.common.kafka import subscriber
from services.common.telemetry import mark_each

from .settings import WorkflowSettings
from .usecases import Cases, apply_problems, record_evidence


def register_handlers(broker: KafkaBroker, settings: WorkflowSettings, cases: Cases,
                      dead_letters: DeadLetters) -> None:
    @subscriber(broker, settings, topics.PROBLEMS, group="problems", batch=True,
                max_records=settings.PROBLEM_BATCH_RECORDS)
    async def on_problems(message: KafkaMessage) -> None:
        """Problem groups found by dedup: open their cases (the new ones of a batch in one write), or
        bring their members up to date. Each record is decoded on its own (a bad body is dead-lettered
        alone)."""
        events = await dead_letters.decode_records(message, topics.problem_adapter.validate_json)
        await dead_letters.handle_batch(events, lambda batch: apply_problems(cases, batch))
        mark_each([record for _, record in events], "problem events handled")

    @subscriber(broker, settings, topics.EVIDENCE, group="evidence")
    async def on_evidence(event: EvidenceStored) -> None:
        """Evidence stored for a member: actions may cite it."""
        await record_evidence(cases, event)
