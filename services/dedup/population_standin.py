"""A local stand-in for the population database (人口库): ``xueji-population-standin``.

It answers verification requests, a batch with one batch result, from a fixture file of JSON lines:
``{"id_number": "...", "name": "...", "outcome": "verified|not_found|changed", "new_id_number": "..."}``.
A number in the fixture with another name answers ``name_mismatch``; a number not in the
fixture answers ``XUEJI_POPULATION_UNKNOWN`` (``verified`` by default, so demo data passes).
"""

import asyncio
import json
from pathlib import Path
from typing import Literal

from fastapi import FastAPI
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from xueji_contracts.enums import PopulationOutcome
from xueji_contracts.population import (
    PopulationAnswer,
    PopulationQuestion,
    PopulationVerificationBatchRequested,
    PopulationVerificationBatchResult,
    PopulationVerificationRequested,
    PopulationVerificationResult,
)
from xueji_contracts.topics import POPULATION_REQUESTS, POPULATION_RESULTS, population_request_adapter

from services.common.deadletter import DeadLetters
from services.common.http import serve
from services.common.kafka import instance_of, make_broker
from services.common.logs import configure_logging
from services.common.mongo import make_mongo_client
from services.common.service import build_app
from services.common.settings import ServiceSettings

from .domain.names import normalise_name

SERVICE = "xueji-population-standin"


class StandinSettings(ServiceSettings):
    HTTP_PORT: int = 8005
    MANAGEMENT_PORT: int = 9005
    POPULATION_FIXTURE: Path = Path(".local/population-fixture.jsonl")
    POPULATION_UNKNOWN: Literal["verified", "not_found"] = "verified"
    CONSUMER_GROUP: str = SERVICE


def load_fixture(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    return {entry["id_number"]: entry for entry in map(json.loads, filter(None, lines))}


def answer(question: PopulationQuestion | PopulationVerificationRequested, fixture: dict[str, dict[str, str]],
           unknown: PopulationOutcome) -> PopulationAnswer:
    entry = fixture.get(question.id_number)
    outcome, new_number = unknown, None
    if entry:
        outcome = PopulationOutcome(entry.get("outcome", "verified"))
        new_number = entry.get("new_id_number")
        same_name = normalise_name(entry["name"]) == normalise_name(question.name)
        if outcome is PopulationOutcome.VERIFIED and not same_name:
            outcome = PopulationOutcome.NAME_MISMATCH
    return PopulationAnswer(request_id=question.request_id, registry_number=question.registry_number,
                            outcome=outcome, new_id_number=new_number)


def result_of(request: PopulationVerificationBatchRequested | PopulationVerificationRequested,
              fixture: dict[str, dict[str, str]], unknown: PopulationOutcome
              ) -> PopulationVerificationBatchResult | PopulationVerificationResult:
    """One batch result per batch (keyed by its batch id); one result per single request."""
    if isinstance(request, PopulationVerificationBatchRequested):
        return PopulationVerificationBatchResult(
            producer=SERVICE, batch_id=request.batch_id, **request.caused(),
            answers=tuple(answer(q, fixture, unknown) for q in request.questions))
    one = answer(request, fixture, unknown)
    return PopulationVerificationResult(producer=SERVICE, **one.model_dump(), **request.caused())


def key_of(result: PopulationVerificationBatchResult | PopulationVerificationResult) -> bytes:
    if isinstance(result, PopulationVerificationBatchResult):
        return str(result.batch_id).encode()
    return result.registry_number.encode()


def create_app(settings: StandinSettings | None = None) -> FastAPI:
    settings = settings or StandinSettings()
    dead_letters = DeadLetters(SERVICE)
    broker = make_broker(settings, SERVICE, dead_letters)
    unknown = PopulationOutcome(settings.POPULATION_UNKNOWN)

    @broker.subscriber(POPULATION_REQUESTS, group_id=settings.CONSUMER_GROUP,
                       group_instance_id=instance_of(settings, "requests"), auto_offset_reset="earliest",
                       batch=True, max_records=500, batch_timeout_ms=100, ack_policy=AckPolicy.NACK_ON_ERROR)
    async def on_requests(message: KafkaMessage) -> None:
        """Answer verification requests from the fixture file (read afresh for each batch)."""
        requests = await dead_letters.decode_batch(message, population_request_adapter.validate_json)
        fixture = load_fixture(settings.POPULATION_FIXTURE)
        results = [result_of(request, fixture, unknown) for request in requests]
        await asyncio.gather(*(broker.publish(r, POPULATION_RESULTS, key=key_of(r)) for r in results))

    return build_app(title="population database stand-in", description=__doc__ or "", broker=broker,
                     mongo=make_mongo_client(settings, SERVICE))


def run() -> None:
    settings = StandinSettings()
    configure_logging(SERVICE, settings.LOG_LEVEL)
    serve(create_app(settings), settings)
