"""What a soak run sends and disrupts, all drawn from its seed.

The registrations come in units: a clean record, or the records of one problem that the people
settle (``people.py``). Each record's final status in the identity index is known in advance. The
registrations come at the load's rate, the problems at the pace people settle them: the two are
set apart, so that a load as fast as the pipeline's does not bury the people, inboxes and webhooks
under more problems than two cores settle.
The disruptions come at random moments of the load, every service kind killed in turn.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from xueji_contracts.enums import Gender, RecordStatus
from xueji_contracts.students import StudentRecord

from services.dedup.demo import synthetic_id_number

from ..system import SERVICES
from ..unit.dedup.factories import BIRTH, record

CLEAN, SAME_DISTRICT, ARBITRATED, CROSS_PROVINCE, BAD_NUMBER = (
    "clean", "same_district", "arbitrated", "cross_province", "bad_number")
# How often each kind of problem is drawn, among the problems. The problems of the two webhook
# provinces are kept few enough for notify to deliver their events as they come (a problem makes
# 8–20 case events; bench/RESULTS.md "Notify"), the others are in Guangdong.
PROBLEM_SHARES = {SAME_DISTRICT: 0.37, BAD_NUMBER: 0.32, ARBITRATED: 0.12, CROSS_PROVINCE: 0.19}
# Problems per minute by default: what the people, inboxes and webhooks settle beside 120
# registrations/s on one local database and two cores (at 100 a minute a 10-minute run had not
# drained 10 minutes after its load; at 50 it drained 200 s after; bench/RESULTS.md "Soak")
PROBLEMS_PER_MINUTE = 50.0
# the schools of each kind of unit: (district, school) for member A and member B
SCHOOLS: dict[str, tuple[tuple[str, str], ...]] = {
    CLEAN: (("630102", "6301020001"), ("110105", "1101050001"), ("440103", "4401030001")),
    SAME_DISTRICT: (("440103", "4401030011"), ("440103", "4401030012")),
    ARBITRATED: (("630102", "6301020021"), ("630103", "6301030022")),  # the city 630100 arbitrates
    CROSS_PROVINCE: (("110105", "1101050041"), ("630102", "6301020042")),
    BAD_NUMBER: (("440104", "4401040051"),),
}
ARBITER = "630100"
PROVINCES = ("630000", "110000")  # the two province systems with a webhook
KILLED = tuple(SERVICES)  # every service kind, in turn
STACK_DISRUPTIONS = ("restart the broker", "restart the database", "stop the object store",
                     "fail a webhook")


@dataclass(frozen=True)
class Unit:
    kind: str
    records: tuple[StudentRecord, ...]
    final: tuple[RecordStatus, ...]  # each record's status once the people are done
    right_number: str | None = None  # BAD_NUMBER: what the school amends the number to


@dataclass
class Numbers:
    """Registry and ID numbers drawn so far: a soak never makes a duplicate it did not plan."""

    rng: random.Random
    registry: set[str]
    ids: set[str]

    def birth(self) -> date:
        return BIRTH + timedelta(days=self.rng.randrange(3000))

    def id_number(self, district: str, birth: date, gender: Gender) -> str:
        while (number := synthetic_id_number(self.rng, district, birth, gender)) in self.ids:
            pass
        self.ids.add(number)
        return number

    def record(self, district: str, school: str, birth: date, gender: Gender, number: str) -> StudentRecord:
        while True:
            made = record(self.rng.randrange(10000), district=district, school=school, birth=birth,
                          gender=gender, number=number, name=self.rng.choice("张王李赵刘陈杨黄") + "同学")
            if made.registry_number not in self.registry:
                self.registry.add(made.registry_number)
                return made


def unit(numbers: Numbers, kind: str) -> Unit:
    rng, birth = numbers.rng, numbers.birth()
    gender = rng.choice((Gender.MALE, Gender.FEMALE))
    places = SCHOOLS[kind]
    if kind == CLEAN:
        district, school = rng.choice(places)
        made = numbers.record(district, school, birth, gender, numbers.id_number(district, birth, gender))
        return Unit(kind, (made,), (RecordStatus.PENDING,))
    if kind == BAD_NUMBER:
        ((district, school),) = places
        right = numbers.id_number(district, birth, gender)
        wrong = right[:17] + next(c for c in "0123456789X" if c != right[17])  # one check digit off
        numbers.ids.add(wrong)
        made = numbers.record(district, school, birth, gender, wrong)
        return Unit(kind, (made,), (RecordStatus.FORMAL,), right_number=right)
    number = numbers.id_number(places[0][0], birth, gender)
    pair = tuple(numbers.record(d, s, birth, gender, number) for d, s in places)
    final = {SAME_DISTRICT: (RecordStatus.PENDING, RecordStatus.DELETED),
             ARBITRATED: (RecordStatus.DELETED, RecordStatus.DELETED),  # B lost; A re-initiated, deleted
             CROSS_PROVINCE: (RecordStatus.FORMAL, RecordStatus.FORMAL)}[kind]
    return Unit(kind, pair, final)


def units(rng: random.Random, registrations: int, problems: int) -> list[Unit]:
    """``problems`` problems, each kind by its share, among clean records to ``registrations``
    records in all (or the problems' records, when they are more), in an order drawn from ``rng``."""
    numbers = Numbers(rng, set(), set())
    kinds = rng.choices(list(PROBLEM_SHARES), list(PROBLEM_SHARES.values()), k=problems)
    made = [unit(numbers, kind) for kind in kinds]
    made += [unit(numbers, CLEAN) for _ in range(registrations - sum(len(u.records) for u in made))]
    rng.shuffle(made)
    return made


@dataclass(frozen=True)
class Disruption:
    at: float  # seconds after the load began
    what: str  # "kill <service>" or one of STACK_DISRUPTIONS
    seconds: float = 0.0  # how long a stop or a failure lasts


def disruptions(rng: random.Random, load_seconds: float, kills_per_kind: int) -> list[Disruption]:
    """Every service kind killed ``kills_per_kind`` times, in turn, and each stack disruption once
    per round of kills, at random moments between 8 % and 85 % of the load."""
    plan = [f"kill {name}" for _ in range(kills_per_kind) for name in KILLED]
    for _ in range(kills_per_kind):
        for what in STACK_DISRUPTIONS:
            plan.insert(rng.randrange(len(plan) + 1), what)
    start, end = 0.08 * load_seconds, 0.85 * load_seconds
    slot = (end - start) / len(plan)
    made = []
    for i, what in enumerate(plan):
        lasting = rng.uniform(4, 8) if what in ("stop the object store", "fail a webhook") else 0.0
        at = start + i * slot + rng.uniform(0, 0.5 * slot)
        made.append(Disruption(round(at, 1), what, round(lasting, 1)))
    return made
