"""The notify subscriber: every case event of this shard's provinces → inboxes and the webhook.

Messages of one partition are handled one after the other, so one group's deliveries stay
in order; a webhook that fails after its last attempt parks the event in the dead-letter
topic (``xueji dlq replay`` sends it back) and the next event goes on.
"""

import json
import logging
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from xueji_contracts import topics
from xueji_contracts.cases import GroupOpened, MembersChanged
from xueji_contracts.enums import Channel
from xueji_contracts.notifications import NotificationFailed

from services.common.deadletter import DeadLetters, PoisonMessage
from services.common.kafka import instance_of

from .adapters.store import NotifyStore
from .adapters.webhooks import WebhookSender
from .domain.recipients import recipients
from .settings import NotifySettings

log = logging.getLogger(__name__)
SERVICE = "xueji-notify"


def province_of_topic(topic: str) -> str:
    return topic.split(".")[2]


def register_handlers(
    broker: KafkaBroker,
    settings: NotifySettings,
    store: NotifyStore,
    sender: WebhookSender,
    dead_letters: DeadLetters,
) -> None:
    case_topics = [topics.case_topic(code) for code in settings.PROVINCE_CODES]

    @broker.subscriber(
        *case_topics,
        group_id=f"{settings.CONSUMER_GROUP}.cases",
        group_instance_id=instance_of(settings, "cases"),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_case_event(message: KafkaMessage) -> None:
        """Case events of this shard's provinces: inboxes of the parties, and the province's webhook."""
        record: Any = message.raw_message  # one record: this subscriber is not a batch one
        event = topics.case_adapter.validate_json(
            record.value
        )  # a bad body is dead-lettered by the middleware
        group = str(event.group_id)
        if isinstance(event, GroupOpened | MembersChanged):
            await store.learn_members(
                group,
                {m.registry_number: (m.school_code, m.district_code, m.province_code) for m in event.members},
            )
        members = await store.members(group)
        await store.deliver_to_inbox(json.loads(record.value), recipients(event, members))
        province = province_of_topic(record.topic)
        url, secret = settings.WEBHOOK_URLS.get(province), settings.WEBHOOK_SECRETS.get(province)
        event_id = str(event.event_id)
        if not url or secret is None or await store.delivered(url, event_id):
            return
        outcome = await sender.deliver(url, secret.get_secret_value().encode(), event_id, record.value)
        if outcome.delivered:
            await store.mark_delivered(url, event_id, outcome.attempts)
            return
        await dead_letters.park(record, PoisonMessage(f"webhook {province}: {outcome.reason}"))
        failed = NotificationFailed(
            producer=SERVICE,
            case_event_id=event.event_id,
            recipient_code=province,
            channel=Channel.WEBHOOK,
            attempts=outcome.attempts,
            reason=outcome.reason,
        )
        await broker.publish(failed, topics.NOTIFICATIONS, key=province.encode())
