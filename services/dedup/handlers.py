"""Subscribers of the dedup service: decode, map to changes, apply, publish."""

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import Counter
from xueji_contracts import topics
from xueji_contracts.commands import (
    AcceptIdProblem,
    ApplyAmendment,
    DeleteRecord,
    MarkAttestedDistinct,
    MarkFormal,
)
from xueji_contracts.population import PopulationVerificationResult
from xueji_contracts.students import StudentDeleted

from services.common.deadletter import DeadLetters
from services.common.kafka import instance_of

from . import changes
from .adapters.relay import OutboxRelay
from .indexer import Change, Indexer
from .settings import DedupSettings

log = logging.getLogger(__name__)
PROCESSED = Counter("xueji_dedup_messages_total", "Messages applied to the identity index", ["topic"])


# One consumer group per subscriber: a rebalance of one topic's consumers never stalls another's.
def register_handlers(broker: KafkaBroker, settings: DedupSettings, indexer: Indexer, relay: OutboxRelay,
                      dead_letters: DeadLetters, today: Callable[[], date]) -> None:
    pepper = settings.PEPPER.get_secret_value().encode()

    async def apply(batch: list[Change], topic: str) -> None:
        produced = await indexer.apply(batch)
        await relay.publish(produced)
        PROCESSED.labels(topic).inc(len(batch))

    def to_change(body: Any) -> Change:
        if isinstance(body, StudentDeleted):
            return changes.upstream_deleted(body)
        return changes.registered(body, pepper, today())

    async def on_registrations(message: KafkaMessage) -> None:
        """Registrations from schools: re-index each record, find duplicates and ID problems."""
        registrations = await dead_letters.decode_batch(message, topics.registration_adapter.validate_json)
        await apply([to_change(r) for r in registrations], topics.REGISTRATIONS)

    for n in range(settings.REGISTRATION_CONSUMERS):
        broker.subscriber(topics.REGISTRATIONS, group_id=f"{settings.CONSUMER_GROUP}.registrations",
                          group_instance_id=instance_of(settings, f"registrations-{n}"), batch=True,
                          max_records=settings.BATCH_MAX_RECORDS, batch_timeout_ms=settings.BATCH_TIMEOUT_MS,
                          auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR,
                          # the consumers of one process join together: each join is a rebalance
                          # the others learn of at their next heartbeat (default every 3 s)
                          heartbeat_interval_ms=1000)(on_registrations)

    @broker.subscriber(topics.DEDUP_COMMANDS, group_id=f"{settings.CONSUMER_GROUP}.commands",
                       group_instance_id=instance_of(settings, "commands"),
                       auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR)
    async def on_command(command: topics.DedupCommand) -> None:
        """Approved decisions of the workflow: amend, delete, mark formal, mark attested-distinct."""
        match command:
            case ApplyAmendment():
                change = changes.apply_amendment(command, pepper, today())
            case DeleteRecord():
                change = changes.delete_record(command)
            case MarkFormal():
                change = changes.mark_formal(command)
            case MarkAttestedDistinct():
                change = changes.mark_attested_distinct(command, pepper)
            case AcceptIdProblem():
                change = changes.accept_id_problem(command)
        await apply([change], topics.DEDUP_COMMANDS)

    @broker.subscriber(topics.POPULATION_RESULTS, group_id=f"{settings.CONSUMER_GROUP}.population",
                       group_instance_id=instance_of(settings, "population"),
                       batch=True,
                       max_records=settings.BATCH_MAX_RECORDS, batch_timeout_ms=settings.BATCH_TIMEOUT_MS,
                       auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR)
    async def on_population_results(message: KafkaMessage) -> None:
        """Answers of the population database: not found, name mismatch or changed raise a problem."""
        results = await dead_letters.decode_batch(message, PopulationVerificationResult.model_validate_json)
        await apply([changes.population_result(r) for r in results], topics.POPULATION_RESULTS)
