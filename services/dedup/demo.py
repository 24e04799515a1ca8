"""Synthetic registrations that look real: Chinese names, real region codes, valid check digits.

The stream opens with named scenarios, so that a person trying the demo finds them: one
duplicate ID number for each level of arbitration (DOMAIN §1, §5) and one record for each
ID problem, each at a school of its own (``…09NN`` and ``…08NN``). Then rates choose how
many further records are duplicates (same ID number in another school), cross-province
duplicates, name + gender + birth-date duplicates (non-resident IDs), bad ID numbers and
numbers the population database answers otherwise. Those answers are collected in
``Generator.fixture``, the lines the local population stand-in reads.

    python -m services.dedup.demo --count 2000 --seed 2017

writes the fixture of ``xueji demo`` with the same count and seed where the stand-in reads
it (``XUEJI_POPULATION_FIXTURE``), and prints what the demo data holds.
"""

import argparse
import json
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from itertools import islice
from pathlib import Path

from xueji_contracts.enums import Gender, IdType, PopulationOutcome, RecordStatus
from xueji_contracts.provinces import province_of
from xueji_contracts.students import StudentRecord

from .domain.idnumber import check_digit, check_raw_id_number
from .domain.names import normalise_name

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁"
            "谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
         "桂英华玉兰梅琳浩宇轩子涵欣怡梓萱一诺睿博思雨晨")
DISTRICTS = ("110105", "110108", "120101", "130102", "310104", "310115", "320102", "330106",
             "370102", "440103", "440305", "510104", "610113", "650102")


@dataclass(frozen=True)
class DuplicateScenario:
    """Two schools in two districts register one ID number; when both district bureaus approve
    the attestations, ``arbiter`` decides (None: two provinces, each side on its own)."""

    label: str
    districts: tuple[str, str]
    arbiter: str | None


@dataclass(frozen=True)
class IdScenario:
    """One record with an ID problem; ``kind`` is the rate that makes such records."""

    label: str
    kind: str
    district: str


DUPLICATE_SCENARIOS = (
    DuplicateScenario("市级仲裁 city", ("440103", "440104"), "440100"),
    DuplicateScenario("省级仲裁 province", ("440103", "440305"), "440000"),
    DuplicateScenario("直辖市仲裁 municipality", ("110105", "110108"), "110000"),
    DuplicateScenario("省直辖县级市 province-administered county", ("429004", "420102"), "420000"),
    DuplicateScenario("不设区的市 city without districts", ("441900", "440103"), "440000"),
    DuplicateScenario("跨省 cross-province", ("110105", "440103"), None),
)
ID_SCENARIOS = (
    IdScenario("ID_NOT_FOUND 本地校验失败 local check (check digit)", "bad_id", "310104"),
    IdScenario("ID_NOT_FOUND 人口库查无此号 population not_found", "population_not_found", "320102"),
    IdScenario("ID_NAME_MISMATCH 人口库姓名不符 another name", "name_mismatch", "330106"),
    IdScenario("ID_CHANGED 人口库号码已变更 new number suggested", "id_changed", "370102"),
)
DIVISION_NAMES = {  # GB/T 2260 names of the scenarios' divisions, for the summary
    "110000": "北京市", "110105": "朝阳区", "110108": "海淀区", "310104": "徐汇区", "320102": "玄武区",
    "330106": "西湖区", "370102": "历下区", "420000": "湖北省", "420102": "江岸区", "429004": "仙桃市",
    "440000": "广东省", "440100": "广州市", "440103": "荔湾区", "440104": "越秀区", "440305": "南山区",
    "441900": "东莞市",
}
POPULATION_KINDS = ("population_not_found", "name_mismatch", "id_changed")  # rates answered by the fixture


def synthetic_id_number(rng: random.Random, district: str, birth: date, gender: Gender) -> str:
    sequence = rng.randrange(0, 50) * 2 + (1 if gender is Gender.MALE else 0)
    body = f"{district}{birth:%Y%m%d}{rng.randrange(10):01d}{sequence:02d}"
    return body + check_digit(body)


@dataclass(frozen=True)
class Rates:
    duplicate_id: float = 0.02
    cross_province: float = 0.01
    duplicate_ngb: float = 0.01
    bad_id: float = 0.01
    non_resident: float = 0.03
    population_not_found: float = 0.005
    name_mismatch: float = 0.005
    id_changed: float = 0.005


class Generator:
    def __init__(self, seed: int = 2017, rates: Rates = Rates()) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
        self.rates = rates
        self.serial = 0
        self.fixture: list[dict[str, str]] = []  # the population database's answers, as JSON lines
        self.population_problems: Counter[str] = Counter()  # population answers made, by rate name
        self.scenarios: list[tuple[str, tuple[StudentRecord, ...]]] = []  # (label, records)

    def _school(self, district: str) -> str:
        return f"{district}{self.rng.randrange(1, 40):04d}"

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2))))

    def _registry_number(self, district: str, birth: date, id_number: str | None, prefix: str) -> str:
        self.serial += 1
        if prefix == "G" and id_number:
            return f"G{id_number}"
        return f"L{district}{birth:%Y%m%d}{self.serial % 10000:04d}"

    def record(self, *, district: str | None = None, name: str | None = None, gender: Gender | None = None,
               birth: date | None = None, id_type: IdType = IdType.RESIDENT_ID,
               id_number: str | None = None, prefix: str | None = None,
               school: str | None = None) -> StudentRecord:
        district = district or self.rng.choice(DISTRICTS)
        gender = gender or self.rng.choice((Gender.MALE, Gender.FEMALE))
        birth = birth or date(2010, 1, 1) + timedelta(days=self.rng.randrange(0, 9 * 365))
        if id_type is IdType.RESIDENT_ID and id_number is None:
            id_number = synthetic_id_number(self.rng, district, birth, gender)
        if prefix is None:
            prefix = "G" if id_type is IdType.RESIDENT_ID and self.rng.random() < 0.7 else "L"
        return StudentRecord(
            registry_number=self._registry_number(district, birth, id_number, prefix),
            name=name or self._name(), gender=gender, birth_date=birth, id_type=id_type, id_number=id_number,
            school_code=school or self._school(district), district_code=district,
            status=RecordStatus.FORMAL if prefix == "G" else RecordStatus.PENDING)

    def duplicate_of(self, original: StudentRecord, *, other_province: bool = False,
                     district: str | None = None, school: str | None = None) -> StudentRecord:
        """Another school registers the same ID number (possibly in another province).

        The copy is a temporary L record: a G number is unique, so it cannot be the copy's."""
        same_province = [d for d in DISTRICTS if d[:2] == original.district_code[:2]]
        other = [d for d in DISTRICTS if d[:2] != original.district_code[:2]]
        district = district or self.rng.choice(other if other_province else same_province)
        return self.record(district=district, name=original.name, gender=original.gender,
                           birth=original.birth_date, id_number=original.id_number, prefix="L", school=school)

    def ngb_pair(self) -> tuple[StudentRecord, StudentRecord]:
        first = self.record(id_type=IdType.PASSPORT, id_number=f"E{self.rng.randrange(10**7):07d}")
        return first, self.record(id_type=IdType.OTHER, name=first.name, gender=first.gender,
                                  birth=first.birth_date)

    def bad_check_digit(self, district: str | None = None, school: str | None = None) -> StudentRecord:
        good = self.record(district=district)
        number = good.id_number or ""
        bad = number[:17] + ("0" if number[17:] != "0" else "1")
        return self.record(district=good.district_code, name=good.name, gender=good.gender,
                           birth=good.birth_date, id_number=bad, school=school)

    def population_problem(self, kind: str, district: str | None = None,
                           school: str | None = None) -> StudentRecord:
        """A record passing the local checks that the population database answers ``kind`` for."""
        record = self.record(district=district, school=school)
        number = record.id_number or ""
        entry = {"id_number": number, "name": record.name, "outcome": PopulationOutcome.NOT_FOUND.value}
        if kind == "name_mismatch":  # the number exists, under another name
            entry |= {"name": self._other_name(record.name), "outcome": PopulationOutcome.VERIFIED.value}
        elif kind == "id_changed":  # an old number: the current one is suggested, and verifies
            new = number
            while new == number:
                new = synthetic_id_number(self.rng, record.district_code, record.birth_date, record.gender)
            entry |= {"outcome": PopulationOutcome.CHANGED.value, "new_id_number": new}
            self.fixture.append({"id_number": new, "name": record.name,
                                 "outcome": PopulationOutcome.VERIFIED.value})
        self.fixture.append(entry)
        self.population_problems[kind] += 1
        return record

    def _other_name(self, name: str) -> str:
        other = name
        while normalise_name(other) == normalise_name(name):
            other = self._name()
        return other

    def _scenario(self, label: str, *records: StudentRecord) -> tuple[StudentRecord, ...]:
        self.scenarios.append((label, records))
        return records

    def scenario_records(self) -> Iterator[StudentRecord]:
        """The named scenarios, each at a school of its own."""
        for n, dup in enumerate(DUPLICATE_SCENARIOS, start=1):
            first, second = dup.districts
            original = self.record(district=first, prefix="G", school=f"{first}09{n:02d}")
            yield from self._scenario(dup.label, original, self.duplicate_of(
                original, district=second, school=f"{second}09{n:02d}"))
        for n, idp in enumerate(ID_SCENARIOS, start=1):
            school = f"{idp.district}08{n:02d}"
            record = self.bad_check_digit(idp.district, school) if idp.kind == "bad_id" \
                else self.population_problem(idp.kind, idp.district, school)
            yield from self._scenario(idp.label, record)

    def _kind(self) -> str:
        roll = self.rng.random()
        for kind, rate in asdict(self.rates).items():
            if roll < rate:
                return kind
            roll -= rate
        return "plain"

    def stream(self, count: int) -> Iterator[StudentRecord]:
        """The scenarios, then ``count`` draws by the rates (a pair counts once): take what you need."""
        yield from self.scenario_records()
        recent: list[StudentRecord] = []
        for _ in range(count):
            kind = self._kind()
            if kind in ("duplicate_id", "cross_province") and recent:
                yield self.duplicate_of(self.rng.choice(recent), other_province=kind == "cross_province")
            elif kind == "duplicate_ngb":
                yield from self.ngb_pair()
            elif kind == "bad_id":
                yield self.bad_check_digit()
            elif kind == "non_resident":
                yield self.record(id_type=IdType.HONG_KONG, id_number=f"H{self.rng.randrange(10**8):08d}")
            elif kind in POPULATION_KINDS:
                yield self.population_problem(kind)
            else:
                record = self.record()
                recent = [*recent, record][-1000:]
                yield record


def summary(records: Sequence[StudentRecord], generator: Generator, fixture: Path, today: date) -> str:
    """What the demo data holds, in Chinese and English: the problems to expect, then the scenarios."""
    numbers: dict[str, list[str]] = {}  # resident ID number -> districts of its records
    people: Counter[tuple[str, int, date]] = Counter()  # other IDs by name + gender + birth date
    local = 0
    for r in records:
        if r.id_type is IdType.RESIDENT_ID and r.id_number:
            numbers.setdefault(r.id_number, []).append(r.district_code)
            local += bool(check_raw_id_number(r.id_number, int(r.gender), r.birth_date, today)[1])
        else:
            people[(normalise_name(r.name), int(r.gender), r.birth_date)] += 1
    groups = [districts for districts in numbers.values() if len(districts) > 1]
    cross = sum(len({province_of(d) for d in districts}) > 1 for districts in groups)
    made = generator.population_problems
    lines = [
        f"演示数据 demo data: {len(records)} 条学籍 registrations; "
        f"人口库样例 population fixture: {fixture} ({len(generator.fixture)} 条 lines)",
        "问题学籍 problems to expect:",
        f"  DUPLICATE_ID 身份证件号重复: {len(groups)} 组 groups ({cross} 跨省 cross-province)",
        f"  DUPLICATE_NGB 姓名性别出生日期重复: {sum(n > 1 for n in people.values())} 组 groups",
        f"  ID_NOT_FOUND 身份证件号不存在: {local} 本地校验 local check"
        f" + {made['population_not_found']} 人口库 population",
        f"  ID_NAME_MISMATCH 身份证件号与姓名不匹配: {made['name_mismatch']}",
        f"  ID_CHANGED 身份证件号已发生变更: {made['id_changed']} (建议新号码 new number suggested)",
        "场景 scenarios (登录 sign in: xueji token --role school_registrar|bureau_registrar|arbiter"
        " --org <学校 school|区县 district|仲裁 arbiter>):",
    ]
    arbiters = {s.label: s.arbiter for s in DUPLICATE_SCENARIOS}
    shown = {r.registry_number for r in records}
    for label, members in generator.scenarios:
        if not all(m.registry_number in shown for m in members):
            continue  # a count too small for every scenario
        schools = " ↔ ".join(f"{m.school_code} ({m.district_code} {DIVISION_NAMES[m.district_code]})"
                             for m in members)
        if label not in arbiters:
            lines.append(f"  {label}: {schools}")
            continue
        arbiter = arbiters[label]
        then = f"仲裁 arbiter {arbiter} {DIVISION_NAMES[arbiter]}" if arbiter \
            else "不仲裁, 各省单方处理 no arbitration, each province's side on its own"
        lines.append(f"  {label}: {schools}; 两方佐证均核办通过 both attestations approved → {then}")
    return "\n".join(lines)


def demo_data(count: int, seed: int) -> tuple[list[StudentRecord], Generator]:
    """The records ``xueji demo --count --seed`` loads, and the generator that made them."""
    generator = Generator(seed)
    return list(islice(generator.stream(count), count)), generator


def write_fixture(generator: Generator, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = (json.dumps(entry, ensure_ascii=False) + "\n" for entry in generator.fixture)
    path.write_text("".join(lines), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the demo's population fixture and say what "
                                                 "the demo data holds (same count and seed as xueji demo).")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--fixture", type=Path, help="default: where the population stand-in reads it")
    args = parser.parse_args(argv)
    if args.fixture is None:
        from .population_standin import StandinSettings  # a service's settings: only when run

        args.fixture = StandinSettings().POPULATION_FIXTURE
    records, generator = demo_data(args.count, args.seed)
    write_fixture(generator, args.fixture)
    print(summary(records, generator, args.fixture, date.today()))


if __name__ == "__main__":
    main()
