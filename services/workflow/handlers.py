"""Subscribers of the workflow: dedup's problem events open and update cases."""

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from xueji_contracts import topics

from .cases import Cases
from .settings import WorkflowSettings


def register_handlers(broker: KafkaBroker, settings: WorkflowSettings, cases: Cases) -> None:
    @broker.subscriber(
        topics.PROBLEMS,
        group_id=f"{settings.CONSUMER_GROUP}.problems",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_problem(event: topics.ProblemMessage) -> None:
        """Problem groups found by dedup: open a case, or bring its members up to date."""
        await cases.on_problem(event)
