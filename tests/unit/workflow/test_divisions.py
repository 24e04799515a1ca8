"""Who is a division's superior (DOMAIN §1), and so who arbitrates between two districts (§5)."""

import pytest

from services.workflow.domain.divisions import lowest_common_superior, superior_of


@pytest.mark.parametrize(
    ("division", "superior"),
    [
        ("4401030001", "440103"),  # a school's district
        ("440103", "440100"),  # a district of 广州 under its city
        ("440100", "440000"),  # a city under its province
        ("440000", "000000"),  # a province under the Ministry
        ("000000", "000000"),
        # municipalities: districts and counties sit directly under the municipality
        ("110105", "110000"),
        ("120101", "120000"),
        ("310115", "310000"),
        ("500101", "500000"),
        ("500229", "500000"),  # a county of 重庆 (placeholder 500200)
        ("110100", "110000"),  # the 市辖区 placeholder itself, should a code name it
        # county-level units administered by the province
        ("429004", "420000"),  # 仙桃市
        ("469001", "460000"),
        ("659001", "650000"),  # 石河子市
        # prefecture-level cities with no districts: the city bureau is the district bureau
        ("441900", "440000"),  # 东莞
        ("442000", "440000"),  # 中山
        ("460400", "460000"),  # 儋州
        ("620200", "620000"),  # 嘉峪关
        # XPCC: the division 66SS00 is the city level
        ("660102", "660100"),
        ("660100", "660000"),
        ("660000", "000000"),
    ],
)
def test_the_superior_of_a_division(division: str, superior: str) -> None:
    assert superior_of(division) == superior


@pytest.mark.parametrize(
    ("districts", "arbiter"),
    [
        (("440103", "440104"), "440100"),  # two districts of one real city: the city
        (("440103", "440305"), "440000"),  # two cities of one province: the province
        (("110105", "110108"), "110000"),  # two districts of 北京: the municipality, not 110100
        (("120101", "120225"), "120000"),
        (("310104", "310115"), "310000"),
        (("500101", "500229"), "500000"),  # a district and a county of 重庆 (500100 / 500200)
        (("429004", "420102"), "420000"),  # 仙桃 beside a district of 武汉
        (("429004", "429005"), "420000"),
        (("441900", "440103"), "440000"),  # 东莞 beside a district of 广州
        (("441900", "442000"), "440000"),
        (("660102", "660103"), "660100"),  # two regiments of one XPCC division
        (("440103", "440104", "440305"), "440000"),  # a third district moves it up
    ],
)
def test_the_arbiter_is_the_lowest_common_superior(districts: tuple[str, ...], arbiter: str) -> None:
    assert lowest_common_superior(districts) == arbiter
