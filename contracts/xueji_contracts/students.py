"""Registrations (学籍) as upstream province systems and file imports publish them."""

from datetime import date
from typing import Literal

from pydantic import Field

from .enums import Gender, IdType, RecordStatus
from .envelope import Contract, DivisionCode, Envelope, OrgCode, RegistryNumber


class StudentRecord(Contract):
    """One student record as registered by its school."""

    registry_number: RegistryNumber
    name: str = Field(min_length=1, max_length=100, description="Name as registered.", examples=["张三"])
    gender: Gender = Field(description="1 male, 2 female.", examples=[1])
    birth_date: date = Field(description="Birth date.", examples=["2012-03-04"])
    id_type: IdType = Field(description="身份证件类型.", examples=["resident_id"])
    id_number: str | None = Field(default=None, max_length=40,
                                  description="ID number as entered; may be empty for non-resident IDs.",
                                  examples=["11010520120304567X"])
    school_code: OrgCode
    district_code: DivisionCode = Field(description="District (区县) of the school's bureau.")
    status: RecordStatus = Field(default=RecordStatus.PENDING, description="Record status.")


class StudentRegistered(Envelope):
    """A school registered a new student record."""

    event_type: Literal["student.registered"] = "student.registered"
    record: StudentRecord


class StudentUpdated(Envelope):
    """A school changed a record outside problem handling (or its status changed)."""

    event_type: Literal["student.updated"] = "student.updated"
    record: StudentRecord


class StudentDeleted(Envelope):
    """A record was deleted upstream; it leaves every problem group."""

    event_type: Literal["student.deleted"] = "student.deleted"
    registry_number: RegistryNumber
    school_code: OrgCode
    district_code: DivisionCode
