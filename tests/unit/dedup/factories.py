import random
from datetime import date

from xueji_contracts.enums import Gender, IdType, RecordStatus
from xueji_contracts.students import StudentRecord

from services.dedup.demo import synthetic_id_number

PEPPER = b"test-pepper"
TODAY = date(2026, 11, 23)
BIRTH = date(2012, 3, 4)
_rng = random.Random(7)


def id_number(district: str = "110105", birth: date = BIRTH, gender: Gender = Gender.MALE) -> str:
    return synthetic_id_number(_rng, district, birth, gender)


def record(serial: int, *, district: str = "110105", school: str | None = None, name: str = "张三",
           gender: Gender = Gender.MALE, birth: date = BIRTH, id_type: IdType = IdType.RESIDENT_ID,
           number: str | None = None, status: RecordStatus = RecordStatus.PENDING,
           prefix: str = "L") -> StudentRecord:
    registry = f"G{number}" if prefix == "G" and number else f"L{district}{birth:%Y%m%d}{serial:04d}"
    return StudentRecord(registry_number=registry, name=name, gender=gender, birth_date=birth,
                         id_type=id_type,
                         id_number=number, school_code=school or f"{district}0001", district_code=district,
                         status=status)
