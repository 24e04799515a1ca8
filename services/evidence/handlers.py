"""Subscribers of the evidence service: case events tell it who the members and arbiters are."""

from faststream.kafka import KafkaBroker
from xueji_contracts import topics
from xueji_contracts.provinces import PROVINCES

from services.common.kafka import subscriber

from .ports import RecordStore
from .settings import EvidenceSettings
from .usecases import learn_parties


def register_handlers(broker: KafkaBroker, settings: EvidenceSettings, records: RecordStore) -> None:
    case_topics = [topics.case_topic(code) for code in PROVINCES]

    @subscriber(broker, settings, *case_topics, group="cases")
    async def on_case_event(event: topics.CaseMessage) -> None:
        """Members of opened groups and their arbiters: who may upload and read evidence (idempotent)."""
        await learn_parties(records, event)
