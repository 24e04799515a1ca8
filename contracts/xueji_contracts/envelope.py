"""The common envelope every message carries.

The envelope travels **inside the JSON body** as ordinary fields (not as Kafka
headers): a consumer that reads only the body has everything, dead letters keep it,
and the JSON Schemas describe it. Field names follow CloudEvents where one exists
(``event_id`` ↔ ``id``, ``occurred_at`` ↔ ``time``, ``producer`` ↔ ``source``,
``event_type`` ↔ ``type``). The Kafka key is named per topic in ``topics.py``.
"""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SCHEMA_VERSION = "1.0"

OrgCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9A-Za-z]{6,20}$"),
    Field(description="Organisation code: a 6-digit division code for a bureau, or a school code.",
          examples=["110105", "1101050001"]),
]
DivisionCode = Annotated[
    str,
    StringConstraints(pattern=r"^\d{6}$"),
    Field(description="GB/T 2260 six-digit administrative division code.", examples=["110105"]),
]
RegistryNumber = Annotated[
    str,
    StringConstraints(pattern=r"^[GJL][0-9X]{18}$"),
    Field(description="学籍号: G, J or L followed by 18 characters.",
          examples=["L110105201203045678"]),
]


def _now() -> datetime:
    return datetime.now(UTC)


class Contract(BaseModel):
    """Base of every contract model: frozen, and tolerant of fields added later."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=False)


class Envelope(Contract):
    """Fields every event and command carries."""

    event_id: UUID = Field(default_factory=uuid4, description="Unique id; consumers deduplicate on it.",
                           examples=["8f0e4c52-7a5e-4c39-9a52-55f0b2a4c9b1"])
    occurred_at: datetime = Field(default_factory=_now, description="When it happened (UTC, RFC 3339).",
                                  examples=["2026-11-23T08:00:00Z"])
    producer: str = Field(description="Service or system that produced the message.",
                          examples=["xueji-dedup"])
    correlation_id: UUID | None = Field(default=None,
                                        description="Id shared by every message of one business flow.")
    causation_id: UUID | None = Field(default=None,
                                      description="event_id of the message that caused this one.")
    schema_version: str = Field(default=SCHEMA_VERSION, pattern=r"^\d+\.\d+$",
                                description="Contract version major.minor; the major is in the topic name.",
                                examples=[SCHEMA_VERSION])

    def caused(self) -> dict[str, UUID | None]:
        """Envelope fields for a message caused by this one."""
        return {"correlation_id": self.correlation_id or self.event_id, "causation_id": self.event_id}
