"""The Prometheus metrics every service process exports besides its own: HTTP, consumer lag, outbox.

* HTTP: ``http_requests_total`` and ``http_request_duration_seconds`` of
  prometheus-fastapi-instrumentator, labelled by the route *template*. A path no route matches
  is counted as ``none``: raw paths carry registry numbers, which are personal data. The
  operations routes are not counted, and the app's own ``/metrics`` route serves them all.
* ``xueji_consumer_lag``: what this process's consumers have not yet consumed, per group and
  topic, refreshed every ``LAG_REFRESH_SECONDS`` by a background loop (``refresh_consumer_lag``),
  with ``xueji_consumer_partitions``, how many distinct partitions they hold: summed over a group's
  processes it is the topic's partition count, unless the broker assigned some to no one.
* ``xueji_outbox_oldest_seconds`` and ``xueji_outbox_published_total``: set by the outbox relay.

The metrics are created once, at import, so that every app of a process (tests build many)
counts into the same series.
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Container, Iterable
from datetime import datetime
from typing import Any

from aiokafka.errors import KafkaError
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from prometheus_client import Counter, Gauge
from prometheus_fastapi_instrumentator import Instrumentator, metrics
from prometheus_fastapi_instrumentator.metrics import Info

log = logging.getLogger(__name__)

OPERATIONS_ROUTES = ["^/metrics$", "^/healthz$", "^/readyz$"]
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)  # seconds; a p99 up to 10 s
LAG_REFRESH_SECONDS = 5.0
LAG_CALL_TIMEOUT_SECONDS = 10.0


def _created(instrumentation: Callable[[Info], None] | None) -> Callable[[Info], None]:
    if instrumentation is None:  # the library returns None when the series exist already
        raise RuntimeError("the HTTP metrics are registered twice")
    return instrumentation


HTTP_REQUESTS = _created(metrics.requests())  # labels handler, method, status (2xx, 4xx, 5xx)
HTTP_DURATION = _created(metrics.latency(should_include_status=False, buckets=LATENCY_BUCKETS))

CONSUMER_LAG = Gauge("xueji_consumer_lag", "Messages on this process's assigned partitions not yet "
                     "consumed (end offset - position), summed per topic", ["group", "topic"])
CONSUMER_PARTITIONS = Gauge("xueji_consumer_partitions", "Distinct partitions of the topic assigned to this "
                             "process's consumers of the group", ["group", "topic"])
OUTBOX_OLDEST = Gauge("xueji_outbox_oldest_seconds", "Age of the oldest outbox entry the sweep found "
                      "not yet published (0 when none)", ["collection"])
OUTBOX_PUBLISHED = Counter("xueji_outbox_published_total", "Outbox entries published", ["topic"])
_LAG_SERIES: set[tuple[str, str]] = set()  # the (group, topic) series of CONSUMER_LAG now set


def instrument_http(app: FastAPI) -> None:
    """Count the app's requests by route template; it serves no route of its own."""
    Instrumentator(should_group_status_codes=True, should_group_untemplated=True,
                   excluded_handlers=OPERATIONS_ROUTES).add(HTTP_REQUESTS, HTTP_DURATION).instrument(app)


def consumers(broker: KafkaBroker) -> list[tuple[str, Any]]:
    """(group, aiokafka consumer) of every started subscriber of the broker."""
    found = []
    for sub in broker.subscribers:
        group = str(getattr(sub, "group_id", None) or "")
        for consumer in getattr(sub, "consumer_subgroup", None) or [getattr(sub, "consumer", None)]:
            if consumer is not None:
                found.append((group, consumer))
    return found


async def lag_of(consumer: Any) -> dict[tuple[str, int], int]:
    """Per assigned (topic, partition): end offset - position (one broker call)."""
    partitions = list(consumer.assignment())
    if not partitions:
        return {}
    ends = await consumer.end_offsets(partitions)
    return {(tp.topic, tp.partition): max(ends[tp] - await consumer.position(tp), 0) for tp in partitions}


async def refresh_consumer_lag(broker: KafkaBroker) -> None:
    """Set ``xueji_consumer_lag`` and ``xueji_consumer_partitions`` for every (group, topic) this
    process consumes. A series no consumer of the process measures any more is dropped; one whose
    consumer could not be measured is kept. A partition given to two consumers of the group in this
    process (a broker's fault: Kafka never does) is counted once, and logged."""
    held: dict[str, dict[tuple[str, int], int]] = defaultdict(dict)
    unmeasured: set[str] = set()
    for group, consumer in consumers(broker):
        try:
            async with asyncio.timeout(LAG_CALL_TIMEOUT_SECONDS):
                lag = await lag_of(consumer)
        except (TimeoutError, KafkaError) as error:  # joining, or the broker is away: measured next time
            log.info("consumer lag not measured", extra={"group": group, "error_type": type(error).__name__})
            unmeasured.add(group)
            continue
        for (topic, partition), behind in lag.items():
            if (topic, partition) in held[group]:
                log.warning("partition assigned to two consumers of this process",
                            extra={"group": group, "topic": topic, "partition": partition})
            held[group][topic, partition] = max(behind, held[group].get((topic, partition), 0))
    totals: dict[tuple[str, str], tuple[int, int]] = {}
    for group, partitions in held.items():
        for (topic, _), behind in partitions.items():
            lag_sum, count = totals.get((group, topic), (0, 0))
            totals[group, topic] = (lag_sum + behind, count + 1)
    for group, topic in _LAG_SERIES - set(totals):
        if group not in unmeasured:
            CONSUMER_LAG.remove(group, topic)
            CONSUMER_PARTITIONS.remove(group, topic)
            _LAG_SERIES.discard((group, topic))
    for (group, topic), (behind, count) in totals.items():
        CONSUMER_LAG.labels(group, topic).set(behind)
        CONSUMER_PARTITIONS.labels(group, topic).set(count)
        _LAG_SERIES.add((group, topic))


def observe_outbox(collection: str, found: Iterable[tuple[Any, int, list[dict[str, str]]]],
                   published: Container[str], now: datetime) -> None:
    """Set ``xueji_outbox_oldest_seconds`` from what a sweep found: (document id, version, entries).
    Entries this process published already (not yet emptied) and entries without a time are left out."""
    times = [datetime.fromisoformat(e["at"]) for _, _, entries in found for e in entries
             if e.get("at") and e.get("id") not in published]
    OUTBOX_OLDEST.labels(collection).set(max((now - min(times)).total_seconds(), 0.0) if times else 0.0)


def count_published(entries: Iterable[dict[str, str]]) -> None:
    for item in entries:
        OUTBOX_PUBLISHED.labels(item["topic"]).inc()
