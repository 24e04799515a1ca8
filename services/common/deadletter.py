"""The dead-letter path: a message that can never succeed is parked, and the consumer goes on.

* Permanent failures (the body does not validate, the JSON is malformed, or a handler
  raises ``PoisonMessage``) go to the dead-letter topic at once.
* Infrastructure failures (database or broker unreachable) are never dead-lettered: the
  message is nacked and read again once the dependency is back.
* Any other error is retried a few times with backoff, then dead-lettered.
* Poison stays alone: in a batch each record is decoded and validated on its own, and a
  record whose header is not UTF-8 is parked by itself (``tolerant_parser`` marks it
  instead of failing the whole batch before any handler runs). Anything that still fails
  before the handler (parsing) is parked too, never nacked forever or dropped unseen.

The dead letter keeps the original body and headers and adds where it came from and why.
``xueji dlq replay`` sends dead letters back to their source topic.
"""

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from faststream import BaseMiddleware, ContextRepo
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from prometheus_client import Counter
from pydantic import ValidationError
from pymongo.errors import AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError
from xueji_contracts.topics import DEAD_LETTERS

from .logs import redact

log = logging.getLogger(__name__)
T = TypeVar("T")

DEAD_LETTERED = Counter("xueji_dead_letters_total", "Messages sent to the dead-letter topic",
                        ["service", "topic", "kind"])

SOURCE_TOPIC = "x-dlq-source-topic"
SOURCE_PARTITION = "x-dlq-source-partition"
SOURCE_OFFSET = "x-dlq-source-offset"
ERROR, SERVICE, FAILED_AT = "x-dlq-error", "x-dlq-service", "x-dlq-failed-at"


class PoisonMessage(Exception):
    """Raised by a handler for a message that no retry can ever make succeed."""


PERMANENT = (ValidationError, json.JSONDecodeError, UnicodeDecodeError, RecursionError, PoisonMessage)
UNDECODABLE = "x-xueji-undecodable-header"  # set by tolerant_parser on a record it had to repair
TRANSIENT = (ConnectionFailure, AutoReconnect, ServerSelectionTimeoutError,
             KafkaConnectionError, KafkaTimeoutError, ConnectionError)


def _records(msg: StreamMessage[Any]) -> tuple[Any, ...]:
    return _records_of(msg.raw_message)


def _records_of(raw: Any) -> tuple[Any, ...]:
    return tuple(raw) if isinstance(raw, tuple | list) else (raw,)


def _tolerant(record: Any) -> Any:
    """The record itself, or, when a header value is not UTF-8, a copy with that value repaired
    and the header's name under ``UNDECODABLE`` (the dead-letter path parks such a record)."""
    if not isinstance(record, ConsumerRecord):  # the in-memory test broker builds its own records
        return record
    bad = []
    for name, value in record.headers or ():
        try:
            value.decode()
        except (UnicodeDecodeError, AttributeError):
            bad.append(name)
    if not bad:
        return record
    headers = [(name, value.decode("utf-8", "replace").encode() if isinstance(value, bytes) else b"")
               for name, value in record.headers]
    return dataclasses.replace(record, headers=[*headers, (UNDECODABLE, ",".join(bad).encode())])


async def tolerant_parser(msg: Any, original: Callable[[Any], Awaitable[StreamMessage[Any]]]
                          ) -> StreamMessage[Any]:
    """FastStream's parser, after repairing undecodable headers record by record."""
    batch = isinstance(msg, tuple | list)  # the in-memory test broker hands a batch over as a list
    return await original(tuple(map(_tolerant, msg)) if batch else _tolerant(msg))


async def raw_batch_decoder(msg: StreamMessage[Any], _: Any) -> Any:
    """A batch's raw bodies: each is decoded on its own by ``DeadLetters.decode_batch``."""
    return msg.body


def _undecodable(record: Any) -> str | None:
    return next((v.decode() for k, v in record.headers or () if k == UNDECODABLE), None)


class DeadLetters:
    """Sends failed messages to ``xueji.deadletters.v1``; shared by a service's subscribers."""

    def __init__(self, service: str, attempts: int = 3, backoff_seconds: float = 0.2) -> None:
        self.service = service
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self._broker: KafkaBroker | None = None

    def bind(self, broker: KafkaBroker) -> None:
        self._broker = broker

    def middleware(self, msg: Any, /, *, context: ContextRepo) -> "DeadLetterMiddleware":
        return DeadLetterMiddleware(msg, context=context, dead_letters=self)

    async def decode_batch(self, message: StreamMessage[Any], validate: Callable[[bytes], T]) -> list[T]:
        """Decode every record of a batch; park the ones that never will (one bad record never
        holds up the rest)."""
        return [item for item, _ in await self.decode_records(message, validate)]

    async def decode_records(self, message: StreamMessage[Any], validate: Callable[[bytes], T]
                             ) -> list[tuple[T, Any]]:
        """``decode_batch``, each decoded record with the record itself."""
        decoded: list[tuple[T, Any]] = []
        for record in _records(message):
            if (header := _undecodable(record)) is not None:
                await self.park(record, PoisonMessage(f"header {header} is not UTF-8"))
                continue
            try:
                decoded.append((validate(record.value), record))
            except Exception as error:  # any failure of one record is that record's alone
                await self.park(record, error)
        return decoded

    async def handle_batch(self, decoded: list[tuple[T, Any]],
                           handle: Callable[[list[T]], Awaitable[object]]) -> None:
        """Handle a batch's decoded records together; when that fails other than transiently, one at
        a time, so that only a record that fails on its own is parked (after its retries) and the
        others are handled. The handler is idempotent: what the failed attempt wrote is written again
        harmlessly. A transient failure is raised: the batch is nacked and read again."""
        if not decoded:
            return
        try:
            await handle([item for item, _ in decoded])
            return
        except TRANSIENT:
            raise
        except Exception as error:
            log.warning("batch failed, handling its records one at a time",
                        extra={"records": len(decoded), "error_type": type(error).__name__})
        for item, record in decoded:
            for attempt in range(1, self.attempts + 1):
                try:
                    await handle([item])
                    break
                except TRANSIENT:
                    raise
                except Exception as error:
                    if isinstance(error, PERMANENT) or attempt == self.attempts:
                        await self.park(record, error)
                        break
                    await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))

    async def park(self, record: Any, error: BaseException) -> None:
        """Publish one raw record to the dead-letter topic with its origin and the reason."""
        if self._broker is None:
            raise RuntimeError("DeadLetters.bind() was not called")
        headers = {k: v.decode("utf-8", "replace") for k, v in (record.headers or ())}
        headers.update({
            SOURCE_TOPIC: record.topic,
            SOURCE_PARTITION: str(record.partition),
            SOURCE_OFFSET: str(record.offset),
            SERVICE: self.service,
            ERROR: redact(f"{type(error).__name__}: {error}")[:2000],
            FAILED_AT: datetime.now(UTC).isoformat(),
        })
        await self._broker.publish(record.value or b"", DEAD_LETTERS, key=record.key,
                                   headers=headers)
        kind = "permanent" if isinstance(error, PERMANENT) else "exhausted"
        DEAD_LETTERED.labels(self.service, record.topic, kind).inc()
        log.warning("message dead-lettered", extra={
            "topic": record.topic, "partition": record.partition, "offset": record.offset,
            "error_type": type(error).__name__})


class DeadLetterMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, dead_letters: DeadLetters) -> None:
        super().__init__(msg, context=context)
        self.dead_letters = dead_letters

    async def after_processed(self, exc_type: type[BaseException] | None = None,
                              exc_val: BaseException | None = None, exc_tb: Any = None) -> bool | None:
        """A failure before the handler ran (parsing): park the message instead of nacking it
        forever. Transient failures still nack; the handler's own failures never reach here."""
        if not isinstance(exc_val, Exception) or isinstance(exc_val, TRANSIENT):
            return False
        for record in _records_of(self.msg):
            if record.topic != DEAD_LETTERS:
                await self.dead_letters.park(record, exc_val)
        return True

    async def consume_scope(self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
                            msg: StreamMessage[Any]) -> Any:
        raw = msg.raw_message
        if not isinstance(raw, tuple | list) and (header := _undecodable(raw)) is not None:
            if raw.topic != DEAD_LETTERS:  # never loop on the dead-letter topic
                await self.dead_letters.park(raw, PoisonMessage(f"header {header} is not UTF-8"))
            return None
        attempts = self.dead_letters.attempts
        for attempt in range(1, attempts + 1):
            try:
                return await call_next(msg)
            except TRANSIENT:
                await asyncio.sleep(self.dead_letters.backoff_seconds)
                raise  # nacked: read again when the dependency is back
            except Exception as error:
                if isinstance(error, PERMANENT) or attempt == attempts:
                    for record in _records(msg):
                        if record.topic == DEAD_LETTERS:  # never loop on the dead-letter topic
                            log.error("dead letter could not be handled",
                                      extra={"offset": record.offset, "error_type": type(error).__name__})
                            continue
                        await self.dead_letters.park(record, error)
                    return None
                log.warning("handler failed, retrying",
                            extra={"attempt": attempt, "error_type": type(error).__name__})
                await asyncio.sleep(self.dead_letters.backoff_seconds * 2 ** (attempt - 1))
        return None
