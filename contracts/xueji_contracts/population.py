"""Verification against the population database (人口库), an outside system."""

from typing import Literal
from uuid import UUID

from pydantic import Field

from .enums import PopulationOutcome
from .envelope import Envelope, RegistryNumber


class PopulationVerificationRequested(Envelope):
    """Dedup asks the population database whether a resident ID number is real."""

    event_type: Literal["population.verification_requested"] = "population.verification_requested"
    request_id: UUID = Field(description="Echoed in the result.")
    registry_number: RegistryNumber
    id_number: str = Field(pattern=r"^\d{17}[\dX]$", description="Normalised 18-digit number.",
                           examples=["11010520120304567X"])
    name: str = Field(min_length=1, description="Name to compare.", examples=["张三"])


class PopulationVerificationResult(Envelope):
    """The population database's answer."""

    event_type: Literal["population.verification_result"] = "population.verification_result"
    request_id: UUID
    registry_number: RegistryNumber
    outcome: PopulationOutcome = Field(examples=["changed"])
    new_id_number: str | None = Field(default=None, pattern=r"^\d{17}[\dX]$",
                                      description="With outcome `changed`: the current number.")
