"""The identity index on the real local MongoDB (DOMAIN §2–3; issue: groups, concurrency, decisions)."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient
from xueji_contracts.commands import (
    AcceptIdProblem,
    AmendedFields,
    ApplyAmendment,
    DeleteRecord,
    MarkAttestedDistinct,
    MarkFormal,
)
from xueji_contracts.enums import IdType, PopulationOutcome, ProblemType, RecordStatus
from xueji_contracts.population import PopulationAnswer, PopulationVerificationResult
from xueji_contracts.students import StudentRecord, StudentRegistered
from xueji_contracts.topics import POPULATION_REQUESTS

from services.common import outbox
from services.common.settings import ServiceSettings
from services.dedup.adapters.relay import written_by_collection
from services.dedup.adapters.store import HOMES, IdentityStore
from services.dedup.adapters.vault import Vault
from services.dedup.domain.groups import Group, id_problem_key
from services.dedup.domain.identity import record_state
from services.dedup.indexer import Change, Indexer, Produced
from services.dedup.ports import UNSTORED
from services.dedup.usecases import changes

from ...unit.dedup.factories import PEPPER, TODAY, id_number, record

pytestmark = pytest.mark.integration


@pytest.fixture
async def database(mongo: AsyncMongoClient[dict[str, Any]], unique: str) -> AsyncIterator[str]:
    yield f"dedup_{unique}"
    await mongo.drop_database(f"dedup_{unique}")


VAULT = Vault(PEPPER)


async def make_store(client: AsyncMongoClient[dict[str, Any]], database: str) -> IdentityStore:
    store = IdentityStore(client[database], VAULT)
    await store.ensure_indexes()
    return store


async def make_indexer(client: AsyncMongoClient[dict[str, Any]], database: str) -> Indexer:
    return Indexer(await make_store(client, database), PEPPER, lambda: TODAY)


def registered(rec: Any) -> Change:
    return changes.registered(StudentRegistered(producer="test", record=rec), PEPPER, TODAY)


async def applied(indexer: Indexer, batch: list[Change]) -> Produced:
    """Apply, then empty the outboxes as the relay does once it has published."""
    produced = await indexer.apply(batch)
    for name, written in written_by_collection(produced).items():
        if name != UNSTORED:  # sent without an outbox
            assert name == indexer.store.groups.name
            await outbox.clear(indexer.store.groups, written)
    return produced


def events(produced: Produced, topic: str = "xueji.problems.v1") -> list[dict[str, Any]]:
    return [json.loads(e["payload"]) for _, _, e in produced if e["topic"] == topic]


def questions(produced: Produced) -> list[dict[str, Any]]:
    """The questions to the population database, out of the batches they travel in."""
    return [q for batch in events(produced, POPULATION_REQUESTS) for q in batch["questions"]]


async def duplicate_pair(indexer: Indexer) -> tuple[StudentRecord, StudentRecord, dict[str, Any]]:
    """Two records of one number in two districts, and the problem event of their group."""
    number = id_number()
    a, b = record(1, number=number), record(2, number=number, district="110108")
    [detected] = events(await applied(indexer, [registered(a), registered(b)]))
    return a, b, detected


async def test_two_records_with_one_number_form_one_group_and_a_third_joins(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    number = id_number()
    first = await applied(indexer, [registered(record(1, number=number))])
    assert events(first) == []
    second = await applied(indexer, [registered(record(2, district="440103", number=number))])
    [detected] = events(second)
    assert detected["event_type"] == "problem.detected"
    assert detected["problem_type"] == "DUPLICATE_ID"
    assert {m["province_code"] for m in detected["members"]} == {"110000", "440000"}
    third = await applied(indexer, [registered(record(3, district="120101", number=number))])
    [joined] = events(third)
    assert joined["event_type"] == "problem.membership_changed"
    assert joined["group_id"] == detected["group_id"]


async def test_concurrent_registrations_of_one_number_yield_exactly_one_group(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    settings = ServiceSettings()
    clients: list[AsyncMongoClient[dict[str, Any]]] = [
        AsyncMongoClient(settings.MONGO_URI.get_secret_value(), tz_aware=True) for _ in range(2)]
    try:
        for attempt in range(5):
            number = id_number()
            a, b = record(10 + attempt, number=number), record(20 + attempt, district="320102", number=number)
            first, second = await make_indexer(clients[0], database), await make_indexer(clients[1], database)
            results = await asyncio.gather(first.apply([registered(a)]), second.apply([registered(b)]))
            found = [e for r in results for e in events(r)]
            assert [e["event_type"] for e in found] == ["problem.detected"]
            members = {m["registry_number"] for m in found[0]["members"]}
            assert members == {a.registry_number, b.registry_number}
    finally:
        for client in clients:
            await client.close()


async def test_a_redelivered_registration_changes_nothing_but_asks_the_open_question_again(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    number = id_number()
    batch = [registered(record(1, number=number)), registered(record(2, number=number, district="110108")),
             registered(record(3, number=id_number()))]
    first = await applied(indexer, batch)
    assert len(events(first)) == 1
    again = await applied(indexer, batch)
    assert events(again) == []
    # the population requests still unanswered are sent again, under the ids they were stored with
    asked = {e["registry_number"]: e["request_id"] for e in questions(first)}
    assert {e["registry_number"]: e["request_id"] for e in questions(again)} == asked
    assert len(asked) == 3
    assert await mongo[database]["dedup_groups"].count_documents({"group_id": {"$ne": None}}) == 1


async def test_records_alone_on_their_key_are_stored_with_one_insert_each_in_one_write(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    numbers: set[str] = set()
    while len(numbers) < 50:
        numbers.add(id_number(district="320102"))
    batch = [registered(record(n, number=number)) for n, number in enumerate(sorted(numbers), 1)]
    produced = await indexer.apply(batch)
    assert indexer.store.round_trips == 1
    # one document each: the key's group with its one member, holding the record
    homes = [d async for d in mongo[database]["dedup_groups"].find()]
    assert len(homes) == 50
    assert all(list(d["members"]) == [d["holder"]] and d["record"]["status"] == "pending" for d in homes)
    assert len(questions(produced)) == 50
    # one message asks about all 50, keyed by its batch id: no registry number as a Kafka key
    [(key, sent)] = [(key, e) for _, key, e in produced if e["topic"] == POPULATION_REQUESTS]
    assert key == sent["key"] == json.loads(sent["payload"])["batch_id"]
    assert {collection for collection, _, _ in produced} == {UNSTORED}  # no outbox to empty
    assert await mongo[database]["dedup_groups"].count_documents({"has_outbox": True}) == 0


async def test_a_known_record_registered_again_with_a_new_number_leaves_its_group(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    a, _, detected = await duplicate_pair(indexer)
    renumbered = a.model_copy(update={"id_number": id_number(district="110108")})
    [cleared] = events(await applied(indexer, [registered(renumbered)]))
    assert (cleared["event_type"], cleared["group_id"]) == ("problem.cleared", detected["group_id"])
    [joined] = events(await applied(indexer, [registered(record(3, number=renumbered.id_number))]))
    assert {m["registry_number"] for m in joined["members"]} == {a.registry_number, "L110105201203040003"}


async def test_an_approved_amendment_rekeys_the_record_and_clears_the_group(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    _, b, detected = await duplicate_pair(indexer)
    amend = ApplyAmendment(producer="workflow", group_id=detected["group_id"],
                           registry_number=b.registry_number,
                           changes=AmendedFields(id_number=id_number(), name="张三"))
    produced = await applied(indexer, [changes.apply_amendment(amend, PEPPER, TODAY)])
    cleared, report = events(produced)  # the group's change first, then the case is told
    assert cleared["event_type"] == "problem.cleared"
    assert cleared["group_id"] == detected["group_id"]
    assert (report["event_type"], report["group_id"], report["identity_key_kept"]) == (
        "problem.amendment_applied", detected["group_id"], False)
    assert len(questions(produced)) == 1  # the new number is verified


async def test_an_amendment_can_join_another_group(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    number, other = id_number(), id_number()
    a, b, c = record(1, number=number), record(2, number=number, district="110108"), record(3, number=other)
    await applied(indexer, [registered(a), registered(b), registered(c)])
    amend = ApplyAmendment(producer="workflow", group_id=uuid4(), registry_number=b.registry_number,
                           changes=AmendedFields(id_number=other, name="张三"))
    kinds = sorted(e["event_type"] for e in events(await applied(indexer,
        [changes.apply_amendment(amend, PEPPER, TODAY)])))
    assert kinds == ["problem.amendment_applied", "problem.cleared", "problem.detected"]


async def test_a_founder_moved_to_another_key_keeps_its_record_until_every_group_is_written(
        mongo: AsyncMongoClient[dict[str, Any]], database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An amendment moves the founder of a key's group to another ID number, and the process stops
    after writing the old key's group, before the new one's: the record is as it was, and the
    amendment delivered again completes the move."""
    indexer = await make_indexer(mongo, database)
    number, new_number = id_number(), id_number()
    a, b = record(1, number=number), record(2, number=number, district="110108")
    await applied(indexer, [registered(a)])  # a founds its key's group in that group's document
    [detected] = events(await applied(indexer, [registered(b)]))
    store = indexer.store
    old_key = record_state(a, PEPPER, TODAY).identity_key(PEPPER) or ""
    home = store.group_document(old_key)
    [(before, _, held_by)] = (await store.load_records([a.registry_number])).values()
    assert held_by == home
    write_groups = store.save_groups

    async def stops_after_the_home_group(writes: list[Any], along: dict[str, Any] | None = None) -> set[str]:
        await write_groups([w for w in writes if store.group_document(w[0].key) == home], along)
        raise ConnectionError("the process stopped")

    monkeypatch.setattr(store, "save_groups", stops_after_the_home_group)
    amend = changes.apply_amendment(ApplyAmendment(
        producer="workflow", group_id=detected["group_id"], registry_number=a.registry_number,
        changes=AmendedFields(id_number=new_number, name="张三")), PEPPER, TODAY)
    with pytest.raises(ConnectionError):
        await indexer.apply([amend])
    [(unchanged, _, _)] = (await store.load_records([a.registry_number])).values()
    assert unchanged == before  # its old group has let it go, its new one does not hold it yet
    [(old_group, _)] = (await store.load_groups([old_key])).values()
    assert set(old_group.members) == {b.registry_number}
    new_key = record_state(a.model_copy(update={"id_number": new_number}), PEPPER, TODAY).identity_key(PEPPER)
    assert new_key and await store.load_groups([new_key]) == {}
    monkeypatch.setattr(store, "save_groups", write_groups)
    await applied(indexer, [amend])  # delivered again
    [(moved, _, _)] = (await store.load_records([a.registry_number])).values()
    key = moved.identity_key(PEPPER) or ""
    [(group, _)] = (await store.load_groups([key])).values()
    assert set(group.members) == {a.registry_number} and key == new_key != old_key


async def test_a_problem_raised_from_a_record_another_writer_changed_meanwhile_is_withdrawn(
        mongo: AsyncMongoClient[dict[str, Any]], database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A "not found" answer and a new registration of the record with another ID number, applied
    at once by two consumers: the answer's groups are written, then the registration lands before
    the answer's record write, which collides. Read again the answer is stale, and the ID problem
    it raised is withdrawn."""
    indexer = await make_indexer(mongo, database)
    rec = record(1, number=id_number())
    [request] = questions(await applied(indexer, [registered(rec)]))
    store = indexer.store
    write_records = store.save_records
    other = Indexer(await make_store(mongo, database), PEPPER, lambda: TODAY)  # another consumer

    async def the_registration_lands_first(writes: list[Any]) -> set[str]:
        monkeypatch.setattr(store, "save_records", write_records)
        await applied(other, [registered(rec.model_copy(update={"id_number": id_number()}))])
        return await write_records(writes)

    monkeypatch.setattr(store, "save_records", the_registration_lands_first)
    answer = PopulationVerificationResult(producer="population", request_id=request["request_id"],
                                          registry_number=rec.registry_number,
                                          outcome=PopulationOutcome.NOT_FOUND)
    produced = await applied(indexer, [changes.population_result(answer)])
    assert [e["event_type"] for e in events(produced)] == ["problem.detected", "problem.cleared"]
    [(state, _, _)] = (await store.load_records([rec.registry_number])).values()
    assert state.population_request_id != request["request_id"] and state.id_problem() is None
    [(id_problem, _)] = (await store.load_groups([id_problem_key(rec.registry_number)])).values()
    assert not id_problem.is_problem() and id_problem.members == {}


async def test_a_deleted_record_leaves_its_group(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    number = id_number()
    a, b, c = (record(i, number=number, district=d) for i, d in ((1, "110105"), (2, "110108"), (3, "120101")))
    detected = events(await applied(indexer, [registered(a), registered(b), registered(c)]))[0]
    delete = DeleteRecord(producer="workflow", group_id=detected["group_id"],
                          registry_number=c.registry_number)
    [changed] = events(await applied(indexer, [changes.delete_record(delete)]))
    assert changed["event_type"] == "problem.membership_changed"
    assert changed["left"] == [c.registry_number]


async def test_an_attested_distinct_set_is_never_flagged_again_but_a_fourth_record_is(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    twins = [record(i, id_type=IdType.PASSPORT, number=f"E{i}", district=d)
             for i, d in ((1, "110105"), (2, "310104"), (3, "440103"))]
    detected = events(await applied(indexer, [registered(r) for r in twins]))[0]
    assert detected["problem_type"] == "DUPLICATE_NGB"
    mark = MarkAttestedDistinct(producer="workflow", group_id=detected["group_id"],
                                registry_numbers=tuple(r.registry_number for r in twins))
    [cleared] = events(await applied(indexer, [changes.mark_attested_distinct(mark, PEPPER)]))
    assert cleared["reason"] == "attested_distinct"
    assert events(await applied(indexer, [registered(r) for r in twins])) == []
    fourth = record(4, id_type=IdType.OTHER, district="510104")
    [again] = events(await applied(indexer, [registered(fourth)]))  # the attested group reopens for it
    assert again["event_type"] == "problem.membership_changed" and len(again["members"]) == 4
    assert (again["group_id"], again["joined"]) == (detected["group_id"], [fourth.registry_number])


async def test_the_population_flow_raises_id_changed_with_the_new_number(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    rec = record(1, number=id_number())
    [request] = questions(await applied(indexer, [registered(rec)]))
    new_number = id_number()
    result = PopulationVerificationResult(producer="population", request_id=request["request_id"],
                                          registry_number=rec.registry_number,
                                          outcome=PopulationOutcome.CHANGED, new_id_number=new_number)
    [detected] = events(await applied(indexer, [changes.population_result(result)]))
    assert detected["problem_type"] == ProblemType.ID_CHANGED
    assert detected["suggested_id_number"] == new_number
    stale = result.model_copy(update={"request_id": uuid4(), "outcome": PopulationOutcome.NOT_FOUND})
    assert events(await applied(indexer, [changes.population_result(stale)])) == []


async def test_a_bad_check_digit_is_flagged_and_cleared_by_an_amendment(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    number = id_number()
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    rec = record(1, number=bad)
    [detected] = events(await applied(indexer, [registered(rec)]))
    assert (detected["problem_type"], detected["reasons"]) == ("ID_NOT_FOUND", ["check_digit"])
    amend = ApplyAmendment(producer="workflow", group_id=detected["group_id"],
                           registry_number=rec.registry_number,
                           changes=AmendedFields(id_number=number, name="张三"))
    cleared, report = events(await applied(indexer, [changes.apply_amendment(amend, PEPPER, TODAY)]))
    assert cleared["event_type"] == "problem.cleared" and cleared["reason"] == "id_checks_pass"
    assert report["event_type"] == "problem.amendment_applied" and report["id_problem"] is None


async def test_an_attested_id_problem_is_not_flagged_again_until_the_identity_changes(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    number = id_number()
    rec = record(1, number=number[:17] + ("0" if number[17] != "0" else "1"))
    [detected] = events(await applied(indexer, [registered(rec)]))
    accept = AcceptIdProblem(producer="workflow", group_id=detected["group_id"],
                             registry_number=rec.registry_number)
    [cleared] = events(await applied(indexer, [changes.accept_id_problem(accept)]))
    assert cleared["event_type"] == "problem.cleared"
    assert events(await applied(indexer, [registered(rec)])) == []  # re-registered as it was: accepted
    renamed = rec.model_copy(update={"name": "李四"})
    [again] = events(await applied(indexer, [registered(renamed)]))
    assert again["event_type"] == "problem.detected" and again["problem_type"] == "ID_NOT_FOUND"


async def test_nothing_personal_is_stored(mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    number = id_number()
    g_record = record(3, number=number, name="欧阳娜娜", district="440103", prefix="G")
    await applied(indexer, [registered(record(1, number=number, name="欧阳娜娜")),
                         registered(record(2, number=number, name="欧阳娜娜", district="110108")),
                         registered(g_record)])
    for collection in ("dedup_groups", "dedup_population_answers"):
        async for doc in mongo[database][collection].find({}, {"outbox": 0}):
            text = json.dumps(doc, default=str, ensure_ascii=False)
            assert number not in text and number[:17] not in text
            assert "欧阳娜娜" not in text


async def test_events_a_stopped_writer_left_behind_are_published_by_the_next_writer(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    number = id_number()
    await indexer.apply([registered(record(1, number=number))])
    [detected] = events(await indexer.apply([registered(record(2, district="440103", number=number))]))
    # the writer stopped before its relay ran: the next writer of the group publishes both, in order
    later = events(await indexer.apply([registered(record(3, district="120101", number=number))]))
    assert [e["event_id"] for e in later][:1] == [detected["event_id"]]
    assert [e["event_type"] for e in later] == ["problem.detected", "problem.membership_changed"]


async def test_the_outbox_is_emptied_only_at_the_version_that_stored_it(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    number = id_number()
    await indexer.apply([registered(record(1, number=number))])
    second = await indexer.apply([registered(record(2, district="440103", number=number))])
    await indexer.apply([registered(record(3, district="120101", number=number))])
    stale = written_by_collection(second)[indexer.store.groups.name]
    await outbox.clear(indexer.store.groups, stale)
    pending = [e for _, _, entries in await outbox.pending(indexer.store.groups) for e in entries]
    assert len(pending) == 2  # the newer write's entries are still there for its relay or the sweep


async def test_a_verified_answer_is_stored_without_a_read_and_a_stale_one_changes_nothing(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    rec = record(1, number=id_number(district="320102"))
    [request] = questions(await applied(indexer, [registered(rec)]))
    amend = ApplyAmendment(producer="workflow", group_id=uuid4(), registry_number=rec.registry_number,
                           changes=AmendedFields(id_number=id_number(district="320102"), name="张三"))
    [asked_again] = questions(await applied(indexer, [changes.apply_amendment(amend, PEPPER, TODAY)]))

    def verified(asked: dict[str, Any]) -> Change:
        return changes.population_result(PopulationVerificationResult(
            producer="standin", request_id=asked["request_id"], registry_number=rec.registry_number,
            outcome=PopulationOutcome.VERIFIED))

    records = mongo[database]["dedup_groups"]
    trips = indexer.store.round_trips
    assert await applied(indexer, [verified(request)]) == []
    assert indexer.store.round_trips == trips + 1
    found = {"holder": VAULT.record_id(rec.registry_number)}
    assert (await records.find_one(found) or {})["record"]["population"] is None  # stale
    await applied(indexer, [verified(asked_again)])
    assert (await records.find_one(found) or {})["record"]["population"] == "verified"



async def test_two_writers_of_a_document_read_as_new_collide_and_the_second_is_told(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    store = await make_store(mongo, database)
    rec = record(1, number=id_number())
    first = record_state(rec, PEPPER, TODAY)
    second = record_state(rec.model_copy(update={"name": "王五"}), PEPPER, TODAY)
    assert await store.save_records([(first, 0)]) == set()
    assert await store.save_records([(second, 0)]) == {rec.registry_number}  # re-read and recompute
    home = VAULT.record_id(rec.registry_number)  # stored first by the versioned path: a home of its own
    assert await store.load_records([rec.registry_number]) == {rec.registry_number: (first, 1, home)}
    assert await store.save_groups([(Group("k", members={rec.registry_number: first.brief()}), [])]) == set()
    assert await store.save_groups([(Group("k"), [])]) == {"k"}
    [group] = [d async for d in store.groups.find({"_id": "k"})]
    assert list(group["members"]) == [VAULT.record_id(rec.registry_number)]


async def test_a_batch_of_verified_answers_is_one_document_and_its_records_read_verified(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    indexer = await make_indexer(mongo, database)
    recs = [record(n, number=id_number(district="320102")) for n in (1, 2, 3)]
    [(_, batch_id, sent)] = [p for p in await applied(indexer, [registered(r) for r in recs])
                             if p[2]["topic"] == POPULATION_REQUESTS]
    asked = json.loads(sent["payload"])["questions"]
    records = mongo[database]["dedup_groups"]
    before = {d["_id"]: d["record_version"] async for d in records.find(HOMES)}

    def verified(question: dict[str, Any]) -> Change:
        return changes.population_result(PopulationAnswer(
            request_id=question["request_id"], registry_number=question["registry_number"],
            outcome=PopulationOutcome.VERIFIED), batch_id)

    assert await applied(indexer, [verified(q) for q in asked[:2]]) == []
    assert await applied(indexer, [verified(q) for q in asked[:2]]) == []  # read again: nothing changes
    assert {d["_id"]: d["record_version"] async for d in records.find(HOMES)} == before  # no record written
    assert await mongo[database]["dedup_population_answers"].count_documents({}) == 1
    loaded = await indexer.store.load_records([r.registry_number for r in recs])
    assert [loaded[r.registry_number][0].population for r in recs] == [
        PopulationOutcome.VERIFIED, PopulationOutcome.VERIFIED, None]
    # the versioned path keeps what it read: a record written next holds its answer itself
    mark = MarkFormal(producer="workflow", group_id=uuid4(), registry_number=recs[0].registry_number)
    await applied(indexer, [changes.mark_formal(mark)])
    home = await records.find_one({"holder": VAULT.record_id(recs[0].registry_number)}) or {}
    assert home["record"]["population"] == "verified"


async def test_a_group_and_the_record_its_document_holds_are_written_together_or_not_at_all(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    store = await make_store(mongo, database)
    founder = record_state(record(1, number=id_number()), PEPPER, TODAY)
    rn = founder.registry_number
    assert founder.status is RecordStatus.PENDING
    assert await store.insert_new([(Group("k", members={rn: founder.brief()}), founder)]) == set()
    [(_, version, home)] = (await store.load_records([rn])).values()
    assert (version, home) == (1, store.group_document("k"))
    [(group, _)] = (await store.load_groups(["k"])).values()
    marked = replace(founder, status=RecordStatus.FORMAL)
    group.members[rn] = marked.brief()
    # another writer changed the record after it was read: neither the group nor the record is written
    assert await store.save_records([(founder, 1)]) == set()
    assert await store.save_groups([(group, [])], {"k": (marked, 1)}) == {"k"}
    [(unchanged, _)] = (await store.load_groups(["k"])).values()
    assert unchanged.version == 1 and unchanged.members[rn].status is founder.status
    # read again, both go in one update of the one document
    assert await store.save_groups([(group, [])], {"k": (marked, 2)}) == set()
    assert await store.load_records([rn]) == {rn: (marked, 3, store.group_document("k"))}
    [(group, _)] = (await store.load_groups(["k"])).values()
    assert group.version == 2 and group.members[rn].status is RecordStatus.FORMAL
    assert await mongo[database]["dedup_groups"].count_documents({}) == 1


async def test_a_group_and_the_record_it_holds_are_written_apart_without_conflict(
        mongo: AsyncMongoClient[dict[str, Any]], database: str) -> None:
    store = await make_store(mongo, database)
    number = id_number()
    founder = record_state(record(1, number=number), PEPPER, TODAY)
    joiner = record_state(record(2, number=number, district="440103"), PEPPER, TODAY)
    founded = Group("k", members={founder.registry_number: founder.brief()})
    assert await store.insert_new([(founded, founder)]) == set()
    # another record joins the key: the group moves to version 2, the record it holds stays at 1
    [(group, _)] = (await store.load_groups(["k"])).values()
    group.members[joiner.registry_number] = joiner.brief()
    assert await store.save_groups([(group, [])]) == set()
    assert await store.save_records([(joiner, 0)]) == set()  # a home of its own
    # the founder's write at the version it read still succeeds, and leaves the group as it is
    marked = replace(founder, status=RecordStatus.FORMAL)
    assert await store.save_records([(marked, 1)]) == set()
    assert await store.save_records([(marked, 1)]) == {founder.registry_number}  # version 1 is gone
    loaded = await store.load_records([founder.registry_number, joiner.registry_number])
    assert loaded == {founder.registry_number: (marked, 2, store.group_document("k")),
                      joiner.registry_number: (joiner, 1, VAULT.record_id(joiner.registry_number))}
    [(group, _)] = (await store.load_groups(["k"])).values()
    assert set(group.members) == {founder.registry_number, joiner.registry_number} and group.version == 2
    assert await mongo[database]["dedup_groups"].count_documents(HOMES) == 2
