"""Subscribers of the workflow: dedup's problem events open and update cases; stored evidence
becomes citable. Each decodes its contract and calls one use case."""

from faststream.kafka import KafkaBroker
from xueji_contracts import topics
from xueji_contracts.evidence import EvidenceStored

from services.common.kafka import subscriber

from .settings import WorkflowSettings
from .usecases import Cases, apply_problem, record_evidence


def register_handlers(broker: KafkaBroker, settings: WorkflowSettings, cases: Cases) -> None:
    @subscriber(broker, settings, topics.PROBLEMS, group="problems")
    async def on_problem(event: topics.ProblemMessage) -> None:
        """Problem groups found by dedup: open a case, or bring its members up to date."""
        await apply_problem(cases, event)

    @subscriber(broker, settings, topics.EVIDENCE, group="evidence")
    async def on_evidence(event: EvidenceStored) -> None:
        """Evidence stored for a member: actions may cite it."""
        await record_evidence(cases, event)
