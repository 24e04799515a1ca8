"""Verification against the population database (人口库), an outside system.

Dedup asks in batches: one ``PopulationVerificationBatchRequested`` carries up to
``MAX_BATCH`` numbers and is answered by one ``PopulationVerificationBatchResult`` with one
answer per number (the population database verifies in batches in practice). Both are keyed
by ``batch_id``, so no registry number travels as a Kafka key. The single messages remain
part of the contract: a population database may still answer one number at a time.
"""

from typing import Literal
from uuid import UUID, uuid4

from pydantic import Field

from .enums import PopulationOutcome
from .envelope import Contract, Envelope, RegistryNumber

MAX_BATCH = 500


class PopulationQuestion(Contract):
    """One number asked about: which record, which number, which name."""

    request_id: UUID = Field(description="Echoed in the answer; the record awaits this id.")
    registry_number: RegistryNumber
    id_number: str = Field(pattern=r"^\d{17}[\dX]$", description="Normalised 18-digit number.",
                           examples=["11010520120304567X"])
    name: str = Field(min_length=1, description="Name to compare.", examples=["张三"])


class PopulationAnswer(Contract):
    """The population database's answer for one number."""

    request_id: UUID
    registry_number: RegistryNumber
    outcome: PopulationOutcome = Field(examples=["verified"])
    new_id_number: str | None = Field(default=None, pattern=r"^\d{17}[\dX]$",
                                      description="With outcome `changed`: the current number.")


class PopulationVerificationRequested(Envelope, PopulationQuestion):
    """Dedup asks the population database whether a resident ID number is real (one question)."""

    event_type: Literal["population.verification_requested"] = "population.verification_requested"


class PopulationVerificationResult(Envelope, PopulationAnswer):
    """The population database's answer to one question."""

    event_type: Literal["population.verification_result"] = "population.verification_result"


class PopulationVerificationBatchRequested(Envelope):
    """Dedup asks the population database about several resident ID numbers at once."""

    event_type: Literal["population.verification_batch_requested"] = "population.verification_batch_requested"
    batch_id: UUID = Field(default_factory=uuid4, description="The Kafka key; echoed in the result.")
    questions: tuple[PopulationQuestion, ...] = Field(min_length=1, max_length=MAX_BATCH)


class PopulationVerificationBatchResult(Envelope):
    """The population database's answers to one batch, one per question, in any order."""

    event_type: Literal["population.verification_batch_result"] = "population.verification_batch_result"
    batch_id: UUID
    answers: tuple[PopulationAnswer, ...] = Field(min_length=1, max_length=MAX_BATCH)
