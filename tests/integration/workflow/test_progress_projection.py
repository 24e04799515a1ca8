"""The progress counters on the real local MongoDB: exact under concurrent changes, after a crash
at any step of the projection, and when an older version of a case arrives after a newer one.

The counters are compared with the sum of the stored cases' tallies, recomputed from scratch.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure
from xueji_contracts.enums import ProblemType, RuleSet
from xueji_contracts.problems import MemberBrief, MembershipChanged, ProblemCleared, ProblemDetected

from services.common.settings import ServiceSettings
from services.workflow import usecases
from services.workflow.adapters import progress as progress_module
from services.workflow.adapters.contributions import Intent
from services.workflow.adapters.progress import Batch, ProgressStore
from services.workflow.adapters.store import CaseStore
from services.workflow.cases import Cases
from services.workflow.domain.case import Case
from services.workflow.domain.deadlines import DeadlinePolicy
from services.workflow.domain.progress import Key, difference, tally

from ...unit.workflow.factories import REF, brief
from ...unit.workflow.fakes import RecordingPublisher

pytestmark = pytest.mark.integration
POLICY = DeadlinePolicy()
DAY = timedelta(days=1)
Db = AsyncDatabase[dict[str, Any]]


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(mongo: AsyncMongoClient[dict[str, Any]], unique: str) -> Db:
    return mongo[f"wf_progress_{unique}"]


def wired(db: Db, counted: bool = True, clock: Clock | None = None) -> tuple[Cases, ProgressStore]:
    progress = ProgressStore(db, clock=clock or Clock(), takeover_seconds=60)
    cases = Cases(CaseStore(db, POLICY), RecordingPublisher(), RuleSet.R2017, REF,
                  progress=progress if counted else None, policy=POLICY)
    return cases, progress


async def open_group(cases: Cases, *members: MemberBrief) -> UUID:
    event = ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID,
                            members=members)
    assert await usecases.open_case(cases, event)
    return event.group_id


async def counters(db: Db) -> dict[str, dict[str, int]]:
    found = {}
    async for doc in db["workflow_progress"].find():
        assert not doc.get("marks"), doc["_id"]  # every mark is removed once its change is counted
        found[doc["_id"]] = {metric: n for metric, n in doc["n"].items() if n}
    return {code: n for code, n in found.items() if n}


async def recounted(db: Db) -> dict[str, dict[str, int]]:
    """The counters as they must be: the sum of every stored case's tally."""
    sums: dict[str, Counter[str]] = {}
    async for doc in db["workflow_cases"].find({}, {"state": 1, "version": 1}):
        case = Case.model_validate({**doc["state"], "version": doc["version"]})
        for key, n in tally(case, POLICY).items():
            parsed = Key.parse(key)
            sums.setdefault(parsed.code, Counter())[parsed.metric] += n
    return {code: dict(n) for code, n in sums.items()}


async def settle(progress: ProgressStore) -> None:
    for _ in range(20):
        if await progress.pending() == 0:
            return
        await progress.sweep()
    raise AssertionError("cases are still waiting to be counted")


def membership(group_id: UUID, sequence: int, *members: MemberBrief) -> MembershipChanged:
    return MembershipChanged(producer="dedup", group_id=group_id, problem_type=ProblemType.DUPLICATE_ID,
                             members=members, sequence=sequence)


async def test_the_counters_are_exact_after_many_concurrent_changes(db: Db) -> None:
    cases, progress = wired(db)
    await CaseStore(db, POLICY).ensure_indexes()
    await progress.ensure_indexes()
    groups = []
    districts = ["110105", "440103", "440106", "440103", "320102", "110105", "440106", "320102"]
    for n, district in enumerate(districts):
        groups.append([brief(10 * n + i, district if i % 2 else "440106") for i in range(1, 5)])
    ids = await asyncio.gather(*(open_group(cases, a, b) for a, b, *_ in groups))

    def later(case: Case, now: datetime) -> None:
        case.fire_due_timers(POLICY, now + 20 * DAY)

    work = []
    for group_id, (a, b, c, d) in zip(ids, groups, strict=True):
        work += [
            usecases.apply_membership(cases, membership(group_id, 1, a, b, c)),  # c joins
            usecases.apply_membership(cases, membership(group_id, 2, a, c)),  # b leaves
            cases.change(group_id, later),  # every deadline escalated: those waiting are overdue
            usecases.apply_membership(cases, membership(group_id, 3, a, c, d)),  # d joins
            progress.sweep(),  # a second projector at work meanwhile
            usecases.apply_membership(cases, membership(group_id, 4, a, d)),  # c leaves
        ]
    for group_id, (a, *_, d) in list(zip(ids, groups, strict=True))[:3]:
        cleared = ProblemCleared(producer="dedup", group_id=group_id, problem_type=ProblemType.DUPLICATE_ID,
                                 reason="no_duplicate_left", members=(a, d), sequence=5)
        work.append(usecases.apply_membership(cases, cleared))  # closed: every member settled
    await asyncio.gather(*work)
    await settle(progress)

    assert await counters(db) == await recounted(db)
    national = (await progress.division("000000"))
    assert national is not None and national.counts["DUPLICATE_ID:to_handle"] >= 1
    async for doc in db["workflow_cases"].find({}, {"version": 1}):
        contributed = await progress.contribution(UUID(doc["_id"]))
        assert (contributed.version, contributed.intent, contributed.marked) == (doc["version"], None, None)


STEPS = ["recorded", "half_applied", "applied", "finished", "unmarked"]


@pytest.mark.parametrize("crashed_after", STEPS)
async def test_a_projection_that_crashed_at_any_step_is_exact_once_retried(
        db: Db, crashed_after: str) -> None:
    uncounted, _ = wired(db, counted=False)
    clock = Clock()
    _, progress = wired(db, clock=clock)
    a, b = brief(1, "440103"), brief(2, "440106")
    group_id = await open_group(uncounted, a, b)
    await progress.project(group_id)  # version 1 is counted
    await usecases.apply_membership(uncounted, membership(group_id, 1, a, b, brief(3, "440103")))
    doc = await db["workflow_cases"].find_one({"_id": str(group_id)})
    assert doc is not None and doc["version"] == 2 and doc["tally_pending"]

    # the projection of version 2, step by step, until the crash
    intent = await progress.record(group_id, await progress.contribution(group_id), 2, doc["tally"])
    assert intent is not None
    # each step as it runs after the one before (a full apply after a half counts nothing twice)
    done: list[Callable[[], Awaitable[None]]] = [
        lambda: progress.apply(group_id, intent, set(sorted(intent.divisions())[:2])),
        lambda: progress.apply(group_id, intent),
        lambda: progress.finish(group_id, intent),
        lambda: progress.unmark(group_id, 2, sorted(intent.divisions())),
    ]
    for step in done[: STEPS.index(crashed_after)]:
        await step()

    if crashed_after in ("recorded", "half_applied", "applied"):
        assert not await progress.project_version(group_id, 2, doc["tally"])  # another's fresh intent: left
        clock.now += timedelta(seconds=61)  # the crashed projector's intent is taken over
    await progress.project(group_id)
    assert await counters(db) == await recounted(db)
    assert await progress.pending() == 0
    await progress.project_version(group_id, 2, doc["tally"])  # a repeat counts nothing
    assert await counters(db) == await recounted(db)


async def test_an_older_version_arriving_after_a_newer_one_changes_nothing(db: Db) -> None:
    uncounted, _ = wired(db, counted=False)
    _, progress = wired(db)
    a, b = brief(1), brief(2)
    group_id = await open_group(uncounted, a, b)
    first = await db["workflow_cases"].find_one({"_id": str(group_id)})
    assert first is not None
    await usecases.apply_membership(uncounted, membership(group_id, 1, a))  # b leaves: settled
    await progress.project(group_id)
    newest = await counters(db)
    assert newest == await recounted(db)
    assert newest["110105"]["DUPLICATE_ID:settled"] == 2  # b left the group, and a's problem with it

    assert await progress.project_version(group_id, 1, first["tally"])
    assert await counters(db) == newest
    assert (await progress.contribution(group_id)).version == 2


class Writes(monitoring.CommandListener):
    """The write commands a client sends, by collection."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("insert", "update"):
            self.sent[event.command[event.command_name]] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


DISTRICTS = ["110105", "440103", "440106", "320102"]


async def open_groups(cases: Cases, count: int, first: int = 0) -> list[UUID]:
    """``count`` new groups of two members each, over four districts, opened in one write."""
    events = [ProblemDetected(producer="dedup", group_id=uuid4(), problem_type=ProblemType.DUPLICATE_ID,
                              members=(brief(first + 2 * n, DISTRICTS[n % 4]),
                                       brief(first + 2 * n + 1, "440106")))
              for n in range(count)]
    assert all(await usecases.open_cases(cases, events))
    return [e.group_id for e in events]


@pytest.fixture
async def monitored(settings: ServiceSettings, unique: str) -> AsyncIterator[tuple[Db, Writes]]:
    """A database whose client counts the write commands it sends."""
    writes = Writes()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.MONGO_URI.get_secret_value(), tz_aware=True, event_listeners=[writes])
    try:
        yield client[f"wf_progress_{unique}"], writes
    finally:
        await client.close()


async def test_the_sweep_counts_many_cases_in_a_few_writes_and_new_cases_open_in_one(
        monitored: tuple[Db, Writes]) -> None:
    db, writes = monitored
    uncounted, progress = wired(db, counted=False)
    ids = await open_groups(uncounted, 40)
    assert writes.sent == {"workflow_cases": 1}
    assert not any(await usecases.open_cases(uncounted, [  # redelivered: each exists already
        ProblemDetected(producer="dedup", group_id=g, problem_type=ProblemType.DUPLICATE_ID,
                        members=(brief(1), brief(2))) for g in ids[:5]]))

    writes.sent.clear()
    assert await progress.sweep() == 40
    # the batch opened; each new case's contribution written once; one update per division; the cases
    # cleared
    assert writes.sent == {"workflow_progress_batches": 1, "workflow_progress_cases": 1,
                           "workflow_progress": 1, "workflow_cases": 1}
    assert await db["workflow_progress_batches"].count_documents({}) == 0  # closed
    assert await progress.pending() == 0
    assert await counters(db) == await recounted(db)


async def test_sweeps_at_once_and_a_change_under_way_count_every_case_exactly_once(db: Db) -> None:
    uncounted, _ = wired(db, counted=False)
    clock = Clock()
    projectors = [ProgressStore(db, clock=clock, takeover_seconds=60) for _ in range(3)]
    ids = await open_groups(uncounted, 30)
    busy = ids[0]  # another projector recorded its change and counted two of its divisions, then stalled
    doc = await db["workflow_cases"].find_one({"_id": str(busy)})
    assert doc is not None
    intent = await projectors[0].record(busy, await projectors[0].contribution(busy), 1, doc["tally"])
    assert intent is not None
    await projectors[0].apply(busy, intent, set(sorted(intent.divisions())[:2]))

    # every division is new: the first batches race to create it, the sweeps race for the same cases
    pending = [(UUID(d["_id"]), d["version"], d["tally"])
               async for d in db["workflow_cases"].find({"_id": {"$in": [str(g) for g in ids[1:]]}})]
    await asyncio.gather(projectors[0].project_many(pending[::2]), projectors[1].project_many(pending[1::2]),
                         *(p.sweep() for p in projectors))
    assert await progress_pending(db) == [str(busy)]  # left to the projector at work on it

    clock.now += timedelta(seconds=61)  # that projector's change is taken over
    await settle(projectors[2])
    assert await counters(db) == await recounted(db)
    async for case in db["workflow_cases"].find({}, {"version": 1}):
        contributed = await projectors[1].contribution(UUID(case["_id"]))
        assert (contributed.version, contributed.intent, contributed.marked) == (1, None, None)


async def progress_pending(db: Db) -> list[str]:
    return [d["_id"] async for d in db["workflow_cases"].find({"tally_pending": True}, {"_id": 1})]


BATCH_STEPS = ["opened", "recorded", "half_applied", "applied", "half_finished", "finished"]


@pytest.mark.parametrize("crashed_after", BATCH_STEPS)
async def test_a_batch_that_stopped_at_any_step_is_completed_once_by_another_projector(
        db: Db, crashed_after: str) -> None:
    """A projector stopped part-way through a batch (its process gone) of new cases and of cases
    counted before: until the takeover its cases are left alone, then another projector's sweep
    completes the batch, each change counted once."""
    uncounted, _ = wired(db, counted=False)
    clock = Clock()
    stopped, other = (ProgressStore(db, clock=clock, takeover_seconds=60) for _ in range(2))
    ids = await open_groups(uncounted, 6)
    for n, group_id in enumerate(ids[:2]):  # counted at version 1, then a member joins
        await other.project(group_id)
        members = (brief(2 * n, DISTRICTS[n % 4]), brief(2 * n + 1, "440106"), brief(100 + n, "320102"))
        await usecases.apply_membership(uncounted, membership(group_id, 1, *members))
    batch = Batch("stopped", 1, [str(g) for g in ids], clock())
    wanted = []
    async for doc in db["workflow_cases"].find():
        group_id = UUID(doc["_id"])
        contributed = await stopped.contribution(group_id)
        delta = difference(doc["tally"], contributed.tally)
        wanted.append((group_id, contributed, Intent(doc["version"], doc["tally"], delta, clock(), batch.id)))
    assert sorted(c.version for _, c, _ in wanted) == [0, 0, 0, 0, 1, 1]
    intents = [i for _, _, i in wanted]
    changed = [(g, i) for g, c, i in wanted if c.version]  # the others' contributions are written once
    codes = sorted({code for i in intents for code in i.divisions()})
    steps: list[Callable[[], Awaitable[Any]]] = [
        lambda: stopped.open_batch(batch),
        lambda: stopped.record_batch(wanted),
        lambda: stopped.apply_batch(batch, intents, set(codes[::2])),
        lambda: stopped.apply_batch(batch, intents),  # after the half: nothing counted twice
        lambda: stopped.finish_batch(batch, changed[:1]),
        lambda: stopped.finish_batch(batch, changed),
    ]
    for step in steps[: BATCH_STEPS.index(crashed_after) + 1]:
        await step()

    fresh = next((g, i) for g, c, i in wanted if not c.version)
    left = [fresh, changed[-1]] if crashed_after != "finished" else [fresh]
    for group_id, intent in left if crashed_after != "opened" else []:  # still the stopped projector's
        assert not await other.project_version(group_id, intent.version, intent.tally, wait=False)
    clock.now += timedelta(seconds=61)
    await settle(other)
    assert await counters(db) == await recounted(db)
    assert await db["workflow_progress_batches"].count_documents({}) == 0
    versions = {d["_id"]: d["version"] async for d in db["workflow_cases"].find()}
    async for doc in db["workflow_progress_cases"].find():
        assert (doc["version"], doc.get("intent")) == (versions[doc["_id"]], None)


async def test_a_projector_whose_batch_failed_counts_on_under_a_new_name(
        db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch fails after counting some divisions (the database went away mid-way). The projector's
    next batch touches the divisions the failed one had yet to reach; it must not pass them, or
    completing the failed batch later would find them counted and skip them."""
    uncounted, progress = wired(db, counted=False)
    clock = progress.clock
    assert isinstance(clock, Clock)
    first = await open_groups(uncounted, 4)
    applying = progress.apply_batch

    async def fails_half_way(batch: Batch, intents: list[Intent], codes: set[str] | None = None) -> None:
        divisions = sorted({code for i in intents for code in i.divisions()})
        await applying(batch, intents, set(divisions[::2]))
        raise ConnectionFailure("the database went away")

    monkeypatch.setattr(progress, "apply_batch", fails_half_way)
    name = progress._projector
    with pytest.raises(ConnectionFailure):
        await progress.sweep()
    monkeypatch.setattr(progress, "apply_batch", applying)
    assert progress._projector != name  # counts on under a new name

    await open_groups(uncounted, 4, first=50)  # the same districts and schools
    await progress.sweep()  # the new cases; the first four wait for the takeover
    assert sorted(await progress_pending(db)) == sorted(str(g) for g in first)
    clock.now += timedelta(seconds=61)
    await settle(progress)
    assert await counters(db) == await recounted(db)


async def test_the_relay_counts_what_it_published_and_empties_each_outbox_in_the_same_update(
        monitored: tuple[Db, Writes]) -> None:
    """The workflow relay's ``count_and_empty``: a published case not counted yet is counted, and one
    update per version empties its outbox and clears ``tally_pending`` (one rewrite of the case, not
    two). A case counted already, or moved on, or with a change under way, only has its published
    outbox emptied; what is left is the sweep's."""
    db, writes = monitored
    cases, progress = wired(db, counted=False)
    relay = cases.relay
    assert isinstance(relay, RecordingPublisher)
    await open_groups(cases, 40)
    published = list(relay.written)
    writes.sent.clear()
    await progress.count_and_empty(db["workflow_cases"], published)
    # the batch opened; each new case's contribution written once; one update per division; and one
    # update of the cases, at version 1, for both the outbox and the count
    assert writes.sent == {"workflow_progress_batches": 1, "workflow_progress_cases": 1,
                           "workflow_progress": 1, "workflow_cases": 1}
    assert await db["workflow_cases"].count_documents(
        {"$or": [{"outbox": {"$exists": True}}, {"has_outbox": True}, {"tally_pending": True}]}) == 0
    assert await counters(db) == await recounted(db)

    more = await open_groups(cases, 4, first=100)
    published = relay.written[len(published):]
    counted, moved_on, busy, plain = more
    await progress.project(counted)  # counted inline already
    doc = await db["workflow_cases"].find_one({"_id": str(busy)})
    assert doc is not None  # another projector recorded its change and stalled
    assert await progress.record(busy, await progress.contribution(busy), 1, doc["tally"]) is not None
    await usecases.apply_membership(cases, membership(moved_on, 2, brief(100 + 2), brief(100 + 3),
                                                      brief(200)))
    await progress.count_and_empty(db["workflow_cases"], published)

    found = db["workflow_cases"].find({"_id": {"$in": [str(g) for g in more]}})
    state = {d["_id"]: d async for d in found}
    assert not any("outbox" in state[str(g)] for g in (counted, busy, plain))
    assert "tally_pending" not in state[str(plain)] and "tally_pending" not in state[str(counted)]
    assert state[str(busy)]["tally_pending"]  # left to the projector at work on it
    assert state[str(moved_on)]["version"] == 2 and state[str(moved_on)]["outbox"]  # version 2's own
    assert state[str(moved_on)]["tally_pending"]


async def test_the_sweep_leaves_to_the_relay_what_it_is_about_to_count(db: Db) -> None:
    """In the service the relay counts what it has just published, and its sweep leaves those cases
    alone (``relay.waiting()``); a case left by a crash between write and count is the sweep's."""
    cases, progress = wired(db, counted=False)
    relayed, _crashed = await open_groups(cases, 2)
    assert await progress.sweep(leave={str(relayed)}) == 1
    assert await progress_pending(db) == [str(relayed)]
    assert isinstance(cases.relay, RecordingPublisher)
    published = [w for w in cases.relay.written if w[0] == str(relayed)]
    await progress.count_and_empty(db["workflow_cases"], published)
    assert await progress_pending(db) == []
    assert await counters(db) == await recounted(db)


async def test_the_sweep_reaches_past_the_cases_the_relay_holds(db: Db) -> None:
    """The cases left to the relay are left out by the query itself, so a sweep of ``limit`` cases still
    counts what a crash left when the relay holds more than that many."""
    cases, progress = wired(db, counted=False)
    ids = await open_groups(cases, 5)
    held, crashed = ids[:4], ids[4]
    assert await progress.sweep(limit=2, leave={str(g) for g in held}) == 1
    assert str(crashed) not in await progress_pending(db)


async def test_the_relay_counts_a_large_round_in_parts(monitored: tuple[Db, Writes],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A round of more published cases than are counted at once is counted part by part, each part
    with one update of the cases, and every case is counted and emptied."""
    db, writes = monitored
    monkeypatch.setattr(progress_module, "COUNTED_AT_ONCE", 16)
    cases, progress = wired(db, counted=False)
    assert isinstance(cases.relay, RecordingPublisher)
    await open_groups(cases, 40)
    writes.sent.clear()
    await progress.count_and_empty(db["workflow_cases"], list(cases.relay.written))
    assert writes.sent["workflow_cases"] == 3  # 16 + 16 + 8
    assert await db["workflow_cases"].count_documents(
        {"$or": [{"has_outbox": True}, {"tally_pending": True}]}) == 0
    assert await counters(db) == await recounted(db)
