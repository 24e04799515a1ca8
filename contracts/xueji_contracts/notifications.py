"""Outcomes of telling a party what it must do."""

from typing import Literal
from uuid import UUID

from pydantic import Field

from .enums import Channel
from .envelope import Envelope, OrgCode


class NotificationDelivered(Envelope):
    """A notification reached its recipient."""

    event_type: Literal["notification.delivered"] = "notification.delivered"
    case_event_id: UUID
    recipient_code: OrgCode
    channel: Channel
    attempts: int = Field(ge=1)


class NotificationFailed(Envelope):
    """A notification could not be delivered after its last attempt."""

    event_type: Literal["notification.failed"] = "notification.failed"
    case_event_id: UUID
    recipient_code: OrgCode
    channel: Channel
    attempts: int = Field(ge=1)
    reason: str
