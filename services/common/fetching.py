"""Idle consumers wait between empty fetches instead of polling in a loop.

A Kafka broker holds a fetch until data arrives or ``fetch_max_wait_ms`` passes, so an
idle consumer sends a few requests a second. Some Kafka-protocol brokers (the local
stack's among them) answer an empty fetch at once; aiokafka then sends the next fetch
straight away, and every idle consumer burns most of a core. This waits out the rest of
the interval on the client when a fetch came back empty early. Against a broker that
holds fetches the interval has already passed, so nothing changes there.

aiokafka offers no hook for this: the wrapper replaces ``Fetcher._proc_fetch_request``
(one fetch to one broker node, returning whether it added records), and is installed
once per process by ``make_broker``. aiokafka is pinned in ``uv.lock``; the integration
test ``test_idle_consumer_waits_between_empty_fetches`` fails if a new version changes
that method.
"""

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiokafka.consumer.fetcher import Fetcher

FetchOne = Callable[..., Coroutine[Any, Any, bool]]
_original: FetchOne = Fetcher._proc_fetch_request
_interval = 0.0


def paced(fetch: FetchOne) -> FetchOne:
    """``fetch`` that, when it added no records, returns no sooner than the pacing interval."""

    @functools.wraps(fetch)
    async def fetch_paced(self: Any, *args: Any) -> bool:
        started = time.monotonic()
        added = await fetch(self, *args)
        rest = _interval - (time.monotonic() - started)
        if not added and rest > 0:
            try:
                await asyncio.sleep(rest)
            except asyncio.CancelledError:
                return False  # closing or unassigned, as aiokafka's own fetch answers then
        return added

    return fetch_paced


def pace_empty_fetches(interval_ms: int) -> None:
    """Make every consumer of this process wait ``interval_ms`` after an early empty fetch (0: off)."""
    global _interval
    _interval = interval_ms / 1000
    if Fetcher._proc_fetch_request is _original:
        Fetcher._proc_fetch_request = paced(_original)
