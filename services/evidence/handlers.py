"""Subscribers of the evidence service: case events tell it who the members and arbiters are."""

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from xueji_contracts import topics
from xueji_contracts.cases import ArbitrationStateChanged, GroupOpened, MembersChanged
from xueji_contracts.provinces import PROVINCES

from services.common.kafka import instance_of

from .adapters.records import Records
from .settings import EvidenceSettings


def register_handlers(broker: KafkaBroker, settings: EvidenceSettings, records: Records) -> None:
    case_topics = [topics.case_topic(code) for code in PROVINCES]

    @broker.subscriber(
        *case_topics,
        group_id=f"{settings.CONSUMER_GROUP}.cases",
        group_instance_id=instance_of(settings, "cases"),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_case_event(event: topics.CaseMessage) -> None:
        """Members of opened groups and their arbiters: who may upload and read evidence (idempotent)."""
        if isinstance(event, GroupOpened | MembersChanged):
            await records.learn_members(
                event.group_id,
                {
                    m.registry_number: {
                        "school_code": m.school_code,
                        "district_code": m.district_code,
                        "province_code": m.province_code,
                    }
                    for m in event.members
                },
            )
        elif isinstance(event, ArbitrationStateChanged) and event.arbiter_code:
            await records.learn_arbiter(event.group_id, event.arbiter_code)
