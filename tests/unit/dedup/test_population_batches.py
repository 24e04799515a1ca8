"""Questions to the population database travel in batches, and a batch is answered by one message."""

from dataclasses import replace
from uuid import uuid4

import pytest
from pydantic import ValidationError
from xueji_contracts.enums import PopulationOutcome
from xueji_contracts.population import (
    MAX_BATCH,
    PopulationQuestion,
    PopulationVerificationBatchRequested,
    PopulationVerificationBatchResult,
    PopulationVerificationRequested,
    PopulationVerificationResult,
)
from xueji_contracts.topics import population_request_adapter, population_result_adapter

from services.dedup.domain.identity import record_state
from services.dedup.population_standin import key_of, result_of
from services.dedup.usecases.index import Asking

from .factories import PEPPER, TODAY, id_number, record


def question(n: int, number: str | None = None, name: str = "张三") -> PopulationQuestion:
    return PopulationQuestion(request_id=uuid4(), registry_number=f"L{n:018d}",
                              id_number=number or id_number(), name=name)


def test_the_questions_of_one_call_go_out_in_batches_keyed_by_their_batch_id() -> None:
    asking = Asking()
    asked = [question(n) for n in range(MAX_BATCH + 1)]
    state = record_state(record(1, number=id_number()), PEPPER, TODAY)
    stored = []
    for q in asked:
        awaiting = replace(state, population_batch_id=asking.batch())
        stored.append(awaiting.population_batch_id)
        asking.ask(awaiting, q)
    produced = asking.produced()
    assert len(produced) == 2  # 500, then 1
    batches = [population_request_adapter.validate_json(entry["payload"]) for _, _, entry in produced]
    assert all(isinstance(b, PopulationVerificationBatchRequested) for b in batches)
    assert [q for b in batches for q in b.questions] == asked  # type: ignore[union-attr]
    for (_, key, entry), batch in zip(produced, batches, strict=True):
        assert key == entry["key"] == str(batch.batch_id)  # type: ignore[union-attr]
    # each record keeps the batch its question went in
    assert stored == [str(batches[0].batch_id)] * MAX_BATCH + [str(batches[1].batch_id)]  # type: ignore[union-attr]
    assert Asking().produced() == []


def test_a_batch_holds_one_to_max_batch_questions() -> None:
    with pytest.raises(ValidationError):
        PopulationVerificationBatchRequested(producer="xueji-dedup", questions=())
    with pytest.raises(ValidationError):
        PopulationVerificationBatchRequested(producer="xueji-dedup",
                                             questions=tuple(question(n) for n in range(MAX_BATCH + 1)))


def test_the_standin_answers_a_batch_with_one_result_per_question() -> None:
    known, unknown, renamed = id_number(), id_number(), id_number()
    fixture = {known: {"id_number": known, "name": "张三", "outcome": "not_found"},
               renamed: {"id_number": renamed, "name": "李四"}}
    asked = (question(1, known), question(2, unknown), question(3, renamed, name="张三"))
    request = PopulationVerificationBatchRequested(producer="xueji-dedup", questions=asked)
    result = result_of(request, fixture, PopulationOutcome.VERIFIED)
    assert isinstance(result, PopulationVerificationBatchResult)
    assert result.batch_id == request.batch_id and key_of(result) == str(request.batch_id).encode()
    assert result.causation_id == request.event_id
    assert [(a.request_id, a.registry_number, a.outcome) for a in result.answers] == [
        (asked[0].request_id, asked[0].registry_number, PopulationOutcome.NOT_FOUND),
        (asked[1].request_id, asked[1].registry_number, PopulationOutcome.VERIFIED),
        (asked[2].request_id, asked[2].registry_number, PopulationOutcome.NAME_MISMATCH),
    ]
    decoded = population_result_adapter.validate_json(result.model_dump_json())
    assert decoded == result


def test_a_single_request_is_still_answered_by_a_single_result() -> None:
    one = question(1)
    request = PopulationVerificationRequested(producer="someone", **one.model_dump())
    result = result_of(request, {}, PopulationOutcome.VERIFIED)
    assert isinstance(result, PopulationVerificationResult)
    assert (result.request_id, result.outcome) == (one.request_id, PopulationOutcome.VERIFIED)
    assert key_of(result) == one.registry_number.encode()
