"""The platform's name normalisation (DOMAIN §2) and a name's search key, shared by dedup and the workflow."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from xueji_contracts.names import MIDDLE_DOTS, name_key, normalise_name

KEY = b"test-name-search-key"


@pytest.mark.parametrize(("written", "normalised"), [
    ("  张 三\u3000", "张三"),  # trimmed, inner (also ideographic) white space removed
    ("Ｊｏｈｎ Smith", "JOHNSMITH"),  # full-width to half-width
    ("买买提•艾力", "买买提·艾力"),  # one middle dot
    ("ＡＢＣ１２３", "ABC123"),
    ("欧阳\tnana", "欧阳NANA"),
])
def test_a_name_is_normalised_as_the_platform_compares_names(written: str, normalised: str) -> None:
    assert normalise_name(written) == normalised


def test_every_middle_dot_variant_is_one_dot() -> None:
    assert {normalise_name(f"买买提{dot}艾力") for dot in MIDDLE_DOTS} == {"买买提·艾力"}


@given(st.text(max_size=30))
def test_normalising_is_idempotent(name: str) -> None:
    assert normalise_name(normalise_name(name)) == normalise_name(name)


def test_two_spellings_of_one_name_have_one_key_and_other_names_or_keys_another() -> None:
    assert name_key(KEY, "买买提・艾力") == name_key(KEY, " 买买提 ･ 艾力 ")
    assert name_key(KEY, "Ｊｏｈｎ Smith") == name_key(KEY, "john smith")
    assert name_key(KEY, "张三") != name_key(KEY, "张四")
    assert name_key(KEY, "张三") != name_key(b"another-key", "张三")


def test_a_key_is_a_hex_hmac_and_shows_nothing_of_the_name() -> None:
    key = name_key(KEY, "张三")
    assert len(key) == 64 and int(key, 16) >= 0 and "张" not in key


def test_no_key_without_a_search_key() -> None:
    with pytest.raises(ValueError, match="non-empty search key"):
        name_key(b"", "张三")
