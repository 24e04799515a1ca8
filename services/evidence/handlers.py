"""Subscribers of the evidence service: case events tell it who the members and arbiters are."""

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from xueji_contracts import topics
from xueji_contracts.provinces import PROVINCES

from services.common.deadletter import DeadLetters
from services.common.kafka import subscriber
from services.common.telemetry import mark_each

from .ports import RecordStore
from .settings import EvidenceSettings
from .usecases import learn_parties_of


def register_handlers(broker: KafkaBroker, settings: EvidenceSettings, records: RecordStore,
                      dead_letters: DeadLetters) -> None:
    case_topics = [topics.case_topic(code) for code in PROVINCES]

    @subscriber(broker, settings, *case_topics, group="cases", batch=True,
                max_records=settings.CASE_BATCH_RECORDS)
    async def on_case_events(message: KafkaMessage) -> None:
        """Members of opened groups and their arbiters: who may upload and read evidence (idempotent).
        Each record is decoded on its own (a bad body is dead-lettered alone), and each goes on in
        the trace its producer began."""
        decoded = await dead_letters.decode_records(message, topics.case_adapter.validate_json)
        await dead_letters.handle_batch(decoded, lambda batch: learn_parties_of(records, batch))
        mark_each([record for _, record in decoded], "case events learnt")  # each event's trace goes on
