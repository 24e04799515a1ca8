"""Console benchmark: the console's read paths at the size of a province's campaign (issue 20).

    ./dev bench console [--cases 200000] [--requests 300] [--seed auto|save|bulk]
                        [--count auto|project|bulk] [--save-minutes 30] [--project-minutes 120]

1. seeding: ``--cases`` cases of one province (广东, 440000: its 21 cities, ~120 districts,
   ~9 000 schools, the number of schools per district Zipf-skewed, some schools busier than
   others), 1–3 members each, every problem type, members at every stage. Each case is opened
   and then handled by the case's own methods (attestations, reviews, deletions, arbitration,
   escalated deadlines), at times spread over the campaign's six weeks, and written with
   ``CaseStore.save``, 64 at a time, without outbox entries (as once the relay has published
   them). ``--seed bulk`` inserts documents shaped exactly as ``save`` writes them instead (its
   own update, captured, applied as an insert); ``auto`` (the default) saves, and bulk-inserts
   the rest once saving all would take longer than ``--save-minutes``;
2. counting: the progress projector counts every case until none is ``tally_pending``, and the
   counters are checked against the sum of the cases' tallies. ``--count bulk`` writes the state
   the projector leaves instead (counters, contributions, ``tally_pending`` cleared); ``auto``
   (the default) projects, and writes that state for the rest once projecting all would take
   longer than ``--project-minutes``. The output says which paths were used, for how many cases;
3. the workflow service (an API replica that consumes nothing) and the console run on ports of
   their own; the console is signed in to through its /signin form (its CSRF value) as the
   province's arbiter, the bureau of the district with the most cases, and a school's registrar;
4. ``--requests`` sequential requests of each read, interleaved (one of each in turn): the
   progress page (/statistics), the district's list page (/cases) and a search by 学籍号
   (/cases?registry_number=), through the console (the whole HTML page), through the workflow
   API alone, and the same reads straight from MongoDB (the raw figure, in the same run).

Figures: bench/RESULTS.md, section "Console" (smoke runs at 3 000 cases so far; the full size
is yet to be run).
"""

import argparse
import asyncio
import contextlib
import random
import re
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
from pymongo import DESCENDING, InsertOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from xueji_contracts.enums import (
    Action,
    ArbitrationStatus,
    IdType,
    ProblemType,
    RecordStatus,
    ReviewDecision,
    Role,
)
from xueji_contracts.names import name_key
from xueji_contracts.problems import MemberBrief, ProblemDetected

from services.common.auth import local_key_pair, mint_token
from services.common.errors import ServiceError
from services.common.mongo import make_mongo_client
from services.console.session import CSRF_FIELD
from services.workflow.adapters.contributions import Intent
from services.workflow.adapters.progress import ProgressStore
from services.workflow.adapters.store import CaseStore, listing_query
from services.workflow.domain.case import Actor, Case, Stage
from services.workflow.domain.deadlines import DeadlinePolicy
from services.workflow.domain.divisions import CITIES_WITHOUT_DISTRICTS
from services.workflow.domain.progress import Key, tally
from services.workflow.domain.rules import ID_PROBLEMS
from services.workflow.settings import WorkflowSettings

from .common import ServiceProcess, cpu_seconds, machine, management_port, percentile

Doc = dict[str, Any]
WORKFLOW_PORT = 8122
CONSOLE_PORT = 8126
NOTIFY_PORT = 8124  # nothing listens there: the menu's unread count is a refused connection
PROVINCE = "440000"
# 广东's 21 cities; 东莞 and 中山 have no districts (their city bureau is the district bureau)
CITIES = ("440100", "440200", "440300", "440400", "440500", "440600", "440700", "440800", "440900",
          "441200", "441300", "441400", "441500", "441600", "441700", "441800", "441900", "442000",
          "445100", "445200", "445300")
DISTRICTS = 120
SCHOOLS = 9_000
ZIPF = 0.8  # schools per district: the k-th largest district has 1/k^0.8 of the largest one's
KINDS = {ProblemType.DUPLICATE_ID: 35, ProblemType.DUPLICATE_NGB: 15, ProblemType.ID_NOT_FOUND: 20,
         ProblemType.ID_NAME_MISMATCH: 20, ProblemType.ID_CHANGED: 10}
CAMPAIGN = timedelta(days=42)
DAY = timedelta(days=1)
IN_FLIGHT = 64
TRIED, TRIAL = (1, 4, 16, 64), 200  # the projector's concurrency is chosen on 200 cases at each of these
BULK_BATCH = 1_000
EVERY = 10_000
WARM_UP = 5
PAGE_SIZE = 20  # the console's list pages
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁郑谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN = "子涵浩宇欣怡梓轩雨桐俊杰思彤嘉豪诗琪志伟晓明佳怡文博梦琪家乐"


@dataclass(frozen=True, order=True)
class Step:
    """One thing a party does to a member, at a time of the campaign."""

    at: datetime
    rn: str
    what: str  # attest, delete, confirm, approve, reject


@dataclass
class Province:
    """Districts, schools and how busy each school is (problem records are not spread evenly)."""

    rng: random.Random
    districts: list[str] = field(default_factory=list)
    schools: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)  # cumulative, over ``schools``
    by_district: dict[str, list[str]] = field(default_factory=dict)
    by_city: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, rng: random.Random) -> "Province":
        province = cls(rng)
        split = [c for c in CITIES if c not in CITIES_WITHOUT_DISTRICTS]
        extra = DISTRICTS - (len(CITIES) - len(split))
        for i, city in enumerate(split):
            count = extra // len(split) + (i < extra % len(split))
            province.districts += [f"{city[:4]}{n:02d}" for n in range(3, 3 + count)]
        province.districts += [c for c in CITIES if c in CITIES_WITHOUT_DISTRICTS]
        ranks = list(range(1, len(province.districts) + 1))
        rng.shuffle(ranks)
        total = sum(k ** -ZIPF for k in ranks)
        running = 0.0
        for district, rank in zip(province.districts, ranks, strict=True):
            count = max(5, round(SCHOOLS * rank ** -ZIPF / total))
            schools = [f"{district}{n:04d}" for n in range(1, count + 1)]
            province.by_district[district] = schools
            city = district if district in CITIES_WITHOUT_DISTRICTS else district[:4] + "00"
            province.by_city.setdefault(city, []).append(district)
            for school in schools:
                running += rng.lognormvariate(0, 0.75)
                province.schools.append(school)
                province.weights.append(running)
        return province

    def school(self) -> str:
        return self.rng.choices(self.schools, cum_weights=self.weights)[0]

    def partner(self, school: str) -> str:
        """Where another record of the same child (or a namesake) is: mostly nearby."""
        district, draw = school[:6], self.rng.random()
        if draw < 0.1:
            return school
        if draw < 0.55:
            return self.rng.choice(self.by_district[district])
        city = district if district in CITIES_WITHOUT_DISTRICTS else district[:4] + "00"
        if draw < 0.85 and len(self.by_city[city]) > 1:
            return self.rng.choice(self.by_district[self.rng.choice(self.by_city[city])])
        return self.school()


@dataclass
class Seeded:
    """What the seeding made, for choosing who reads what and for checking the answers."""

    cases: int = 0
    members: int = 0
    ids: list[uuid.UUID] = field(default_factory=list)
    by_district: Counter[str] = field(default_factory=Counter)
    by_school: Counter[str] = field(default_factory=Counter)
    member_of: dict[str, str] = field(default_factory=dict)  # school → one of its registry numbers
    stages: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    evidence: list[Doc] = field(default_factory=list)
    expected: dict[str, Counter[str]] = field(default_factory=dict)  # division → metric → Σ of the tallies
    saved: int = 0
    bulk: int = 0
    build_seconds: float = 0.0  # building the cases in this process, part of the seeding's time
    save_seconds: float = 0.0
    bulk_seconds: float = 0.0
    project_seconds: float = 0.0
    counted: int = 0  # cases counted by the progress projector
    count_seconds: float = 0.0  # counting the others without it (``count_rest``)
    why_counted: str = ""
    why_bulk: str = ""
    project_rates: dict[int, float] = field(default_factory=dict)  # cases/s by projections in flight
    project_in_flight: int = 1
    wrong_counters: int = 0

    def note(self, case: Case, policy: DeadlinePolicy) -> None:
        for key, count in tally(case, policy).items():
            _, code, _, metric = Key.parse(key)
            self.expected.setdefault(code, Counter())[metric] += count
        self.cases += 1
        self.members += len(case.members)
        self.ids.append(case.group_id)
        self.kinds[case.problem_type.value] += 1
        for district in {m.brief.district_code for m in case.members.values()}:
            self.by_district[district] += 1
        for m in case.members.values():
            self.by_school[m.brief.school_code] += 1
            self.member_of[m.brief.school_code] = m.rn
            self.stages[m.stage.value] += 1


class Cases:
    """Cases as the campaign leaves them: opened by dedup's event, then handled by the parties."""

    def __init__(self, settings: WorkflowSettings, seed: int = 20) -> None:
        self.rng = random.Random(seed)
        self.province = Province.build(self.rng)
        self.settings, self.policy = settings, settings.deadline_policy
        self.search_key = settings.NAME_SEARCH_KEY.get_secret_value().encode()
        self.serial = 0

    def brief(self, school: str) -> MemberBrief:
        self.serial += 1
        draw = self.rng.random()
        prefix = "G" if draw < 0.7 else "L" if draw < 0.95 else "J"
        name = self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2, 2))))
        return MemberBrief(
            registry_number=f"{prefix}{school[:6]}{self.serial:012d}", registry_prefix=prefix,
            school_code=school, district_code=school[:6], province_code=PROVINCE,
            status=RecordStatus.FORMAL if self.rng.random() < 0.6 else RecordStatus.PENDING,
            id_type=IdType.RESIDENT_ID, masked_name=name[0] + "*" * (len(name) - 1),
            name_key=name_key(self.search_key, name))

    def plan(self, brief: MemberBrief, opened: datetime) -> list[Step]:
        """What the member's school, leader and bureau do, and when (some of it after now: not yet)."""
        rn, draw = brief.registry_number, self.rng.random()
        at = opened + DAY * self.rng.expovariate(1 / 6)
        if draw < 0.25:  # the school has not acted
            return []
        if draw < 0.8:
            decided = at + DAY * self.rng.expovariate(1 / 3)
            decision = "approve" if self.rng.random() < 0.8 else "reject"
            return [Step(at, rn, "attest"), Step(decided, rn, decision)]
        steps = [Step(at, rn, "delete")]
        if self.rng.random() < 0.85:
            confirmed = at + DAY * self.rng.expovariate(1)
            steps += [Step(confirmed, rn, "confirm"), Step(confirmed + DAY * self.rng.expovariate(1 / 3), rn,
                                                          "approve")]
        return steps

    def build(self, now: datetime) -> tuple[Case, list[Doc]]:
        """One case in its state of ``now``, and the evidence records its attestations cite."""
        kind = self.rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        first = self.province.school()
        size = 1 if kind in ID_PROBLEMS else self.rng.choice((2, 2, 2, 3))
        schools = [first, *(self.province.partner(first) for _ in range(size - 1))]
        briefs = tuple(self.brief(s) for s in schools)
        opened = now - CAMPAIGN * self.rng.random()
        group_id = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        event = ProblemDetected(producer="dedup", group_id=group_id, problem_type=kind, members=briefs)
        case = Case.open(event, self.settings.RULE_SET, opened, self.settings.member_ref)
        evidence: list[Doc] = []
        for step in sorted(s for b in briefs for s in self.plan(b, opened)):
            if step.at <= now:
                self.act(case, step, evidence)
        self.arbitrate(case, now)
        case.fire_due_timers(self.policy, now)
        return case, evidence

    def act(self, case: Case, step: Step, evidence: list[Doc]) -> None:
        brief = case.members[step.rn].brief
        school = Actor(role=Role.SCHOOL_REGISTRAR, organisation_code=brief.school_code)
        bureau = Actor(role=Role.BUREAU_REGISTRAR, organisation_code=brief.district_code)
        try:
            match step.what:
                case "attest":
                    cited = (uuid.UUID(int=self.rng.getrandbits(128), version=4),)
                    case.submit_action(school, step.rn, Action.ATTEST, step.at, evidence_ids=cited,
                                       known_evidence=frozenset(cited), opinion="同一学生，两处就读证明")
                    evidence.append(self.evidence_doc(case, step, cited[0]))
                case "delete":
                    case.submit_action(school, step.rn, Action.DELETE, step.at, confirmed=True)
                case "confirm":
                    leader = Actor(role=Role.SCHOOL_LEADER, organisation_code=brief.school_code)
                    case.confirm_deletion(leader, step.rn, step.at)
                case "approve":
                    case.review(bureau, step.rn, ReviewDecision.APPROVED, None, step.at)
                case "reject":
                    case.review(bureau, step.rn, ReviewDecision.REJECTED, "佐证材料不清晰", step.at)
        except ServiceError:
            pass  # the case refuses it in its state then (another member's approval came first, …)

    def arbitrate(self, case: Case, now: datetime) -> None:
        """Most arbiters decide within days of being asked."""
        for side in list(case.sides.values()):
            if side.arbitration is not ArbitrationStatus.PENDING or not side.arbiter_code or not side.since:
                continue
            at = side.since + DAY * self.rng.expovariate(1 / 5)
            contenders = [m.rn for m in case.side_members(side.code) if m.stage is Stage.APPROVED]
            if at > now or not contenders or self.rng.random() > 0.6:
                continue
            arbiter = Actor(role=Role.ARBITER, organisation_code=side.arbiter_code)
            with contextlib.suppress(ServiceError):
                case.decide_arbitration(arbiter, self.rng.choice(contenders), "以户籍所在地学校为准", at)

    def evidence_doc(self, case: Case, step: Step, evidence_id: uuid.UUID) -> Doc:
        """A file as ``CaseStore.add_evidence`` records the evidence service's announcement."""
        ref = case.members[step.rn].ref
        return {"_id": f"{case.group_id}:{ref}:{evidence_id}", "group_id": str(case.group_id),
                "member_ref": ref, "evidence_id": str(evidence_id), "file_name": "户口簿.jpg",
                "file_type": "jpg", "size_bytes": self.rng.randint(200_000, 2_000_000),
                "uploaded_at": step.at}


class Captured:
    """Stands in for the cases collection under ``CaseStore.save``: keeps the document its upsert of a
    new case would create, so a bulk insert writes exactly what ``save`` writes."""

    def __init__(self) -> None:
        self.docs: list[Doc] = []

    async def update_one(self, query: Doc, update: Doc, upsert: bool = False) -> SimpleNamespace:
        assert upsert, "save writes a new case as an upsert"
        assert set(update) <= {"$set", "$push"}, update.keys()
        doc = {k: v for k, v in query.items() if not k.startswith("$")} | update.get("$set", {})
        doc |= {name: list(value["$each"]) for name, value in update.get("$push", {}).items()}
        self.docs.append(doc)
        return SimpleNamespace(matched_count=0, upserted_id=doc["_id"])


async def in_flight(jobs: Iterable[Awaitable[None]], limit: int, label: str, total: int,
                    every: int = EVERY) -> float:
    """Run ``jobs``, at most ``limit`` at once, reporting every ``every`` of them; the seconds it took."""
    slots, done = asyncio.Semaphore(limit), 0
    errors: list[Exception] = []
    started = time.perf_counter()
    running: set[asyncio.Task[None]] = set()

    async def one(job: Awaitable[None]) -> None:
        nonlocal done
        try:
            await job
        except Exception as error:  # raised below, once every job has ended
            errors.append(error)
        finally:
            slots.release()
        done += 1
        if done % every == 0:
            elapsed = time.perf_counter() - started
            print(f"   {label}: {done:,} of {total:,} ({done / elapsed:,.0f}/s)", flush=True)

    for job in jobs:
        await slots.acquire()
        task = asyncio.create_task(one(job))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def chunk_of(count: int) -> int:
    """How many cases a step of the seeding takes (progress is shown and budgets checked after each)."""
    return EVERY if count > 2 * EVERY else 1_000


def over_budget(label: str, done: int, count: int, last: tuple[int, float], elapsed: float,
                minutes: float) -> str:
    """Why the rest is left to the bulk path ('' to go on): at the last chunk's rate, the whole
    ``label`` would end after more than ``minutes``."""
    n, seconds = last
    ending = (elapsed + (count - done) * seconds / n) / 60
    if done >= count or ending <= minutes:
        return ""
    return (f"at {n / seconds:,.1f} cases/s (the last {n:,}), {label} all {count:,} would take "
            f"{ending:,.1f} min, more than {minutes:g}")


async def seed(db: AsyncDatabase[Doc], settings: WorkflowSettings, count: int, modes: tuple[str, str],
               minutes: tuple[float, float]) -> Seeded:
    """The cases written (through ``save``, or in its shape), their evidence records, and every case
    counted (by the progress projector, or to the same end state) until none is ``tally_pending``."""
    store = CaseStore(db, settings.deadline_policy)
    progress = ProgressStore(db, takeover_seconds=settings.PROGRESS_TAKEOVER_SECONDS)
    await store.ensure_indexes()
    await progress.ensure_indexes()
    seeded, cases, now = Seeded(), Cases(settings), datetime.now(UTC)

    def made() -> Case:
        started = time.perf_counter()
        case, evidence = cases.build(now)
        seeded.build_seconds += time.perf_counter() - started
        seeded.note(case, settings.deadline_policy)
        seeded.evidence += evidence
        return case

    async def saved(case: Case) -> None:
        if not await store.save(case, [], case.audit):
            raise RuntimeError(f"case {case.group_id} exists already")

    while modes[0] != "bulk" and seeded.saved < count:
        n = min(chunk_of(count), count - seeded.saved)
        seconds = await in_flight((saved(made()) for _ in range(n)), IN_FLIGHT, "", n, every=n + 1)
        seeded.saved += n
        seeded.save_seconds += seconds
        print(f"   CaseStore.save: {seeded.saved:,} of {count:,} ({n / seconds:,.0f}/s for the last {n:,}, "
              f"{seeded.saved / seeded.save_seconds:,.0f}/s so far)", flush=True)
        if modes[0] == "auto" and (why := over_budget("saving", seeded.saved, count, (n, seconds),
                                                      seeded.save_seconds, minutes[0])):
            seeded.why_bulk = why + " (--save-minutes)"
            break
    if seeded.saved < count:
        seeded.bulk, seeded.why_bulk = count - seeded.saved, seeded.why_bulk or "--seed bulk"
        print(f"   bulk-inserting {seeded.bulk:,} cases in save's document shape: {seeded.why_bulk}",
              flush=True)
        seeded.bulk_seconds = await bulk(db, settings, made, seeded.bulk)
        print(f"   bulk-inserted {seeded.bulk:,} cases in {seeded.bulk_seconds:.1f} s "
              f"({seeded.bulk / seeded.bulk_seconds:,.0f}/s)", flush=True)
    evidence, seeded.evidence = seeded.evidence, []
    for start in range(0, len(evidence), BULK_BATCH):
        await db["workflow_evidence"].insert_many(evidence[start:start + BULK_BATCH], ordered=False)
    print(f"   {len(evidence):,} evidence records bulk-inserted in add_evidence's shape", flush=True)

    await project(progress, seeded, modes[1], minutes[1])
    if seeded.counted < seeded.cases:
        print(f"   counting the other {seeded.cases - seeded.counted:,} cases to the projector's end state: "
              f"{seeded.why_counted}", flush=True)
        started = time.perf_counter()
        await count_rest(progress)
        seeded.count_seconds = time.perf_counter() - started
        print(f"   counted {seeded.cases - seeded.counted:,} cases in {seeded.count_seconds:.1f} s; "
              f"tally_pending now {await progress.pending()}", flush=True)
    await check_counters(db, seeded)
    return seeded


class Timed:
    """The time spent in each step of the progress projector: why its rate is what it is."""

    STEPS = ("contribution", "record", "advance", "apply", "finish", "unmark", "clear")

    def __init__(self, progress: ProgressStore) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: Counter[str] = Counter()
        self.reset()
        for name in self.STEPS:
            setattr(progress, name, self.timed(name, getattr(progress, name)))

    def reset(self) -> None:
        self.seconds, self.calls = dict.fromkeys(self.STEPS, 0.0), Counter()

    def timed(self, name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1

        return call

    def line(self) -> str:
        means = (f"{n} {1000 * self.seconds[n] / self.calls[n]:.1f}" for n in self.STEPS if self.calls[n])
        return ", ".join(means)


def fewest_in_flight(rates: dict[int, float]) -> int:
    """The fewest projections in flight within 10 % of the best rate tried: every case writes the same
    few documents (the divisions above its schools), so more at once only adds write conflicts there
    once sustained (smoke runs: ~45/s for 200 cases at 64 in flight, then 10–13/s for thousands)."""
    best = max(rates.values())
    return min(k for k, rate in rates.items() if rate >= 0.9 * best)


async def project(progress: ProgressStore, seeded: Seeded, mode: str, minutes: float) -> None:
    """The progress projector over the cases, in chunks. The first chunks are of ``TRIAL`` cases at each
    concurrency of ``TRIED`` (does concurrency help? Every case updates the same few documents of the
    divisions above its schools), the others of 1 000 at ``fewest_in_flight``; each line shows the mean
    time of each step of the projection (ms) over the last chunk. With ``mode`` auto, the rest is left
    to ``count_rest`` once the whole would take longer than ``minutes`` at the last chunk's rate."""
    if mode == "bulk":
        seeded.why_counted = "--count bulk"
        return
    timed, ids = Timed(progress), seeded.ids
    while seeded.counted < len(ids):
        tried = len(seeded.project_rates)
        limit = TRIED[tried] if tried < len(TRIED) else seeded.project_in_flight
        step = TRIAL if tried < len(TRIED) else 1_000 - seeded.counted % 1_000  # to whole thousands
        n = min(step, len(ids) - seeded.counted)
        timed.reset()
        batch = ids[seeded.counted:seeded.counted + n]
        seconds = await in_flight((progress.project(g) for g in batch), limit, "", n, every=n + 1)
        seeded.counted += n
        seeded.project_seconds += seconds
        if tried < len(TRIED):
            seeded.project_rates[limit] = n / seconds
            seeded.project_in_flight = fewest_in_flight(seeded.project_rates)
        why = over_budget("projecting", seeded.counted, len(ids), (n, seconds), seeded.project_seconds,
                          minutes) if mode == "auto" else ""
        shown = seeded.counted % chunk_of(len(ids)) == 0 or seeded.counted == len(ids)
        if tried < len(TRIED) or why or shown:
            divisions = await progress.counters.estimated_document_count()
            print(f"   projector, {limit} in flight: {seeded.counted:,} of {len(ids):,} "
                  f"({n / seconds:,.1f}/s for the last {n:,}; {divisions:,} divisions); ms per step: "
                  f"{timed.line()}", flush=True)
        if why:
            seeded.why_counted = why + " (--project-minutes)"
            return
    started = time.perf_counter()
    while await progress.pending():  # what the concurrent projections left to the sweep
        await progress.sweep()
    seeded.project_seconds += time.perf_counter() - started
    print(f"   projector: {len(ids):,} cases counted in {seeded.project_seconds:.1f} s "
          f"({len(ids) / seeded.project_seconds:,.1f}/s); tally_pending now {await progress.pending()}",
          flush=True)


async def count_rest(progress: ProgressStore) -> None:
    """The state the projector leaves once it has counted every case still ``tally_pending``, reached
    without it: each division's counters plus the sum of those cases' tallies, each case's contribution
    ``{version, tally}``, and its ``tally_pending`` cleared at the version read. Every case is written
    once, so every delta is the case's whole tally (what the projector would add)."""
    sums: Counter[str] = Counter()
    while True:
        found = progress.cases.find({"tally_pending": True}, {"version": 1, "tally": 1}).limit(BULK_BATCH)
        docs = [d async for d in found]
        if not docs:
            break
        for d in docs:
            sums.update(d.get("tally", {}))
        contributions = [{"_id": d["_id"], "version": d["version"], "tally": d.get("tally", {})}
                         for d in docs]
        await progress.contributions.insert_many(contributions, ordered=False)
        cleared = [UpdateOne({"_id": d["_id"], "version": d["version"], "tally_pending": True},
                             {"$unset": {"tally_pending": ""}}) for d in docs]
        await progress.cases.bulk_write(cleared, ordered=False)
    divisions = Intent(0, {}, dict(sums), datetime.now(UTC)).divisions()
    updates = [UpdateOne({"_id": code}, {"$inc": {f"n.{metric}": change for metric, change in part.items()},
                                         "$set": {"level": level, "parent_code": parent},
                                         "$setOnInsert": {"marks": {}}}, upsert=True)
               for code, (level, parent, part) in divisions.items()]
    for start in range(0, len(updates), BULK_BATCH):
        await progress.counters.bulk_write(updates[start:start + BULK_BATCH], ordered=False)


async def check_counters(db: AsyncDatabase[Doc], seeded: Seeded) -> None:
    """Every division's counters are the sum of the tallies of the cases seeded, exactly."""
    found = {d["_id"]: Counter({k: v for k, v in d.get("n", {}).items() if v})
             async for d in db["workflow_progress"].find({}, {"n": 1})}
    wrong = sorted(code for code in set(found) | set(seeded.expected)
                   if found.get(code, Counter()) != seeded.expected.get(code, Counter()))
    marked = await db["workflow_progress"].count_documents({"marks": {"$ne": {}}})
    print(f"   counters: {len(found):,} divisions, {len(wrong)} differing from the sum of the cases' tallies "
          f"{wrong[:5]}; {marked} with marks left", flush=True)
    seeded.wrong_counters = len(wrong)


async def bulk(db: AsyncDatabase[Doc], settings: WorkflowSettings, made: Callable[[], Case],
               count: int) -> float:
    """``count`` cases inserted 1 000 at a time, each document the one ``CaseStore.save`` writes."""
    collection = db["workflow_cases"]

    async def insert(batch: list[Case]) -> None:
        captured = Captured()
        shaper = CaseStore(db, settings.deadline_policy)
        shaper.cases = cast(Any, captured)
        for case in batch:
            await shaper.save(case, [], case.audit)
        await collection.bulk_write([InsertOne(d) for d in captured.docs], ordered=False)

    batches = (insert([made() for _ in range(min(BULK_BATCH, count - start))])
               for start in range(0, count, BULK_BATCH))
    return await in_flight(batches, 4, "bulk-inserted batches of 1 000", -(-count // BULK_BATCH),
                           every=EVERY // BULK_BATCH)


@dataclass
class Read:
    """One read measured: how to make it, and what its answer must show."""

    name: str
    call: Callable[[], Awaitable[Any]]
    check: Callable[[Any], str | None]
    timings: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)


def page_check(*needles: str) -> Callable[[Any], str | None]:
    def check(response: Any) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        missing = [n for n in needles if n not in response.text]
        return f"page without {missing}" if missing else None

    return check


def api_check(expect: Callable[[Any], bool], what: str) -> Callable[[Any], str | None]:
    def check(response: Any) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        return None if expect(response.json()) else what

    return check


async def signed_in(role: Role, org: str) -> httpx.AsyncClient:
    """A browser's session of the console, signed in through its form."""
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{CONSOLE_PORT}", timeout=120)
    form = await client.get("/signin")
    found = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', form.text)
    if form.status_code != 200 or found is None:
        raise RuntimeError(f"no sign-in form (HTTP {form.status_code})")
    answer = await client.post("/signin", data={CSRF_FIELD: found.group(1), "role": role.value, "org": org})
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in as {role.value} {org} refused (HTTP {answer.status_code})")
    return client


async def fastest_of(read: Callable[[], Awaitable[Any]], times: int = 5) -> float:
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        await read()
        seconds.append(time.perf_counter() - started)
    return min(seconds)


async def settled(read: Callable[[], Awaitable[Any]], quiet: float, most: float = 120.0) -> float:
    """Seconds until the database is quiet again: the sign-in page lists an operator's open cases for
    its examples, which at full size can outlast the console's wait for it. Quiet: five reads in a row,
    each within three times the fastest before the sign-in (``quiet``)."""
    started, in_a_row = time.perf_counter(), 0
    while in_a_row < 5 and time.perf_counter() - started < most:
        began = time.perf_counter()
        await read()
        in_a_row = in_a_row + 1 if time.perf_counter() - began <= 3 * quiet else 0
        if not in_a_row:
            await asyncio.sleep(0.5)
    return time.perf_counter() - started


async def measure(reads: list[Read], requests: int) -> None:
    """Sequential requests, one of each read in turn (the machine's noise falls on all of them alike)."""
    for round_no in range(WARM_UP + requests):
        for read in reads:
            started = time.perf_counter()
            answer = await read.call()
            elapsed = (time.perf_counter() - started) * 1000
            if round_no < WARM_UP:
                continue
            read.timings.append(elapsed)
            if problem := read.check(answer):
                read.failures[problem] += 1
        if round_no >= WARM_UP and (round_no - WARM_UP + 1) % 100 == 0:
            print(f"   {round_no - WARM_UP + 1} of {requests} rounds", flush=True)


async def run(count: int, requests: int, modes: tuple[str, str], minutes: tuple[float, float]) -> None:
    settings = WorkflowSettings()
    print(f"machine: {machine()}")
    database = f"bench_console_{uuid.uuid4().hex[:8]}"
    mongo = make_mongo_client(settings, "bench-console")
    db = mongo[database]
    print(f"1/3 seeding {count:,} cases in province {PROVINCE} …", flush=True)
    seeded = await seed(db, settings, count, modes, minutes)
    district = seeded.by_district.most_common(1)[0][0]
    school = seeded.by_school.most_common(1)[0][0]
    rn = seeded.member_of[school]

    keys = Path(tempfile.mkdtemp())
    private, _ = local_key_pair(keys)
    workflow = ServiceProcess("xueji-workflow", WORKFLOW_PORT, {
        "XUEJI_MONGO_DATABASE": database, "XUEJI_CONSUMER_GROUP": f"bench-{database}",
        "XUEJI_JWT_LOCAL_KEY_DIR": str(keys), "XUEJI_SUBSCRIBE": "false",
        # the deadline scan runs once as the service starts (at most 100 cases, whose timers came due
        # during the seeding), then not again: nothing writes while the reads are measured
        "XUEJI_DEADLINE_SCAN_SECONDS": "86400",
    }, Path(".local/bench-console-workflow.log"))
    console = ServiceProcess("xueji-console", CONSOLE_PORT, {
        "XUEJI_WORKFLOW_URL": f"http://127.0.0.1:{WORKFLOW_PORT}", "XUEJI_JWT_LOCAL_KEY_DIR": str(keys),
        "XUEJI_WORKFLOW_MANAGEMENT_URL": f"http://127.0.0.1:{management_port(WORKFLOW_PORT)}",
        "XUEJI_NOTIFY_URL": f"http://127.0.0.1:{NOTIFY_PORT}",
        "XUEJI_EVIDENCE_URL": f"http://127.0.0.1:{NOTIFY_PORT}", "XUEJI_METRICS_URLS": "",
    }, Path(".local/bench-console.log"))
    clients: list[httpx.AsyncClient] = []
    try:
        workflow.start()
        console.start()
        cases, counters = db["workflow_cases"], db["workflow_progress"]
        listed = {"state": 1, "version": 1}

        async def raw_progress() -> list[Doc]:  # the three reads of read_statistics
            division = await counters.find_one({"_id": PROVINCE}, {"marks": 0})
            children = [d async for d in counters.find({"parent_code": PROVINCE}, {"marks": 0})]
            await cases.count_documents({"tally_pending": True})
            return [division, *children] if division else children

        async def raw_list() -> list[Doc]:
            found = cases.find(listing_query({"district_codes": district}, {}), listed)
            found = found.sort("opened_at", DESCENDING)
            return [d async for d in found.limit(PAGE_SIZE + 1)]

        async def raw_search() -> list[Doc]:
            found = cases.find(listing_query({"school_codes": school}, {"registry_numbers": rn}), listed)
            return [d async for d in found.sort("opened_at", DESCENDING).limit(PAGE_SIZE + 1)]

        quiet = await fastest_of(raw_progress)
        print("2/3 signing in to the console: the province's arbiter, the bureau of "
              f"{district} ({seeded.by_district[district]:,} cases), the registrar of {school} …", flush=True)
        started = time.perf_counter()
        for role, org in ((Role.ARBITER, PROVINCE), (Role.BUREAU_REGISTRAR, district),
                          (Role.SCHOOL_REGISTRAR, school)):
            clients.append(await signed_in(role, org))
        print(f"   signed in three times in {time.perf_counter() - started:.1f} s", flush=True)
        arbiter, bureau, registrar = clients
        api = httpx.AsyncClient(base_url=f"http://127.0.0.1:{WORKFLOW_PORT}", timeout=120)
        clients.append(api)

        def bearer(role: Role, org: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {mint_token(private, role, org)}"}

        as_arbiter, as_bureau = bearer(Role.ARBITER, PROVINCE), bearer(Role.BUREAU_REGISTRAR, district)
        as_school = bearer(Role.SCHOOL_REGISTRAR, school)
        page = {"page": 1, "page_size": PAGE_SIZE}
        members = str(seeded.members)
        reads = [
            Read("progress page", lambda: arbiter.get("/statistics"),
                 page_check(f'id="total-records">{members}<', 'id="children"')),
            Read("progress API", lambda: api.get("/v1/statistics", headers=as_arbiter),
                 api_check(lambda b: b["division"]["records"] == seeded.members and b["children"],
                           f"counters do not add up to the {members} members seeded")),
            Read("progress raw", raw_progress, lambda docs: None if len(docs) > 1 else "no counters"),
            Read("list page", lambda: bureau.get("/cases"), page_check("data-group=")),
            Read("list API", lambda: api.get("/v1/cases", params=page, headers=as_bureau),
                 api_check(lambda b: len(b["items"]) == PAGE_SIZE, f"fewer than {PAGE_SIZE} cases")),
            Read("list raw", raw_list, lambda docs: None if len(docs) == PAGE_SIZE + 1 else "short page"),
            Read("search page", lambda: registrar.get("/cases", params={"registry_number": rn}),
                 page_check(rn, "data-group=")),
            Read("search API", lambda: api.get("/v1/cases", params={**page, "registry_number": rn},
                                               headers=as_school),
                 api_check(lambda b: len(b["items"]) == 1, "not exactly one case")),
            Read("search raw", raw_search, lambda docs: None if len(docs) == 1 else "not exactly one case"),
        ]
        waited = await settled(raw_progress, quiet)
        print(f"   the database {'settled' if waited < 120 else 'was still busy'} after {waited:.1f} s",
              flush=True)
        print(f"3/3 {requests} sequential requests of each of {len(reads)} reads (+{WARM_UP} warm-up) …",
              flush=True)
        cpu_before = {p.entry_point: cpu_seconds(p.pid) for p in (workflow, console)}
        started = time.perf_counter()
        await measure(reads, requests)
        elapsed = time.perf_counter() - started
        cpu = {name: (cpu_seconds(p.pid) - cpu_before[name]) / elapsed
               for name, p in (("xueji-workflow", workflow), ("xueji-console", console))}
        sizes = {name: len((await client.get(path)).content) for name, client, path in (
            ("progress", arbiter, "/statistics"), ("list", bureau, "/cases"),
            ("search", registrar, f"/cases?registry_number={rn}"))}
    finally:
        for client in clients:
            await client.aclose()
        console.stop()
        workflow.stop()
        await mongo.close()
    report(seeded, district, school, reads, cpu, sizes)


TARGETS = {"progress": 500.0, "list": 200.0, "search": 100.0}


def report(seeded: Seeded, district: str, school: str, reads: list[Read], cpu: dict[str, float],
           sizes: dict[str, int]) -> None:
    print(f"\nseeded: {seeded.cases:,} cases, {seeded.members:,} members; "
          f"{len(seeded.by_district)} districts, {len(seeded.by_school):,} schools with cases")
    print(f"   types: {', '.join(f'{k} {v:,}' for k, v in sorted(seeded.kinds.items()))}")
    print(f"   members by stage: {', '.join(f'{k} {v:,}' for k, v in seeded.stages.most_common())}")
    print(f"   written: {seeded.saved:,} through CaseStore.save"
          + (f" ({seeded.saved / seeded.save_seconds:,.0f}/s, {IN_FLIGHT} in flight)" if seeded.saved else "")
          + f", {seeded.bulk:,} bulk-inserted in save's document shape"
          + (f" ({seeded.bulk / seeded.bulk_seconds:,.0f}/s: {seeded.why_bulk})" if seeded.bulk else "")
          + f"; building the cases took {seeded.build_seconds:.0f} s of it")
    tried = ", ".join(f"{k} in flight {v:,.1f}/s" for k, v in seeded.project_rates.items())
    projected = (f" ({seeded.counted / seeded.project_seconds:,.1f}/s; on {TRIAL} cases each: {tried}; "
                 f"then {seeded.project_in_flight} in flight)" if seeded.counted else "")
    print(f"   counted: {seeded.counted:,} by the progress projector{projected}, "
          f"{seeded.cases - seeded.counted:,} to the projector's end state without it"
          + (f": {seeded.why_counted}" if seeded.counted < seeded.cases else ""))
    print(f"   list: district {district} ({seeded.by_district[district]:,} cases); "
          f"search: school {school} ({seeded.by_school[school]:,} members)")
    print(f"   pages: progress {sizes['progress']:,} B, list {sizes['list']:,} B, "
          f"search {sizes['search']:,} B; CPU during the requests: workflow {cpu['xueji-workflow']:.2f}, "
          f"console {cpu['xueji-console']:.2f} CPU s/s")
    by_name = {r.name: r for r in reads}
    print(f"\n{'read':10} {'console page p50 / p99':>24} {'workflow API p50 / p99':>24} "
          f"{'raw MongoDB p50 / p99':>23} {'target p99':>11}  met")
    for what, target in TARGETS.items():
        figures = []
        for layer in ("page", "API", "raw"):
            timings = by_name[f"{what} {layer}"].timings
            figures.append(f"{percentile(timings, 0.5):7.1f} / {percentile(timings, 0.99):7.1f} ms")
        p99 = percentile(by_name[f"{what} page"].timings, 0.99)
        print(f"{what:10} {figures[0]:>24} {figures[1]:>24} {figures[2]:>23} {f'< {target:.0f} ms':>11}  "
              f"{'yes' if p99 < target else 'NO'}")
    print(f"   progress counters differing from the sum of the cases' tallies: {seeded.wrong_counters}")
    failures = {r.name: dict(r.failures) for r in reads if r.failures}
    print(f"wrong answers: {failures or 'none'} (n = {len(reads[0].timings)} each)")
    print("\nleft out: no concurrent writers (no consumers; the deadline scan ran once, as the service "
          "started), no TLS and no proxy in front of the console, one client making one request at a time, "
          "and no notify service (the menu's unread count is a refused connection on every page).")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=200_000, help="cases seeded in the province")
    parser.add_argument("--requests", type=int, default=300, help="sequential requests of each read")
    parser.add_argument("--seed", choices=("auto", "save", "bulk"), default="auto",
                        help="write the cases with CaseStore.save, or bulk-insert them in its document "
                             "shape, or (auto) save them and bulk-insert the rest once saving all would "
                             "take longer than --save-minutes")
    parser.add_argument("--count", choices=("auto", "project", "bulk"), default="auto",
                        help="count the cases with the progress projector, or write the state it leaves "
                             "(counters, contributions, tally_pending cleared), or (auto) project them and "
                             "write that state for the rest once projecting all would take longer than "
                             "--project-minutes")
    parser.add_argument("--save-minutes", type=float, default=30.0, help="auto: see --seed")
    parser.add_argument("--project-minutes", type=float, default=120.0, help="auto: see --count")
    args = parser.parse_args()
    asyncio.run(run(args.cases, args.requests, (args.seed, args.count),
                    (args.save_minutes, args.project_minutes)))


if __name__ == "__main__":
    main()
