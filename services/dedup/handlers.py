"""Subscribers of the dedup service: decode, then one use case each."""

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import Counter
from xueji_contracts import topics

from services.common.deadletter import DeadLetters
from services.common.kafka import subscriber

from .settings import DedupSettings
from .usecases import Dedup, apply_command, apply_population_result, apply_registration

PROCESSED = Counter("xueji_dedup_messages_total", "Messages applied to the identity index", ["topic"])


def register_handlers(broker: KafkaBroker, settings: DedupSettings, dedup: Dedup,
                      dead_letters: DeadLetters) -> None:
    async def on_registrations(message: KafkaMessage) -> None:
        """Registrations from schools: re-index each record, find duplicates and ID problems."""
        registrations = await dead_letters.decode_records(message, topics.registration_adapter.validate_json)
        await dead_letters.handle_batch(registrations, lambda batch: apply_registration(dedup, batch))
        PROCESSED.labels(topics.REGISTRATIONS).inc(len(registrations))

    for n in range(settings.REGISTRATION_CONSUMERS):
        # the consumers of one process join together: each join is a rebalance the others
        # learn of at their next heartbeat (default every 3 s)
        subscriber(broker, settings, topics.REGISTRATIONS, group="registrations",
                   instance=f"registrations-{n}", batch=True, max_records=settings.BATCH_MAX_RECORDS,
                   batch_timeout_ms=settings.BATCH_TIMEOUT_MS, heartbeat_interval_ms=1000)(on_registrations)

    @subscriber(broker, settings, topics.DEDUP_COMMANDS, group="commands")
    async def on_command(command: topics.DedupCommand) -> None:
        """Approved decisions of the workflow: amend, delete, mark formal, mark attested-distinct."""
        await apply_command(dedup, command)
        PROCESSED.labels(topics.DEDUP_COMMANDS).inc()

    @subscriber(broker, settings, topics.POPULATION_RESULTS, group="population", batch=True,
                max_records=settings.BATCH_MAX_RECORDS, batch_timeout_ms=settings.BATCH_TIMEOUT_MS)
    async def on_population_results(message: KafkaMessage) -> None:
        """Answers of the population database: not found, name mismatch or changed raise a problem."""
        results = await dead_letters.decode_records(message, topics.population_result_adapter.validate_json)
        await dead_letters.handle_batch(results, lambda batch: apply_population_result(dedup, batch))
        PROCESSED.labels(topics.POPULATION_RESULTS).inc(len(results))
