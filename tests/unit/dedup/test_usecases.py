"""Each dedup use case against in-memory ports: registrations, the workflow's commands and the
population database's answers, as they change the index and what is published."""

from typing import Any
from uuid import UUID, uuid4

import pytest
from xueji_contracts.commands import (
    AcceptIdProblem,
    AmendedFields,
    ApplyAmendment,
    DeleteRecord,
    MarkAttestedDistinct,
    MarkFormal,
)
from xueji_contracts.enums import PopulationOutcome, ProblemType, RecordStatus
from xueji_contracts.population import (
    PopulationAnswer,
    PopulationVerificationBatchResult,
    PopulationVerificationResult,
)
from xueji_contracts.students import StudentDeleted, StudentRecord, StudentRegistered
from xueji_contracts.topics import POPULATION_REQUESTS, PROBLEMS

from services.dedup.usecases import (
    Dedup,
    apply_command,
    apply_population_result,
    apply_registration,
    changes,
)

from .factories import PEPPER, id_number, record
from .fakes import FakeIdentityStore, RecordingPublisher, fake_dedup

GROUP = uuid4()


def registered(*records: StudentRecord) -> list[StudentRegistered]:
    return [StudentRegistered(producer="school", record=r) for r in records]


def answer(request: dict[str, str], outcome: PopulationOutcome) -> PopulationVerificationResult:
    return PopulationVerificationResult(producer="population", request_id=UUID(request["request_id"]),
                                        registry_number=request["registry_number"], outcome=outcome)


Pair = tuple[Dedup, FakeIdentityStore, RecordingPublisher, StudentRecord, StudentRecord]


async def duplicate_pair() -> Pair:
    dedup, store, published = fake_dedup()
    number = id_number()
    a, b = record(1, number=number), record(2, number=number, district="440103")
    await apply_registration(dedup, registered(a, b))
    assert published.event_types() == ["problem.detected"]
    published.clear()
    return dedup, store, published, a, b


async def test_a_record_nobody_shares_a_key_with_is_stored_and_asked_about_once() -> None:
    dedup, store, published = fake_dedup()
    rec = record(1, number=id_number())
    await apply_registration(dedup, registered(rec))
    [request] = published.questions()
    assert request["registry_number"] == rec.registry_number
    assert store.record(rec.registry_number).population_request_id == request["request_id"]
    assert published.event_types() == []


async def test_a_registration_read_again_asks_again_under_the_same_id() -> None:
    dedup, _, published = fake_dedup()
    rec = record(1, number=id_number())
    await apply_registration(dedup, registered(rec))
    await apply_registration(dedup, registered(rec))
    first, again = published.questions()
    assert first["request_id"] == again["request_id"]


async def test_two_records_of_one_number_open_one_duplicate_group() -> None:
    _, store, _, a, b = await duplicate_pair()
    assert list(store.members("id:").values()) == [{a.registry_number, b.registry_number}]


async def test_an_upstream_deletion_clears_the_group() -> None:
    dedup, store, published, a, _ = await duplicate_pair()
    deleted = StudentDeleted(producer="school", registry_number=a.registry_number,
                             school_code=a.school_code, district_code=a.district_code)
    await apply_registration(dedup, [deleted])
    assert published.event_types() == ["problem.cleared"]
    assert store.record(a.registry_number).status is RecordStatus.DELETED


async def test_an_amendment_to_another_number_clears_the_group_and_asks_again() -> None:
    dedup, store, published, a, _ = await duplicate_pair()
    changes = AmendedFields(id_number=id_number(), name="张三")
    command = ApplyAmendment(producer="workflow", group_id=GROUP, registry_number=a.registry_number,
                             changes=changes)
    await apply_command(dedup, command)
    assert published.event_types() == ["problem.cleared", "problem.amendment_applied"]
    assert [r["registry_number"] for r in published.questions()] == [a.registry_number]
    assert store.record(a.registry_number).status is RecordStatus.FORMAL
    report = published.payloads(PROBLEMS)[-1]
    assert report["group_id"] == str(GROUP) and report["registry_number"] == a.registry_number
    assert (report["identity_key_kept"], report["awaiting_population"]) == (False, True)
    published.clear()
    await apply_command(dedup, command)  # redelivered: reported as the first delivery found it
    assert [(p["event_type"], p["identity_key_kept"]) for p in published.payloads(PROBLEMS)] == [
        ("problem.amendment_applied", False)]


async def test_an_amendment_that_keeps_the_number_is_reported_so_the_case_need_not_wait() -> None:
    """DOMAIN §6: the case that sent the amendment hears of the record's new state even when the
    record stays in the group (and a re-initiated group, which dedup does not keep, hears too)."""
    dedup, _, published, a, _ = await duplicate_pair()
    reinitiated = uuid4()
    command = ApplyAmendment(producer="workflow", group_id=reinitiated, registry_number=a.registry_number,
                             changes=AmendedFields(id_number=a.id_number, name="张三丰"))
    await apply_command(dedup, command)
    report = published.payloads(PROBLEMS)[-1]
    assert report["event_type"] == "problem.amendment_applied"
    assert report["group_id"] == str(reinitiated) and report["identity_key_kept"] is True
    assert report["member"]["status"] == "formal"


async def test_a_deletion_command_clears_the_group() -> None:
    dedup, store, published, _, b = await duplicate_pair()
    await apply_command(dedup, DeleteRecord(producer="workflow", group_id=GROUP,
                                            registry_number=b.registry_number))
    assert published.event_types() == ["problem.cleared"]
    assert store.record(b.registry_number).status is RecordStatus.DELETED


async def test_marking_formal_changes_the_status_in_the_group() -> None:
    dedup, store, published, a, _ = await duplicate_pair()
    await apply_command(dedup, MarkFormal(producer="workflow", group_id=GROUP,
                                          registry_number=a.registry_number))
    assert store.record(a.registry_number).status is RecordStatus.FORMAL
    assert published.event_types() == ["problem.membership_changed"]


async def test_records_attested_distinct_are_not_flagged_again() -> None:
    dedup, _, published, a, b = await duplicate_pair()
    pair = (a.registry_number, b.registry_number)
    await apply_command(dedup, MarkAttestedDistinct(producer="workflow", group_id=GROUP,
                                                    registry_number=a.registry_number, registry_numbers=pair))
    assert published.event_types() == ["problem.cleared"]
    published.clear()
    await apply_registration(dedup, registered(a, b))
    assert published.event_types() == []


async def test_an_accepted_id_problem_is_cleared_and_not_raised_again() -> None:
    dedup, _, published = fake_dedup()
    number = id_number()
    rec = record(1, number=number[:17] + ("0" if number[17] != "0" else "1"))  # a bad check digit
    await apply_registration(dedup, registered(rec))
    assert published.event_types() == ["problem.detected"]
    assert published.questions() == []  # a number failing locally is not asked about
    await apply_command(dedup, AcceptIdProblem(producer="workflow", group_id=GROUP,
                                               registry_number=rec.registry_number))
    await apply_registration(dedup, registered(rec))
    assert published.event_types() == ["problem.detected", "problem.cleared"]


async def test_a_not_found_answer_raises_an_id_problem_and_a_stale_one_nothing() -> None:
    dedup, store, published = fake_dedup()
    rec = record(1, number=id_number())
    await apply_registration(dedup, registered(rec))
    [request] = published.questions()
    stale = {**request, "request_id": str(uuid4())}
    await apply_population_result(dedup, [answer(stale, PopulationOutcome.NOT_FOUND)])
    assert published.event_types() == []
    await apply_population_result(dedup, [answer(request, PopulationOutcome.NOT_FOUND)])
    [detected] = published.payloads(PROBLEMS)
    assert detected["problem_type"] == ProblemType.ID_NOT_FOUND.value
    assert store.record(rec.registry_number).population is PopulationOutcome.NOT_FOUND


async def test_a_verified_answer_is_stored_and_raises_nothing() -> None:
    dedup, store, published = fake_dedup()
    rec = record(1, number=id_number())
    await apply_registration(dedup, registered(rec))
    [request] = published.questions()
    await apply_population_result(dedup, [answer(request, PopulationOutcome.VERIFIED)])
    assert store.record(rec.registry_number).population is PopulationOutcome.VERIFIED
    assert published.event_types() == []


async def test_a_batch_of_verified_answers_writes_no_record_and_its_records_read_verified() -> None:
    dedup, store, published = fake_dedup()
    recs = [record(n, number=id_number()) for n in (1, 2)]
    await apply_registration(dedup, registered(*recs))
    [request] = published.payloads(POPULATION_REQUESTS)
    versions = {rn: v for rn, (_, v) in store.records.items()}
    result = PopulationVerificationBatchResult(
        producer="population", batch_id=UUID(request["batch_id"]),
        answers=tuple(PopulationAnswer(request_id=q["request_id"], registry_number=q["registry_number"],
                                       outcome=PopulationOutcome.VERIFIED) for q in request["questions"]))
    await apply_population_result(dedup, [result])
    assert {rn: v for rn, (_, v) in store.records.items()} == versions  # no record written
    assert all(store.record(r.registry_number).population is PopulationOutcome.VERIFIED for r in recs)
    await apply_population_result(dedup, [result])  # the same answers read again change nothing
    assert published.event_types() == []


async def test_a_record_another_writer_changed_first_is_read_again_and_recomputed() -> None:
    dedup, store, _, a, _ = await duplicate_pair()
    store.lose_next_writes = 1
    await apply_command(dedup, MarkFormal(producer="workflow", group_id=GROUP,
                                          registry_number=a.registry_number))
    assert store.record(a.registry_number).status is RecordStatus.FORMAL
    assert store.records[a.registry_number][1] == 3  # the other writer's version, then this one


async def test_a_problem_raised_from_a_record_another_writer_changed_meanwhile_is_withdrawn() -> None:
    """A "not found" answer is being applied when the school registers the record again with a new
    ID number (another consumer: answers and registrations travel apart). The answer's groups are
    written first, raising the record's ID problem; its record write then collides, and read again
    the answer is stale (the record awaits a new question). The problem it raised is withdrawn."""
    dedup, store, published = fake_dedup()
    a = record(1, number=id_number())
    await apply_registration(dedup, registered(a))
    [question] = published.questions()
    renumbered = a.model_copy(update={"id_number": id_number()})

    async def the_school_registers_it_again() -> None:
        await apply_registration(dedup, registered(renumbered))

    store.interleave = the_school_registers_it_again
    published.clear()
    await apply_population_result(dedup, [answer(question, PopulationOutcome.NOT_FOUND)])
    assert store.record(a.registry_number).population_request_id != question["request_id"]
    assert [g.key for g, _ in store.groups.values() if g.is_problem()] == []
    # the case opened from the stale answer closes, each event published once
    assert published.event_types() == ["problem.detected", "problem.cleared"]


async def test_an_earlier_amendment_delivered_again_after_a_later_one_is_not_applied_again() -> None:
    dedup, store, _, a, _ = await duplicate_pair()
    first, second = id_number(), id_number()
    commands = [ApplyAmendment(producer="workflow", group_id=GROUP, registry_number=a.registry_number,
                               changes=AmendedFields(id_number=n, name="张三")) for n in (first, second)]
    for command in (*commands, commands[0]):  # the first comes again after the second
        await apply_command(dedup, command)
    after_second = store.record(a.registry_number)
    assert after_second.masked_id_number is not None and after_second.masked_id_number.endswith(second[-2:])
    assert len(after_second.applied_amendments) == 2


async def founder_and_joiner() -> Pair:
    """Two records on one key, registered one after the other: the first founds the key's group in
    its own document, the second has a document of its own."""
    dedup, store, published = fake_dedup()
    number = id_number()
    a, b = record(1, number=number), record(2, number=number, district="440103")
    await apply_registration(dedup, registered(a))
    await apply_registration(dedup, registered(b))
    assert published.event_types() == ["problem.detected"]
    assert store.homes[a.registry_number].startswith("id:")  # the key's group document
    assert store.homes[b.registry_number] == b.registry_number
    assert brief_status(store, a.registry_number) is RecordStatus.PENDING
    published.clear()
    return dedup, store, published, a, b


def brief_status(store: FakeIdentityStore, registry_number: str) -> RecordStatus:
    [group] = [g for key, (g, _) in store.groups.items() if key.startswith("id:")]
    return group.members[registry_number].status


async def test_a_record_and_the_group_its_document_holds_change_in_one_write() -> None:
    dedup, store, published, a, b = await founder_and_joiner()
    await apply_command(dedup, MarkFormal(producer="workflow", group_id=GROUP,
                                          registry_number=a.registry_number))
    assert store.combined_writes == 1
    assert store.record(a.registry_number).status is RecordStatus.FORMAL
    assert brief_status(store, a.registry_number) is RecordStatus.FORMAL
    assert published.event_types() == ["problem.membership_changed"]
    # the joiner's record is stored apart from the group: two writes, as before
    await apply_command(dedup, MarkFormal(producer="workflow", group_id=GROUP,
                                          registry_number=b.registry_number))
    assert store.combined_writes == 1
    assert store.record(b.registry_number).status is RecordStatus.FORMAL
    assert brief_status(store, b.registry_number) is RecordStatus.FORMAL


async def test_when_another_writer_changed_the_record_the_group_and_the_record_are_written_apart() -> None:
    dedup, store, published, a, _ = await founder_and_joiner()
    store.lose_next_writes = 1  # another writer wrote the founder's record first: the one write collides
    await apply_command(dedup, MarkFormal(producer="workflow", group_id=GROUP,
                                          registry_number=a.registry_number))
    assert store.combined_writes == 0
    assert store.record(a.registry_number).status is RecordStatus.FORMAL
    assert store.records[a.registry_number][1] == 3  # the other writer's version, then this one
    assert brief_status(store, a.registry_number) is RecordStatus.FORMAL
    assert published.event_types() == ["problem.membership_changed"]  # once


async def test_founder_and_joiner_settled_together_only_the_founder_goes_in_the_groups_update() -> None:
    dedup, store, published, a, b = await founder_and_joiner()
    formal = [changes.mark_formal(MarkFormal(producer="workflow", group_id=GROUP,
                                             registry_number=r.registry_number)) for r in (a, b)]
    await dedup.publisher.publish(await dedup.index.apply(formal))
    assert store.combined_writes == 1
    for r in (a, b):
        assert store.record(r.registry_number).status is RecordStatus.FORMAL
        assert brief_status(store, r.registry_number) is RecordStatus.FORMAL
    assert set(published.event_types()) == {"problem.membership_changed"}


async def test_a_founder_moved_to_another_key_is_written_after_every_group_it_touches(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An amendment moves the founder from the key its document holds to another: the record is
    not written with its old key's group, so a process stopping between the groups' writes leaves
    it as it was, and the amendment delivered again completes the move."""
    dedup, store, _, a, b = await founder_and_joiner()
    home, new_number = store.homes[a.registry_number], id_number()
    before = store.record(a.registry_number)
    write_groups = store.save_groups

    async def stops_after_the_home_group(writes: list[Any], along: dict[str, Any] | None = None) -> set[str]:
        await write_groups([w for w in writes if w[0].key == home], along)
        raise ConnectionError("the process stopped")

    monkeypatch.setattr(store, "save_groups", stops_after_the_home_group)
    amend = ApplyAmendment(producer="workflow", group_id=GROUP, registry_number=a.registry_number,
                           changes=AmendedFields(id_number=new_number, name="张三"))
    with pytest.raises(ConnectionError):
        await apply_command(dedup, amend)
    assert store.record(a.registry_number) == before  # no membership its groups do not hold
    assert store.members(home)[home] == {b.registry_number}
    monkeypatch.setattr(store, "save_groups", write_groups)
    await apply_command(dedup, amend)  # delivered again
    moved = store.record(a.registry_number)
    assert moved.masked_id_number is not None and moved.masked_id_number.endswith(new_number[-2:])
    assert a.registry_number in store.members()[moved.identity_key(PEPPER) or ""]
    assert store.combined_writes == 0
