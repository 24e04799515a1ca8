"""The notify subscriber: every case event of this shard's provinces → inboxes and the webhook."""

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from xueji_contracts import topics

from services.common.deadletter import DeadLetters
from services.common.kafka import subscriber
from services.common.telemetry import mark_each

from .ports import Parts
from .settings import NotifySettings
from .usecases import CaseDelivery, notify_case_events


def province_of_topic(topic: str) -> str:
    """``xueji.cases.<province>.v2`` → the province."""
    return topic.split(".")[2]


def register_handlers(broker: KafkaBroker, settings: NotifySettings, parts: Parts,
                      dead_letters: DeadLetters) -> None:
    case_topics = [topics.case_topic(code) for code in settings.PROVINCE_CODES]

    @subscriber(broker, settings, *case_topics, group="cases", batch=True,
                max_records=settings.CASE_BATCH_RECORDS)
    async def on_case_events(message: KafkaMessage) -> None:
        """Case events of this shard's provinces: inboxes of the parties, and the province's webhook.
        Each record is decoded on its own (a bad body is dead-lettered alone); the exact bytes are
        what the webhook signs."""
        decoded = await dead_letters.decode_records(message, topics.case_adapter.validate_json)
        deliveries = [(CaseDelivery(event, record.value, province_of_topic(record.topic), record), record)
                      for event, record in decoded]
        await dead_letters.handle_batch(deliveries, lambda batch: notify_case_events(parts, batch))
        mark_each([record for _, record in deliveries], "case events handled")
