"""Kafka broker set-up shared by every service: safe producer defaults, security, dead letters."""

import logging
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from .deadletter import DeadLetters, raw_batch_decoder, tolerant_parser
from .fetching import pace_empty_fetches
from .settings import ServiceSettings
from .telemetry import kafka_middlewares

Handler = TypeVar("Handler", bound=Callable[..., Any])

# Acknowledged by every in-sync replica: no loss. Order per partition holds without the idempotent
# producer, since aiokafka sends one request per broker at a time. A retry may write a message twice;
# every message carries its id and every consumer drops what it has seen. The idempotent producer is
# off on purpose: when a broker forgets a producer's sequence (a restart without producer state,
# an expired producer id), aiokafka answers OutOfOrderSequenceNumber to every later send and never
# recovers, so the outbox would stop until the process is restarted.
PRODUCER_OPTIONS = {"enable_idempotence": False, "acks": "all", "compression_type": "zstd"}


def kafka_security(settings: ServiceSettings) -> BaseSecurity | None:
    protocol = settings.KAFKA_SECURITY_PROTOCOL
    if protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context(cafile=settings.KAFKA_CA_FILE) if "SSL" in protocol else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    username = settings.KAFKA_SASL_USERNAME or ""
    password = settings.KAFKA_SASL_PASSWORD.get_secret_value() if settings.KAFKA_SASL_PASSWORD else ""
    scheme = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256,
              "SCRAM-SHA-512": SASLScram512}[settings.KAFKA_SASL_MECHANISM]
    return scheme(username=username, password=password, ssl_context=context,
                  use_ssl=protocol == "SASL_SSL")


def make_broker(settings: ServiceSettings, service: str, dead_letters: DeadLetters) -> KafkaBroker:
    """A broker whose subscribers send poison messages to the dead-letter topic."""
    pace_empty_fetches(settings.KAFKA_EMPTY_FETCH_WAIT_MS)
    broker = KafkaBroker(
        settings.KAFKA_BOOTSTRAP,
        client_id=service,
        security=kafka_security(settings),
        middlewares=[*kafka_middlewares(), dead_letters.middleware],  # trace context in the headers
        # Through the JSON log handler; one line per message only at DEBUG.
        logger=logging.getLogger("xueji.broker"),
        log_level=logging.DEBUG,
        **PRODUCER_OPTIONS,  # type: ignore[arg-type]
    )
    dead_letters.bind(broker)
    return broker


def instance_of(settings: ServiceSettings, purpose: str) -> str | None:
    """The static member id of one subscriber of this process (None: dynamic membership)."""
    return f"{settings.INSTANCE_ID}.{purpose}" if settings.INSTANCE_ID else None


def subscriber(broker: KafkaBroker, settings: ServiceSettings, *topics: str, group: str,
               instance: str | None = None, batch: bool = False, max_records: int | None = None,
               batch_timeout_ms: int = 200, **options: Any) -> Callable[[Handler], Handler]:
    """The one way a service subscribes, so no subscriber differs in what keeps messages safe.

    * Its own consumer group (``CONSUMER_GROUP.group``): a rebalance of one topic's consumers
      never stalls another's.
    * Static membership (``instance``, default ``group``) when ``XUEJI_INSTANCE_ID`` is set.
    * Acked only once handled (``NACK_ON_ERROR``): a crash reads the message again, and the
      handler is idempotent. Poison goes to the dead-letter topic (the broker's middleware,
      ``make_broker``), a record with an undecodable header too (``tolerant_parser``), and a
      batch's records are decoded one by one; fetch pacing is the broker's.
    * A new group starts at the earliest offset: nothing published before it first ran is lost.
    """
    if batch:  # each record is decoded on its own by DeadLetters.decode_batch
        options |= {"batch": True, "max_records": max_records, "batch_timeout_ms": batch_timeout_ms,
                    "decoder": raw_batch_decoder}
    decorate = broker.subscriber(
        *topics, group_id=f"{settings.CONSUMER_GROUP}.{group}",
        group_instance_id=instance_of(settings, instance or group),
        auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR, parser=tolerant_parser, **options)

    def register(handler: Handler) -> Handler:
        decorate(handler)
        return handler

    return register
