"""Commands the workflow sends to dedup once a bureau approved a change."""

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field

from .enums import Gender, IdType
from .envelope import Contract, Envelope, RegistryNumber


class AmendedFields(Contract):
    """New values; a field left out keeps its value."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    gender: Gender | None = None
    birth_date: date | None = None
    id_type: IdType | None = None
    id_number: str | None = Field(default=None, max_length=40)


class MemberCommand(Envelope):
    """A command about one member of a group (the commands below differ in ``event_type``)."""

    group_id: UUID
    registry_number: RegistryNumber


class ApplyAmendment(MemberCommand):
    """Apply an approved amendment (变更) and run dedup again for the record."""

    event_type: Literal["command.apply_amendment"] = "command.apply_amendment"
    changes: AmendedFields


class DeleteRecord(MemberCommand):
    """Delete a record (删除) whose deletion was confirmed (and reviewed where needed)."""

    event_type: Literal["command.delete_record"] = "command.delete_record"


class MarkAttestedDistinct(Envelope):
    """These records were attested as distinct people; never flag this set again."""

    event_type: Literal["command.mark_attested_distinct"] = "command.mark_attested_distinct"
    group_id: UUID
    registry_numbers: tuple[RegistryNumber, ...] = Field(min_length=2)


class MarkFormal(MemberCommand):
    """An attestation or amendment was approved: the record becomes formal (正式学籍)."""

    event_type: Literal["command.mark_formal"] = "command.mark_formal"


class AcceptIdProblem(MemberCommand):
    """An attestation of an ID problem was approved: accept this record's identity as it is now."""

    event_type: Literal["command.accept_id_problem"] = "command.accept_id_problem"
