"""Create the topics of the contract catalogue (idempotent: existing topics are kept)."""

from collections.abc import Callable
from dataclasses import replace

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from xueji_contracts.topics import DEAD_LETTERS, Topic, catalogue

from services.common.kafka import kafka_security
from services.common.settings import ServiceSettings

DAY_MS = 24 * 3600 * 1000


async def create_topics(settings: ServiceSettings, replication_factor: int,
                        case_partitions: dict[str, int] | None = None,
                        report: Callable[[str], None] = print,
                        dead_letter_retention_days: int | None = None) -> list[str]:
    """Create missing topics; ``case_partitions`` overrides a province topic's partitions and
    ``dead_letter_retention_days`` the dead-letter topic's retention (it holds full bodies,
    registrations included: keep it short)."""
    overrides = case_partitions or {}
    wanted: list[Topic] = [
        replace(t, retention_days=dead_letter_retention_days)
        if t.name == DEAD_LETTERS and dead_letter_retention_days else t
        for t in catalogue()
    ]
    security = kafka_security(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.KAFKA_BOOTSTRAP, client_id="xueji-cli",
                                **(security.get_requirements() if security else {}))  # type: ignore[attr-defined]
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            await admin.create_topics([
                NewTopic(t.name, overrides.get(t.name, t.partitions), replication_factor,
                         topic_configs={"retention.ms": str(t.retention_days * DAY_MS)})
                for t in missing
            ])
        for t in wanted:
            report(f"{'created' if t in missing else 'exists '} {t.name}")
        return [t.name for t in missing]
    finally:
        await admin.close()
