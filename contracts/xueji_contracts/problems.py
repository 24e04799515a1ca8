"""Problem groups found by dedup (问题学籍), published to the workflow."""

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field

from .enums import Gender, IdType, ProblemType, RecordStatus
from .envelope import Contract, DivisionCode, Envelope, OrgCode, RegistryNumber


class MemberBrief(Contract):
    """What others may see of a member: no full name or ID number (DOMAIN §8)."""

    registry_number: RegistryNumber
    registry_prefix: Literal["G", "J", "L"] = Field(description="学籍号 prefix.")
    school_code: OrgCode
    district_code: DivisionCode
    province_code: DivisionCode = Field(description="Province (first two digits + 0000).",
                                        examples=["110000"])
    status: RecordStatus
    id_type: IdType
    masked_name: str = Field(description="Surname then asterisks.", examples=["张*"])
    masked_id_number: str | None = Field(default=None, description="First 3 and last 2 characters shown.",
                                         examples=["110*************7X"])
    id_matches_registry: bool = Field(default=False,
                                      description="G record whose number equals its ID number (2014 rule).")
    gender: Gender | None = Field(default=None, description="Shown to the member's own school, bureau and "
                                  "arbiter (an amendment's old value beside its new one).")
    birth_date: date | None = Field(default=None, description="Shown as ``gender`` is.")
    name_key: str | None = Field(default=None, description="Keyed hash of the normalised name, for finding "
                                 "a record by name; never shown.")


class ProblemDetected(Envelope):
    """A new problem group exists."""

    event_type: Literal["problem.detected"] = "problem.detected"
    group_id: UUID
    problem_type: ProblemType
    members: tuple[MemberBrief, ...] = Field(min_length=1)
    reasons: tuple[str, ...] = Field(default=(), description="Detail reasons for ID problems.",
                                     examples=[["check_digit"]])
    suggested_id_number: str | None = Field(
        default=None, description="ID_CHANGED: the new number from the population database.")
    sequence: int = Field(default=0, ge=0, description="Position among the events of the group's key; "
                          "a consumer applies only a higher one (each event carries the full member list).")


class MembershipChanged(Envelope):
    """Members joined or left an open group."""

    event_type: Literal["problem.membership_changed"] = "problem.membership_changed"
    group_id: UUID
    problem_type: ProblemType
    members: tuple[MemberBrief, ...] = Field(description="Members after the change.")
    joined: tuple[RegistryNumber, ...] = ()
    left: tuple[RegistryNumber, ...] = ()
    sequence: int = Field(default=0, ge=0, description="Position among the events of the group's key; "
                          "a consumer applies only a higher one (each event carries the full member list).")


class ProblemCleared(Envelope):
    """No conflict remains in the group as far as identity data goes."""

    event_type: Literal["problem.cleared"] = "problem.cleared"
    group_id: UUID
    problem_type: ProblemType
    reason: str = Field(examples=["no_duplicate_left"])
    members: tuple[MemberBrief, ...] = ()
    sequence: int = Field(default=0, ge=0, description="Position among the events of the group's key; "
                          "a consumer applies only a higher one (each event carries the full member list).")


class AmendmentApplied(Envelope):
    """Dedup applied an approved amendment: the record's state after it, for the case that sent it.

    Sent to every case that sends ``ApplyAmendment`` (also one dedup does not keep, such as a
    re-initiated group), so no member waits for dedup forever.
    """

    event_type: Literal["problem.amendment_applied"] = "problem.amendment_applied"
    group_id: UUID = Field(description="The case whose amendment this was.")
    registry_number: RegistryNumber
    member: MemberBrief | None = Field(description="The record after the amendment; None: it is gone.")
    identity_key_kept: bool = Field(description="The record still holds the identity it was grouped by "
                                    "(the same ID number, or name + gender + birth date).")
    id_problem: ProblemType | None = Field(default=None, description="Its own ID problem afterwards.")
    awaiting_population: bool = Field(default=False,
                                      description="The new ID number waits for the population database.")
