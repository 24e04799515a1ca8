"""Delivering a case event to its province's webhook: whether there is one, and what a failure is.

Each province system has its own webhook; the event is sent to the webhook of the province
whose case topic carried it, so a cross-province group reaches every side once.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from xueji_contracts.enums import Channel
from xueji_contracts.notifications import NotificationFailed

PRODUCER = "xueji-notify"


@dataclass(frozen=True)
class Webhook:
    province_code: str
    url: str
    secret: bytes


@dataclass(frozen=True)
class Attempt:
    """What one attempt to deliver got: delivered, worth another try (``retry_after`` if the endpoint
    asked for a pause), or final (a 4xx: the endpoint will never take it)."""

    delivered: bool
    final: bool = False
    reason: str = ""
    retry_after: float | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery job at its end."""

    delivered: bool
    attempts: int
    reason: str = ""


def webhook_for(province: str, url: str | None, secret: str | None) -> Webhook | None:
    """A province's webhook is used only with both its address and its signing secret."""
    if not url or secret is None:
        return None
    return Webhook(province, url, secret.encode())


def failure_reason(webhook: Webhook, outcome: Outcome) -> str:
    """Why the event is parked (``xueji dlq replay`` sends it to the webhook again)."""
    return f"webhook {webhook.province_code}: {outcome.reason}"


def failure_notice(event_id: UUID, webhook: Webhook, outcome: Outcome) -> NotificationFailed:
    """The event telling operators the province system did not get this case event."""
    return NotificationFailed(
        producer=PRODUCER,
        case_event_id=event_id,
        recipient_code=webhook.province_code,
        channel=Channel.WEBHOOK,
        attempts=outcome.attempts,
        reason=outcome.reason,
    )


# Durable delivery jobs (one per endpoint and event): when to try again, and the endpoint's circuit.

@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with jitter over a long horizon; ``Retry-After`` is honoured."""

    base_seconds: float = 1.0
    max_seconds: float = 600.0
    horizon: timedelta = timedelta(hours=24)

    def next_attempt(self, attempts: int, first_queued: datetime, now: datetime, jitter: float,
                     retry_after: float | None = None) -> datetime | None:
        """When to try a job again after its ``attempts``-th failure; None: its horizon is over (park it).
        ``jitter`` is drawn in [0, 1): the delay is spread over ±50 % so endpoints recovering together
        are not hit by every job at once."""
        delay = min(self.max_seconds, self.base_seconds * 2 ** (attempts - 1)) * (0.5 + jitter)
        if retry_after is not None:  # the endpoint's own pause, even beyond the usual back-off
            delay = max(delay, retry_after)
        at = now + timedelta(seconds=delay)
        return at if at <= first_queued + self.horizon else None


class CircuitState(StrEnum):
    CLOSED = "closed"  # deliveries go
    OPEN = "open"  # paused after repeated failures: its jobs wait, nothing else slows down
    HALF_OPEN = "half_open"  # one probe may go; its answer closes or re-opens the circuit


@dataclass(frozen=True)
class Circuit:
    """The circuit of one endpoint: consecutive failures open it, for longer each time it re-opens."""

    failures: int = 0
    opened: int = 0  # how many times in a row it opened (its pause doubles)
    open_until: datetime | None = None

    def state(self, now: datetime) -> CircuitState:
        if self.open_until is None:
            return CircuitState.CLOSED
        return CircuitState.OPEN if now < self.open_until else CircuitState.HALF_OPEN

    def succeeded(self) -> "Circuit":
        return Circuit()

    def failed(self, now: datetime, threshold: int, pause: timedelta, max_pause: timedelta) -> "Circuit":
        """One more failure; the threshold reached (or a failed probe) opens it."""
        failures = self.failures + 1
        if failures < threshold and self.open_until is None:
            return Circuit(failures=failures)
        opened = self.opened + 1
        until = now + min(max_pause, pause * 2 ** (opened - 1))
        return Circuit(failures=failures, opened=opened, open_until=until)
