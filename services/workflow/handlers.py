"""Subscribers of the workflow: dedup's problem events open and update cases."""

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from xueji_contracts import topics
from xueji_contracts.evidence import EvidenceStored

from services.common.kafka import instance_of

from .cases import Cases
from .settings import WorkflowSettings


def register_handlers(broker: KafkaBroker, settings: WorkflowSettings, cases: Cases) -> None:
    @broker.subscriber(
        topics.PROBLEMS,
        group_id=f"{settings.CONSUMER_GROUP}.problems",
        group_instance_id=instance_of(settings, "problems"),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_problem(event: topics.ProblemMessage) -> None:
        """Problem groups found by dedup: open a case, or bring its members up to date."""
        await cases.on_problem(event)

    @broker.subscriber(
        topics.EVIDENCE,
        group_id=f"{settings.CONSUMER_GROUP}.evidence",
        group_instance_id=instance_of(settings, "evidence"),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_evidence(event: EvidenceStored) -> None:
        """Evidence stored for a member: actions may cite it."""
        await cases.store.add_evidence(event.evidence_id, event.group_id, event.registry_number)
