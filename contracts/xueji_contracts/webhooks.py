"""Signed webhooks: how notify signs a delivery and how a province system checks it.

Headers of every delivery:

* ``X-Xueji-Event-Id``: the event's id; a receiver drops an id it has seen.
* ``X-Xueji-Timestamp``: Unix seconds when the delivery was signed.
* ``X-Xueji-Signature``: ``v1=`` + hex HMAC-SHA256 over ``"<timestamp>.<body>"`` with the
  province's secret.

A receiver recomputes the signature over the raw body and refuses a timestamp outside its
window (a replay)::

    from xueji_contracts.webhooks import verify
    ok = verify(secret, request.headers, raw_body)
"""

import hashlib
import hmac
import time
from collections.abc import Mapping

EVENT_ID = "X-Xueji-Event-Id"
TIMESTAMP = "X-Xueji-Timestamp"
SIGNATURE = "X-Xueji-Signature"
WINDOW_SECONDS = 300


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    return "v1=" + hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, event_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers of a delivery."""
    timestamp = int(now if now is not None else time.time())
    return {
        EVENT_ID: event_id,
        TIMESTAMP: str(timestamp),
        SIGNATURE: signature(secret, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(
    secret: bytes,
    headers: Mapping[str, str],
    body: bytes,
    window_seconds: int = WINDOW_SECONDS,
    now: float | None = None,
) -> bool:
    """True when the body is signed with ``secret`` and the timestamp is within the window."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lowered[TIMESTAMP.lower()])
        given = lowered[SIGNATURE.lower()]
    except (KeyError, ValueError):
        return False
    current = now if now is not None else time.time()
    if abs(current - timestamp) > window_seconds:
        return False
    return hmac.compare_digest(given, signature(secret, timestamp, body))
