"""The notify subscriber: every case event of this shard's provinces → inboxes and the webhook."""

from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from xueji_contracts import topics

from services.common.kafka import subscriber

from .ports import Parts
from .settings import NotifySettings
from .usecases import CaseDelivery, notify_case_event


def province_of_topic(topic: str) -> str:
    """``xueji.cases.<province>.v2`` → the province."""
    return topic.split(".")[2]


def register_handlers(broker: KafkaBroker, settings: NotifySettings, parts: Parts) -> None:
    case_topics = [topics.case_topic(code) for code in settings.PROVINCE_CODES]

    @subscriber(broker, settings, *case_topics, group="cases")
    async def on_case_event(message: KafkaMessage) -> None:
        """Case events of this shard's provinces: inboxes of the parties, and the province's webhook."""
        record: Any = message.raw_message  # one record: this subscriber is not a batch one
        # the exact bytes are what the webhook signs; a bad body is dead-lettered by the middleware
        event = topics.case_adapter.validate_json(record.value)
        delivery = CaseDelivery(event, record.value, province_of_topic(record.topic), record)
        await notify_case_event(parts, delivery)
