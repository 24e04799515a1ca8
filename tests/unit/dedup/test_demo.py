"""The demo generator makes data the index accepts, with the problems it promises."""

from collections import Counter
from datetime import date

from xueji_contracts.enums import IdType

from services.dedup.demo import Generator, Rates
from services.dedup.domain.idnumber import check_raw_id_number


def test_demo_registry_numbers_are_unique_even_for_duplicates() -> None:
    records = list(Generator(seed=1).stream(5000))
    numbers = Counter(r.registry_number for r in records)
    assert numbers.most_common(1)[0][1] == 1


def test_demo_data_has_duplicates_cross_province_copies_and_bad_numbers() -> None:
    records = list(Generator(seed=2, rates=Rates(duplicate_id=0.05, cross_province=0.05)).stream(4000))
    by_number: dict[str, list[str]] = {}
    for r in records:
        if r.id_type is IdType.RESIDENT_ID and r.id_number:
            by_number.setdefault(r.id_number, []).append(r.district_code[:2])
    duplicated = [provinces for provinces in by_number.values() if len(provinces) > 1]
    assert len(duplicated) > 200
    assert any(len(set(provinces)) > 1 for provinces in duplicated)
    bad = [r for r in records if r.id_type is IdType.RESIDENT_ID
           and check_raw_id_number(r.id_number or "", int(r.gender), r.birth_date, date(2026, 11, 23))[1]]
    assert 0 < len(bad) < len(records) * 0.05
