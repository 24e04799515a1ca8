"""GB/T 2260 division arithmetic: who is whose superior (DOMAIN §1, §5).

A division's province is the contracts' ``province_of``; what is the workflow's own is
who arbitrates between districts and who hears of a missed deadline.
"""

from collections.abc import Iterable

from xueji_contracts.provinces import province_of

NATIONAL = "000000"  # [decided] the Ministry's division code


def city_of(code: str) -> str:
    return code[:4] + "00"


def lowest_common_superior(districts: Iterable[str]) -> str:
    """The arbiter of districts that disagree: their city, else their province, else national."""
    codes = set(districts)
    if len({city_of(c) for c in codes}) == 1:
        return city_of(next(iter(codes)))
    if len({province_of(c) for c in codes}) == 1:
        return province_of(next(iter(codes)))
    return NATIONAL


def district_of_school(school_code: str) -> str:
    return school_code[:6]
