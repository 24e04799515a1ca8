"""Delivering a case event to its province's webhook: whether there is one, and what a failure is.

Each province system has its own webhook; the event is sent to the webhook of the province
whose case topic carried it, so a cross-province group reaches every side once.
"""

from dataclasses import dataclass
from uuid import UUID

from xueji_contracts.enums import Channel
from xueji_contracts.notifications import NotificationFailed

PRODUCER = "xueji-notify"


@dataclass(frozen=True)
class Webhook:
    province_code: str
    url: str
    secret: bytes


@dataclass
class Outcome:
    """What became of one delivery after its retries."""

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
