"""The topic catalogue: every topic, its key, partitions, producers, consumers, messages.

Topic names carry the contract's major version. Adding an optional field keeps the
version; anything else is a new topic version.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, TypeAdapter

from . import cases, commands, evidence, notifications, population, problems, students
from .provinces import PROVINCES


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    partitions: int
    producers: tuple[str, ...]
    # parties outside the platform's services; the services that consume a topic are read from
    # their subscribers (``consumers.json``, see ``service_consumers``), never typed here
    consumers: tuple[str, ...]
    messages: tuple[type[BaseModel], ...]
    description: str
    retention_days: int = 30
    extra: dict[str, str] = field(default_factory=dict)


REGISTRATION_MESSAGES = (students.StudentRegistered, students.StudentUpdated, students.StudentDeleted)
POPULATION_REQUEST_MESSAGES = (population.PopulationVerificationBatchRequested,
                               population.PopulationVerificationRequested)
POPULATION_RESULT_MESSAGES = (population.PopulationVerificationBatchResult,
                              population.PopulationVerificationResult)
PROBLEM_MESSAGES = (problems.ProblemDetected, problems.MembershipChanged, problems.ProblemCleared,
                    problems.AmendmentApplied)
DEDUP_COMMAND_MESSAGES = (commands.ApplyAmendment, commands.DeleteRecord,
                          commands.MarkAttestedDistinct, commands.MarkFormal, commands.AcceptIdProblem)
CASE_MESSAGES = (
    cases.GroupOpened, cases.ActionSubmitted, cases.DeletionConfirmed, cases.Reviewed,
    cases.AutoRejected, cases.ArbitrationStateChanged, cases.ArbitrationDecided,
    cases.MemberSettled, cases.SideFinished, cases.GroupClosed, cases.Reinitiated,
    cases.DeadlineReminder, cases.DeadlineEscalated, cases.MembersChanged, cases.RequestEnded,
    cases.GroupReopened,
)
EVIDENCE_MESSAGES = (evidence.EvidenceStored,)
NOTIFICATION_MESSAGES = (notifications.NotificationDelivered, notifications.NotificationFailed)

REGISTRATIONS = "xueji.registrations.v1"
POPULATION_REQUESTS = "xueji.population.requests.v1"
POPULATION_RESULTS = "xueji.population.results.v1"
PROBLEMS = "xueji.problems.v1"
DEDUP_COMMANDS = "xueji.dedup.commands.v1"
EVIDENCE = "xueji.evidence.v1"
NOTIFICATIONS = "xueji.notifications.v1"
DEAD_LETTERS = "xueji.deadletters.v1"
CASES_TEMPLATE = "xueji.cases.{province}.v2"


def case_topic(province_code: str) -> str:
    """The case-event topic of one province (``110000`` → ``xueji.cases.110000.v1``)."""
    if province_code not in PROVINCES:
        raise ValueError(f"not a provincial unit: {province_code!r}")
    return CASES_TEMPLATE.format(province=province_code)


FIXED_TOPICS: tuple[Topic, ...] = (
    Topic(REGISTRATIONS, "registry_number", 12, ("province systems", "xueji import"), (),
          REGISTRATION_MESSAGES, "Student registrations from schools, via province systems or file import."),
    Topic(POPULATION_REQUESTS, "batch_id (a single request: registry_number)", 6, ("dedup",),
          ("population database",), POPULATION_REQUEST_MESSAGES,
          "Verification requests to the population database (人口库): dedup sends batches of up to "
          "500 numbers; a batch is answered by one batch result."),
    Topic(POPULATION_RESULTS, "batch_id (a single result: registry_number)", 6, ("population database",), (),
          POPULATION_RESULT_MESSAGES, "Verification results from the population database, one batch result "
          "per batch (a single result is still read)."),
    Topic(PROBLEMS, "group_id", 12, ("dedup",), (),
          PROBLEM_MESSAGES, "Problem groups found by dedup: detected, membership changed, cleared."),
    Topic(DEDUP_COMMANDS, "member_ref of the registry_number (refs.member_ref)", 12, ("workflow",), (),
          DEDUP_COMMAND_MESSAGES, "Approved decisions the workflow sends to dedup."),
    Topic(EVIDENCE, "group_id", 6, ("evidence",), (),
          EVIDENCE_MESSAGES, "Evidence files stored."),
    Topic(NOTIFICATIONS, "recipient_code", 6, ("notify",), ("operators",),
          NOTIFICATION_MESSAGES, "Delivery outcomes of notifications."),
    Topic(DEAD_LETTERS, "source topic", 3, ("every service",), ("operators", "xueji dlq replay"),
          (), "Messages that failed validation or handling; raw body, origin and reason in headers.",
          retention_days=14),
)

CASE_TOPIC_PARTITIONS = 3


def case_topics(partitions: int = CASE_TOPIC_PARTITIONS) -> tuple[Topic, ...]:
    return tuple(
        Topic(case_topic(code), "group_id", partitions, ("workflow",), ("the province's subscriber",),
              CASE_MESSAGES, f"Case events of groups with a member in {code} ({name}).")
        for code, name in PROVINCES.items()
    )


def catalogue() -> tuple[Topic, ...]:
    """Every topic of the platform."""
    return FIXED_TOPICS + case_topics()


def all_messages() -> tuple[type[BaseModel], ...]:
    seen: dict[str, type[BaseModel]] = {}
    for topic in FIXED_TOPICS:
        for model in topic.messages:
            seen[model.__name__] = model
    for model in CASE_MESSAGES:
        seen[model.__name__] = model
    return tuple(seen.values())



# Decoders for each topic's payload, built once (DOMAIN: tagged unions per topic).
RegistrationMessage = Annotated[
    students.StudentRegistered | students.StudentUpdated | students.StudentDeleted,
    Field(discriminator="event_type"),
]
ProblemMessage = Annotated[
    problems.ProblemDetected | problems.MembershipChanged | problems.ProblemCleared
    | problems.AmendmentApplied,
    Field(discriminator="event_type"),
]
DedupCommand = Annotated[
    commands.ApplyAmendment | commands.DeleteRecord | commands.MarkAttestedDistinct | commands.MarkFormal
    | commands.AcceptIdProblem,
    Field(discriminator="event_type"),
]
CaseMessage = Annotated[
    cases.GroupOpened | cases.ActionSubmitted | cases.DeletionConfirmed | cases.Reviewed
    | cases.AutoRejected | cases.ArbitrationStateChanged | cases.ArbitrationDecided
    | cases.MemberSettled | cases.SideFinished | cases.GroupClosed | cases.Reinitiated
    | cases.DeadlineReminder | cases.DeadlineEscalated | cases.MembersChanged | cases.RequestEnded
    | cases.GroupReopened,
    Field(discriminator="event_type"),
]
PopulationRequestMessage = Annotated[
    population.PopulationVerificationBatchRequested | population.PopulationVerificationRequested,
    Field(discriminator="event_type"),
]
PopulationResultMessage = Annotated[
    population.PopulationVerificationBatchResult | population.PopulationVerificationResult,
    Field(discriminator="event_type"),
]
NotificationMessage = Annotated[
    notifications.NotificationDelivered | notifications.NotificationFailed,
    Field(discriminator="event_type"),
]

registration_adapter: TypeAdapter[RegistrationMessage] = TypeAdapter(RegistrationMessage)
problem_adapter: TypeAdapter[ProblemMessage] = TypeAdapter(ProblemMessage)
dedup_command_adapter: TypeAdapter[DedupCommand] = TypeAdapter(DedupCommand)
case_adapter: TypeAdapter[CaseMessage] = TypeAdapter(CaseMessage)
population_request_adapter: TypeAdapter[PopulationRequestMessage] = TypeAdapter(PopulationRequestMessage)
population_result_adapter: TypeAdapter[PopulationResultMessage] = TypeAdapter(PopulationResultMessage)


SERVICE_CONSUMERS_FILE = Path(__file__).with_name("consumers.json")


def service_consumers() -> dict[str, tuple[str, ...]]:
    """Topic (province topics as ``CASES_TEMPLATE``) → the platform services subscribed to it,
    as generated from their subscribers by ``xueji contracts consumers --write``."""
    data = json.loads(SERVICE_CONSUMERS_FILE.read_text(encoding="utf-8"))
    return {topic: tuple(services) for topic, services in data.items()}


def consumers_of(topic: Topic) -> tuple[str, ...]:
    """Every consumer of a topic: the services that subscribe to it, then the outside parties."""
    address = CASES_TEMPLATE if topic.name.startswith("xueji.cases.") else topic.name
    return service_consumers().get(address, ()) + topic.consumers
