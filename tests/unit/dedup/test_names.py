from hypothesis import given
from hypothesis import strategies as st

from services.dedup.domain.names import normalise_name


def test_white_space_anywhere_is_removed() -> None:
    assert normalise_name("  张 三\u3000") == "张三"


def test_full_width_latin_becomes_half_width_and_upper_case() -> None:
    assert normalise_name("Ｊｏｈｎ Smith") == "JOHNSMITH"


def test_middle_dot_variants_are_one() -> None:
    variants = ["买买提·艾力", "买买提•艾力", "买买提・艾力", "买买提･艾力"]
    assert len({normalise_name(v) for v in variants}) == 1


@given(st.text(max_size=30))
def test_normalising_is_idempotent(name: str) -> None:
    assert normalise_name(normalise_name(name)) == normalise_name(name)
