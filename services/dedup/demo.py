"""Synthetic registrations that look real: Chinese names, real region codes, valid check digits.

Schools sit under real districts in several provinces. Rates choose how many records
are duplicates (same ID number in another school), cross-province duplicates, name +
gender + birth-date duplicates (non-resident IDs) and bad ID numbers.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from xueji_contracts.enums import Gender, IdType, RecordStatus
from xueji_contracts.students import StudentRecord

from .domain.idnumber import check_digit

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁"
            "谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
         "桂英华玉兰梅琳浩宇轩子涵欣怡梓萱一诺睿博思雨晨")
DISTRICTS = ("110105", "110108", "120101", "130102", "310104", "310115", "320102", "330106",
             "370102", "440103", "440305", "510104", "610113", "650102")


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


class Generator:
    def __init__(self, seed: int = 2017, rates: Rates = Rates()) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
        self.rates = rates
        self.serial = 0

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
               id_number: str | None = None, prefix: str | None = None) -> StudentRecord:
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
            school_code=self._school(district), district_code=district,
            status=RecordStatus.FORMAL if prefix == "G" else RecordStatus.PENDING)

    def duplicate_of(self, original: StudentRecord, *, other_province: bool = False) -> StudentRecord:
        """Another school registers the same ID number (possibly in another province).

        The copy is a temporary L record: a G number is unique, so it cannot be the copy's."""
        same_province = [d for d in DISTRICTS if d[:2] == original.district_code[:2]]
        other = [d for d in DISTRICTS if d[:2] != original.district_code[:2]]
        choices = other if other_province else same_province
        district = self.rng.choice(choices)
        return self.record(district=district, name=original.name, gender=original.gender,
                           birth=original.birth_date, id_number=original.id_number, prefix="L")

    def stream(self, count: int) -> Iterator[StudentRecord]:
        recent: list[StudentRecord] = []
        r = self.rates
        for _ in range(count):
            roll = self.rng.random()
            if recent and roll < r.duplicate_id:
                yield self.duplicate_of(self.rng.choice(recent))
            elif recent and roll < r.duplicate_id + r.cross_province:
                yield self.duplicate_of(self.rng.choice(recent), other_province=True)
            elif roll < r.duplicate_id + r.cross_province + r.duplicate_ngb:
                first = self.record(id_type=IdType.PASSPORT, id_number=f"E{self.rng.randrange(10**7):07d}")
                yield first
                yield self.record(id_type=IdType.OTHER, name=first.name, gender=first.gender,
                                  birth=first.birth_date)
            elif roll < r.duplicate_id + r.cross_province + r.duplicate_ngb + r.bad_id:
                good = self.record()
                number = good.id_number or ""
                bad = number[:17] + ("0" if number[17:] != "0" else "1")  # wrong check digit
                yield self.record(district=good.district_code, name=good.name, gender=good.gender,
                                  birth=good.birth_date, id_number=bad)
            elif roll < r.duplicate_id + r.cross_province + r.duplicate_ngb + r.bad_id + r.non_resident:
                yield self.record(id_type=IdType.HONG_KONG, id_number=f"H{self.rng.randrange(10**8):08d}")
            else:
                record = self.record()
                recent = [*recent, record][-1000:]
                yield record
