"""Signed webhooks: how notify signs a delivery and how a province system checks it.

Headers of every delivery:

* ``X-Xueji-Event-Id``: the event's id; a receiver drops an id it has seen (``SeenEvents``).
* ``X-Xueji-Timestamp``: Unix seconds when the delivery was signed.
* ``X-Xueji-Signature``: ``v2=`` + hex HMAC-SHA256 over ``"<timestamp>.<event id>.<body>"``
  with the province's secret, so neither the body nor the event id can be swapped.

Transition: signatures ``v1=`` (HMAC over ``"<timestamp>.<body>"``, which left the event id
unsigned) are still accepted by ``verify`` while ``accept_v1`` is true, its default in the
1.x contracts; they stop being accepted with contracts 2.0. Receivers upgrade first, then
the sender signs ``v2`` only.

A receiver recomputes the signature over the raw body and refuses a timestamp outside its
window (a replay)::

    from xueji_contracts.webhooks import SeenEvents, verify
    seen = SeenEvents()
    ok = verify(secret, request.headers, raw_body) and seen.first_time(request.headers[EVENT_ID])
"""

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Mapping

EVENT_ID = "X-Xueji-Event-Id"
TIMESTAMP = "X-Xueji-Timestamp"
SIGNATURE = "X-Xueji-Signature"
WINDOW_SECONDS = 300


def _hmac(secret: bytes, *parts: bytes) -> str:
    return hmac.new(secret, b".".join(parts), hashlib.sha256).hexdigest()


def signature(secret: bytes, timestamp: int, body: bytes, event_id: str | None = None) -> str:
    """``v2`` over timestamp, event id and body; without an event id the old ``v1``."""
    if event_id is None:
        return "v1=" + _hmac(secret, str(timestamp).encode(), body)
    return "v2=" + _hmac(secret, str(timestamp).encode(), event_id.encode(), body)


def sign(secret: bytes, event_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers of a delivery."""
    timestamp = int(now if now is not None else time.time())
    return {
        EVENT_ID: event_id,
        TIMESTAMP: str(timestamp),
        SIGNATURE: signature(secret, timestamp, body, event_id),
        "Content-Type": "application/json",
    }


def verify(
    secret: bytes,
    headers: Mapping[str, str],
    body: bytes,
    window_seconds: int = WINDOW_SECONDS,
    now: float | None = None,
    accept_v1: bool = True,
) -> bool:
    """True when the body (and, for ``v2``, the event id) is signed with ``secret`` and the
    timestamp is within the window. Any missing or malformed header is False, never an error."""
    try:
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        timestamp = int(lowered[TIMESTAMP.lower()])
        given = lowered[SIGNATURE.lower()].strip()
        current = now if now is not None else time.time()
        if abs(current - timestamp) > window_seconds:
            return False
        if given.startswith("v2="):
            expected = signature(secret, timestamp, body, lowered[EVENT_ID.lower()])
        elif given.startswith("v1=") and accept_v1:
            expected = signature(secret, timestamp, body)
        else:
            return False
        # bytes, so that a header with non-ASCII characters compares as unequal instead of raising
        return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())
    except (KeyError, ValueError, TypeError, OverflowError):
        return False


class SeenEvents:
    """The event ids a receiver has handled recently: a redelivered or replayed id is dropped.

    Delivery is at least once (a retry after a lost answer sends the event again); keep this
    (or the same check against the receiver's own database) in front of the handling."""

    def __init__(self, remember: int = 100_000) -> None:
        self.remember = remember
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        if event_id in self._seen:
            self._seen.move_to_end(event_id)
            return False
        self._seen[event_id] = None
        if len(self._seen) > self.remember:
            self._seen.popitem(last=False)
        return True
