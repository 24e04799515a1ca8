"""GB/T 2260 division arithmetic: who is whose superior (DOMAIN §1, §5).

One function, ``superior_of``, answers "the superior of a division"; arbitration (the lowest
common superior of the districts that disagree) and deadline escalation both use it. A
division's province is the contracts' ``province_of``.
"""

from xueji_contracts.provinces import province_of

NATIONAL = "000000"  # [decided] the Ministry's division code
MUNICIPALITIES = ("11", "12", "31", "50")  # 北京, 天津, 上海, 重庆: districts sit under the municipality
CITIES_WITHOUT_DISTRICTS = ("441900", "442000", "460400", "620200")  # 东莞, 中山, 儋州, 嘉峪关


def _under_province(code: str) -> bool:
    """Divisions whose superior is the province itself, with no real city bureau between."""
    return (
        code[:2] in MUNICIPALITIES  # 110100, 500200 … are 市辖区/县 placeholders
        or code[2:4] == "90"  # 省直辖县级行政区划: 429004 仙桃, 469001, the 6590xx cities
        or code in CITIES_WITHOUT_DISTRICTS  # the city bureau is the district bureau
        or code == code[:4] + "00"  # a city (XPCC: the division 66SS00 [decided])
    )


def superior_of(code: str) -> str:
    """The organisation above ``code``: a school's district, a district's city or province, a
    province's Ministry. The Ministry has none: its superior is itself."""
    if len(code) > 6:
        return code[:6]
    if code == NATIONAL or code == province_of(code):
        return NATIONAL
    return province_of(code) if _under_province(code) else code[:4] + "00"


def chain_above(code: str) -> list[str]:
    """Every superior of ``code``, nearest first, up to the Ministry."""
    chain = []
    while code != NATIONAL:
        code = superior_of(code)
        chain.append(code)
    return chain


def lowest_common_superior(districts: list[str] | set[str] | tuple[str, ...]) -> str:
    """The arbiter of districts that disagree: the nearest bureau above all of them."""
    codes = sorted(set(districts))
    above = [chain_above(c) for c in codes]
    return next(c for c in above[0] if all(c in chain for chain in above[1:]))


def district_of_school(school_code: str) -> str:
    return school_code[:6]
